"""Reruns after any stop finish the job; exit status, summary, strict arguments, one site each."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import oracle
import pytest
from crawling import (
    ROOT,
    child_env,
    crawl_command,
    finished,
    interrupt,
    records,
    run_crawl,
    start_crawl,
    wait_for_lines,
)

from dpchallenge.replica import FaultConfig, Replica

SMALL = {"seed": 5, "challenges": 4, "entries": 4}
QUICK_FAILURE = {"DPC_PAGE_RETRIES": "1", "RETRY_TIMES": "1"}
ONE_AT_A_TIME = {"CONCURRENT_REQUESTS": "1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}


def ledger(data: Path) -> list[dict]:
    path = data / "failed.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def ids_of(path: Path, key: str) -> list[int]:
    return [record[key] for record in records(path, key)]


def asked(replica) -> list[str]:
    """Every request but robots.txt, as host:path, sorted."""
    return sorted(f"{r.host}:{r.path}" for r in replica.requests if r.path != "/robots.txt")


def results_path(challenge_id: int) -> str:
    return f"pages:/challenge_results.php?CHALLENGE_ID={challenge_id}&show_full=1"


def thumbnail_paths(site, challenge_id: int) -> list[str]:
    return [
        "images:" + urlsplit(e["thumbnail_url"]).path
        for e in oracle.expected_entries(site, challenge_id)
        if e["thumbnail_url"]
    ]


def summary(log: str) -> str:
    assert "summary (exit status" in log, log[-3000:]
    return log[log.index("summary (exit status") :]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file's bytes; the lock file's only as present, since it names its last holder."""
    return {
        str(p.relative_to(folder)): b"" if p.name == ".lock" else p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class At:
    """A DPC_BASE_URL that is not a running replica's own (a closed port, another host name)."""

    def __init__(self, base_url: str):
        self.base_url = base_url


def test_a_rerun_with_the_same_jobdir_fetches_the_new_and_the_failed_and_nothing_else(tmp_path):
    data, job = tmp_path / "data", {"JOBDIR": str(tmp_path / "job"), **QUICK_FAILURE}
    with Replica(**SMALL) as replica:
        site = replica.site
        first_id, failing, hidden = oracle.finished_challenge_ids(site)
        shown = list(site._challenges)
        site._challenges = [c for c in shown if c.challenge_id != hidden]
        replica.reset_faults(FaultConfig(permanent_truncate_ids={failing}))
        first = run_crawl("challenges", replica, data, settings=job)
        failed_after_first = [(e["kind"], e["id"]) for e in ledger(data)]
        challenges_after_first = ids_of(data / "challenges.jsonl", "challenge_id")
        site._challenges = shown  # a new challenge on the site
        replica.reset_faults()
        replica.clear_requests()
        rerun = run_crawl("challenges", replica, data, settings=job)
        requested = asked(replica)
        expected_entries = sorted(e["image_id"] for e in oracle.expected_entries(site))
    assert challenges_after_first == [first_id]
    assert requested == sorted(
        [
            "pages:/challenge_history.php?show_all=1",
            results_path(failing),
            results_path(hidden),
            *thumbnail_paths(site, failing),
            *thumbnail_paths(site, hidden),
        ]
    )
    assert sorted(ids_of(data / "challenges.jsonl", "challenge_id")) == sorted(
        [first_id, failing, hidden]
    )
    assert sorted(ids_of(data / "entries.jsonl", "image_id")) == expected_entries
    assert first.returncode == 1, first.log[-2000:]
    assert rerun.returncode == 0, rerun.log[-2000:]
    assert failed_after_first == [("results", failing)]
    assert ledger(data) == []
    runs = sorted((data / "stats" / "runs").glob("challenges-*.json"))
    assert len(runs) == 2, runs
    codes = [json.loads(p.read_text()).get("dpc/exit_code") for p in runs]
    assert codes == [1, 0]


def test_a_first_run_during_an_outage_then_a_rerun_completes(tmp_path):
    data, job = tmp_path / "data", {"JOBDIR": str(tmp_path / "job")}
    with Replica(**SMALL) as gone:
        dead = At(gone.base_url)
    outage = {"ROBOTSTXT_OBEY": "False", "RETRY_TIMES": "1", "DPC_RETRY_BACKOFF_BASE": "0.05"}
    first = run_crawl("challenges", dead, data, settings={**job, **outage})
    failed_after_first = [(e["kind"], e["id"]) for e in ledger(data)]
    with Replica(**SMALL) as replica:
        rerun = run_crawl("challenges", replica, data, settings=job)
        site = replica.site
    expected_entries = sorted(e["image_id"] for e in oracle.expected_entries(site))
    challenges = ids_of(data / "challenges.jsonl", "challenge_id")
    assert sorted(challenges) == sorted(oracle.finished_challenge_ids(site))
    assert sorted(ids_of(data / "entries.jsonl", "image_id")) == expected_entries
    assert first.returncode == 1, first.log[-2000:]
    assert failed_after_first == [("history", None)]
    assert rerun.returncode == 0, rerun.log[-2000:]
    assert ledger(data) == []


def test_failed_pages_exit_1_with_a_summary_naming_failed_jsonl_and_a_clean_finish_exits_0(
    tmp_path,
):
    data = tmp_path / "data"
    with Replica(**SMALL) as replica:
        good, bad = oracle.image_ids(replica.site)[:2]
        replica.reset_faults(FaultConfig(permanent_truncate_ids={bad}))
        arg = f"image_ids={good},{bad}"
        failing = run_crawl("images", replica, data, arg, "thumbnails=0", settings=QUICK_FAILURE)
        replica.reset_faults()
        clean = run_crawl("images", replica, data, arg, "thumbnails=0")
    assert failing.returncode == 1, failing.log[-2000:]
    lines = summary(failing.log)
    assert "written: 1 image" in lines
    assert "skipped as done:" in lines
    assert "failed: " in lines and f"{data}/failed.jsonl" in lines
    assert "next: run the same command again" in lines
    assert clean.returncode == 0, clean.log[-2000:]
    lines = summary(clean.log)
    assert "written: 1 image" in lines
    assert "skipped as done: 1 image_done" in lines
    assert "failed:" not in lines
    assert "next: nothing left to do" in lines


def test_ctrl_c_exits_3(tmp_path):
    data = tmp_path / "data"
    slow = FaultConfig(slow_seconds=0.5, slow_paths=("/challenge_results.php",))
    with Replica(**{**SMALL, "challenges": 8}, faults=slow) as replica:
        process, log = start_crawl("challenges", replica, data, settings=ONE_AT_A_TIME)
        wait_for_lines(data / "entries.jsonl", 1, process)
        code = interrupt(process, signal.SIGINT)
        total = len(oracle.finished_challenge_ids(replica.site))
    assert code == 3
    assert finished("challenges", data, code, log).stats["finish_reason"] == "shutdown"
    assert len(records(data / "challenges.jsonl", "challenge_id")) < total


def test_a_ban_stop_exits_3(tmp_path):
    bans = FaultConfig(ban_every=3, ban_length=50)
    settings = {"DPC_MAX_BANS": "3", "DPC_BAN_PAUSE": "0.2"}
    with Replica(**SMALL, faults=bans) as replica:
        run = run_crawl("challenges", replica, tmp_path / "data", settings=settings)
    assert run.returncode == 3, run.log[-2000:]
    assert run.stats["finish_reason"] == "banned"
    assert "next: the site kept serving its ban page" in summary(run.log)


REFUSALS = [
    pytest.param(
        "images",
        ["image_id=1000041"],
        {},
        ["-a image_id:", "-a image_ids", "-a full_res", "-a thumbnails", "-a challenge_ids"],
        id="unknown argument",
    ),
    pytest.param("images", ["full_res=maybe"], {}, ["-a full_res=maybe", "1 or 0"], id="yes/no"),
    pytest.param("images", ["image_ids=abc"], {}, ["-a image_ids=abc", "'abc'"], id="id list"),
    pytest.param("results", [], {}, ["-a challenge_ids"], id="results without ids"),
    pytest.param(
        "challenges",
        [],
        {"SCRAPERAPI_MODE": "bogus"},
        ["SCRAPERAPI_MODE", "bogus", "proxy"],
        id="unknown scraperapi mode",
    ),
    pytest.param(
        "challenges",
        [],
        {"DPC_DATA_DIR": "{blocker}/data"},
        ["DPC_DATA_DIR=", "not a writable folder"],
        id="unwritable data folder",
    ),
    pytest.param(
        "challenges",
        [],
        {"JOBDIR": "{blocker}/job"},
        ["JOBDIR=", "not a writable folder"],
        id="unwritable jobdir",
    ),
]


@pytest.mark.parametrize(("spider", "args", "settings", "said"), REFUSALS)
def test_bad_arguments_and_settings_exit_2_with_one_line_and_no_request(
    tmp_path, spider, args, settings, said
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    settings = {k: v.format(blocker=blocker) for k, v in settings.items()}
    log_file = tmp_path / "refusal.log"
    with Replica(**SMALL) as replica:
        command = crawl_command(
            spider, replica, tmp_path / "data", args, {"LOG_FILE": str(log_file), **settings}
        )
        done = subprocess.run(
            command, cwd=ROOT, env=child_env(), timeout=60, capture_output=True, text=True
        )
        requests = replica.requests
    log = log_file.read_text() if log_file.exists() else ""
    output = done.stdout + done.stderr + log
    assert done.returncode == 2, output[-2000:]
    assert "Traceback" not in output
    message = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(message) == 1, done.stderr
    for words in said:
        assert words in message[0], message[0]
    assert requests == []


def test_a_folder_of_another_sites_records_refuses_before_any_request_and_stays_as_it_was(
    tmp_path,
):
    data = tmp_path / "data"
    with Replica(**SMALL) as replica:
        first = run_crawl("challenges", replica, data, "challenge_ids=1000")
        assert first.returncode == 0, first.log[-2000:]
        port = urlsplit(replica.base_url).port
        elsewhere = At(f"http://localhost:{port}")
        runs = []
        for _ in ("with site.json", "with only the records"):
            before = folder_bytes(data)
            replica.clear_requests()
            run = run_crawl("challenges", elsewhere, data)
            runs.append((run, replica.requests, before, folder_bytes(data)))
            (data / "site.json").unlink(missing_ok=True)
    for run, requests, before, after in runs:
        assert run.returncode == 2, run.log[-2000:]
        assert "holds records of 127.0.0.1" in run.log
        assert "Traceback" not in run.log
        assert requests == []
        assert after == before


def folder_tree(folder: Path) -> dict[str, tuple]:
    """Every file and folder under `folder` (itself included): kind, size, mtime and bytes."""
    tree = {}
    for path in [folder, *sorted(folder.rglob("*"))]:
        stat = path.lstat()
        body = path.read_bytes() if path.is_file() else None
        tree[str(path.relative_to(folder))] = (path.is_dir(), stat.st_size, stat.st_mtime_ns, body)
    return tree


@pytest.mark.parametrize("spider", ["challenges", "images"])
def test_a_crawl_from_another_host_changes_nothing_in_the_folder(tmp_path, spider):
    """127.0.0.2 against a folder of 127.0.0.1: no record, file, archive, cache or stats changed."""
    data = tmp_path / "data"
    cache = {"HTTPCACHE_ENABLED": "True", "HTTPCACHE_DIR": str(data / "httpcache")}
    with Replica(**SMALL) as replica:
        cid = oracle.finished_challenge_ids(replica.site)[0]
        first = run_crawl("challenges", replica, data, f"challenge_ids={cid}", settings=cache)
        images = run_crawl("images", replica, data, f"challenge_ids={cid}", settings=cache)
        assert first.returncode == images.returncode == 0, first.log[-2000:] + images.log[-2000:]
        assert list((data / "images" / "thumbs").iterdir()) and list((data / "archive").iterdir())
        assert list((data / "httpcache").rglob("*")) and (data / "images.jsonl").exists()
        before = folder_tree(data)
        replica.clear_requests()
        other_host = At(replica.base_url.replace("127.0.0.1", "127.0.0.2"))
        run = run_crawl(spider, other_host, data, settings=cache)
        requests = replica.requests
        after = folder_tree(data)
    assert run.returncode == 2, run.log[-2000:]
    assert "holds records of 127.0.0.1" in run.log and "127.0.0.2" in run.log
    assert "Traceback" not in run.log
    assert requests == []
    assert after == before


def test_an_images_run_stopped_while_reading_results_pages_is_finished_by_the_rerun(tmp_path):
    """What a stopped images-first run leaves: one challenge's entries, one of them missing and
    its challenge record not written yet, the other challenges not read at all."""
    data = tmp_path / "data"
    with Replica(**SMALL) as replica:
        site = replica.site
        first_id = oracle.finished_challenge_ids(site)[0]
        run_crawl("challenges", replica, data, f"challenge_ids={first_id}")
        lines = (data / "entries.jsonl").read_text().splitlines(keepends=True)
        (data / "entries.jsonl").write_text("".join(lines[1:]))
        (data / "challenges.jsonl").write_text("")
        rerun = run_crawl("images", replica, data)
    assert rerun.returncode == 0, rerun.log[-2000:]
    assert sorted(ids_of(data / "images.jsonl", "image_id")) == oracle.image_ids(site)
    expected_entries = sorted(e["image_id"] for e in oracle.expected_entries(site))
    assert sorted(ids_of(data / "entries.jsonl", "image_id")) == expected_entries
    challenges = sorted(ids_of(data / "challenges.jsonl", "challenge_id"))
    assert challenges == sorted(oracle.finished_challenge_ids(site))


def test_removed_images_are_done_after_one_full_res_run(tmp_path):
    data = tmp_path / "data"
    with Replica(**SMALL) as replica:
        site = replica.site
        assert oracle.removed_image_ids(site), "the replica has a removed image"
        ids = "image_ids=" + ",".join(map(str, oracle.image_ids(site)))
        first = run_crawl("images", replica, data, ids, "full_res=1")
        # the done list is worked out at the close, for the next start
        kept = pickle.loads((data / ".done-images.full+thumb").read_bytes())
        assert sorted(kept["ids"]) == oracle.image_ids(site)
        replica.clear_requests()
        second = run_crawl("images", replica, data, ids, "full_res=1")
        pages_second = [r.path for r in replica.requests if r.path.startswith("/image.php")]
        kept_image = next(
            i for i in oracle.image_ids(site) if i not in oracle.removed_image_ids(site)
        )
        (data / "images" / "full" / f"{kept_image}.jpg").unlink()
        replica.clear_requests()
        third = run_crawl("images", replica, data, ids, "full_res=1")
        pages_third = [r.path for r in replica.requests if r.path.startswith("/image.php")]
    assert pages_second == []
    assert pages_third == [f"/image.php?IMAGE_ID={kept_image}"], "a file gone is fetched again"
    for run in (first, second, third):
        assert run.returncode == 0, run.log[-2000:]
    assert sorted(ids_of(data / "images.jsonl", "image_id")) == oracle.image_ids(site)


def test_a_challenge_with_a_removed_entry_without_link_is_done_after_one_run(tmp_path):
    """Submissions counts the removed row; the rerun fetches the history list and nothing else."""
    data = tmp_path / "data"
    with Replica(**SMALL) as replica:
        site = replica.site
        [cid] = oracle.withdrawn_challenge_ids(site)
        first = run_crawl("challenges", replica, data)
        replica.clear_requests()
        rerun = run_crawl("challenges", replica, data)
        requested = asked(replica)
    assert first.returncode == rerun.returncode == 0, first.log[-2000:] + rerun.log[-2000:]
    challenge = next(
        r for r in records(data / "challenges.jsonl", "challenge_id") if r["challenge_id"] == cid
    )
    assert challenge["results_incomplete"] is False
    assert challenge == {
        **oracle.expected_challenge(site, cid),
        "crawled_at": challenge["crawled_at"],
    }
    entries = [e for e in records(data / "entries.jsonl", "image_id") if e["challenge_id"] == cid]
    assert len(entries) == len(oracle.expected_entries(site, cid)) < challenge["entries"]
    assert first.stat("dpc/results/removed_without_link") == 1
    assert "no IMAGE_ID link" not in first.log
    assert requested == ["pages:/challenge_history.php?show_all=1"]
    assert rerun.stat("dpc/skipped/challenge_done") == len(oracle.finished_challenge_ids(site))


def test_a_refresh_without_full_res_keeps_the_full_files_in_the_records(tmp_path):
    data = tmp_path / "data"
    with Replica(**SMALL) as replica:
        site = replica.site
        ids = "image_ids=" + ",".join(map(str, oracle.image_ids(site)[:4]))
        first = run_crawl("images", replica, data, ids, "full_res=1")
        refreshed = run_crawl("images", replica, data, ids, "refresh=1")
    written = records(data / "images.jsonl", "image_id")
    with_full = [r for r in written if r["image_url"]]
    assert len(with_full) == 4
    for record in with_full:
        full = [f for f in record["files"] if f["kind"] == "full"]
        assert full, f"image {record['image_id']}: the full file left the record"
        assert full[0]["path"] == f"full/{record['image_id']}.jpg"
        body = (data / "images" / full[0]["path"]).read_bytes()
        assert full[0]["sha256"] == hashlib.sha256(body).hexdigest()
        assert full[0]["bytes"] == len(body)
    assert first.returncode == 0, first.log[-2000:]
    assert refreshed.returncode == 0, refreshed.log[-2000:]
    assert refreshed.stat("dpc/written/images.jsonl") == 4


def test_scripts_crawl_stops_the_whole_job_on_ctrl_c(tmp_path):
    data = tmp_path / "data"
    slow = [
        "-s",
        "DOWNLOAD_DELAY=1",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DPC_IMAGES_DELAY=0",
    ]
    with Replica(**SMALL) as replica:
        env = child_env(
            {
                "DPC_BASE_URL": replica.base_url,
                "DPC_DATA_DIR": str(data),
                "DPC_JOB_DIR": str(tmp_path / "jobs"),
            }
        )
        command = [str(ROOT / "scripts" / "crawl"), *slow, "-s", f"LOG_FILE={tmp_path}/crawl.log"]
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for_lines(data / "entries.jsonl", 1, process, timeout=120)
            os.killpg(process.pid, signal.SIGINT)
            _, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        time.sleep(0.5)  # a wrongly started images step would have asked by now
        image_pages = [r.path for r in replica.requests if r.path.startswith("/image.php")]
    assert process.returncode == 3, stderr  # stopped early, as a crawl's own Ctrl-C
    lines = stderr.strip().splitlines()
    assert lines[-1] == "scripts/crawl: stopped (exit 3); run scripts/crawl again to resume"
    assert "next: stopped by Ctrl-C or a signal; run the same command again" in stderr
    assert image_pages == []
    assert not (data / "images.jsonl").exists()


def test_a_torn_line_in_the_middle_is_repaired_with_a_counted_warning_and_fetched_again(tmp_path):
    data = tmp_path / "data"
    with Replica(**SMALL) as replica:
        ids = oracle.image_ids(replica.site)[:4]
        arg = "image_ids=" + ",".join(map(str, ids))
        run_crawl("images", replica, data, arg, "thumbnails=0")
        path = data / "images.jsonl"
        lines = path.read_bytes().splitlines(keepends=True)
        torn_id = json.loads(lines[1])["image_id"]
        lines[1] = lines[1][: len(lines[1]) // 2] + b"\n"
        path.write_bytes(b"".join(lines))
        replica.clear_requests()
        rerun = run_crawl("images", replica, data, arg, "thumbnails=0")
        fetched = [r.path for r in replica.requests if r.path.startswith("/image.php")]
    assert fetched == [f"/image.php?IMAGE_ID={torn_id}"]
    assert sorted(ids_of(path, "image_id")) == sorted(ids)
    assert "dropped 1 torn or unparsable line(s)" in rerun.log
    assert rerun.stat("dpc/jsonl/repaired_lines") == 1
    assert rerun.returncode == 0, rerun.log[-2000:]


def test_a_torn_write_glued_to_a_later_append_is_torn_not_a_record(tmp_path):
    data = tmp_path / "data"
    with Replica(**SMALL) as replica:
        ids = oracle.image_ids(replica.site)[:4]
        kept, lost = ids[:3], ids[3]
        run_crawl("images", replica, data, "image_ids=" + ",".join(map(str, kept)), "thumbnails=0")
        path = data / "images.jsonl"
        later = json.loads(path.read_bytes().splitlines()[0])
        later["image_id"] = lost
        later_line = json.dumps(later, ensure_ascii=False, separators=(", ", ": ")) + "\n"
        with path.open("ab") as handle:  # after the clean close, as a crashed later run would
            handle.write(b'{"image_id": 5, "title": "x' + later_line.encode())
        replica.clear_requests()
        rerun = run_crawl(
            "images", replica, data, "image_ids=" + ",".join(map(str, ids)), "thumbnails=0"
        )
        fetched = [r.path for r in replica.requests if r.path.startswith("/image.php")]
    assert not [line for line in path.read_bytes().splitlines() if b'"image_id": 5,' in line]
    assert fetched == [f"/image.php?IMAGE_ID={lost}"]
    assert sorted(ids_of(path, "image_id")) == sorted(ids)
    assert "dropped 1 torn or unparsable line(s)" in rerun.log
    assert rerun.stat("dpc/jsonl/repaired_lines") == 1
    assert rerun.returncode == 0, rerun.log[-2000:]
