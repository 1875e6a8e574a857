"""Faults a weeks-long crawl meets besides the site's: full disks, damaged files, the HTTP cache,
two writers, leaked cookies and ports. Each test injects its fault."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import oracle
import pytest
from crawling import ROOT, records, run_crawl, start_crawl, wait_for_lines
from PIL import Image

from dpchallenge.pipelines.media import allowed_hosts, on_hosts
from dpchallenge.replica import FaultConfig, Replica

SMALL = {"seed": 5, "challenges": 4, "entries": 4}
LOGIN = {"DPC_USERNAME": "tester", "DPC_PASSWORD": "s3cret-pass"}
DISK_FULL = ("tests/diskfull.py",)


def ledger(data: Path) -> list[dict]:
    path = data / "failed.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def assert_files_match_records(data: Path) -> int:
    """Every path a record names is a whole JPEG with the recorded sha256 and size."""
    checked = 0
    for record in records(data / "images.jsonl", "image_id"):
        for stored in record["files"]:
            if stored["path"] is None:
                continue
            body = (data / "images" / stored["path"]).read_bytes()
            assert hashlib.sha256(body).hexdigest() == stored["sha256"], stored["path"]
            assert len(body) == stored["bytes"], stored["path"]
            checked += 1
    for entry in records(data / "entries.jsonl", "image_id"):
        if entry["thumbnail_path"]:
            with Image.open(data / "images" / entry["thumbnail_path"]) as image:
                image.load()
            checked += 1
    return checked


def test_a_full_disk_stops_the_crawl_and_the_rerun_after_freeing_space_finishes(tmp_path):
    data = tmp_path / "data"
    with Replica(**SMALL) as replica:
        expected = sorted(i["image_id"] for i in oracle.expected_images(replica.site))
        full = run_crawl(
            "images",
            replica,
            data,
            "full_res=1",
            settings={"DPC_ARCHIVE": "0"},
            env={"DISKFULL_DIR": str(data), "DISKFULL_BYTES": "120000"},
            scrapy=DISK_FULL,
        )
        assert full.returncode == 3, full.log[-3000:]
        assert "Spider closed (write_error)" in full.log  # no stats file: the disk is full
        assert "No space left on device; stopping" in full.log
        written = records(data / "images.jsonl", "image_id")  # every line whole
        assert len(written) < len(expected)
        assert_files_match_records(data)
        for path in (data / "images").rglob("*"):
            assert not path.is_file() or path.stat().st_size > 0, path
            assert not path.name.endswith(".tmp"), path
        rerun = run_crawl("images", replica, data, "full_res=1")
    assert rerun.returncode == 0, rerun.log[-3000:]
    ids = [r["image_id"] for r in records(data / "images.jsonl", "image_id")]
    assert sorted(ids) == expected
    assert assert_files_match_records(data) >= len(expected)


def test_a_damaged_stored_file_is_fetched_again_not_taken_as_stored(tmp_path):
    with Replica(**SMALL) as replica:
        ids = [i["image_id"] for i in oracle.expected_images(replica.site) if i["image_url"]][:3]
        arg = "image_ids=" + ",".join(map(str, ids))
        run_crawl("images", replica, tmp_path, arg, "full_res=1")
        damaged = tmp_path / "images" / "full" / f"{ids[0]}.jpg"
        damaged.write_bytes(damaged.read_bytes()[:1000])  # cut short, e.g. by a full disk
        lines = (tmp_path / "images.jsonl").read_text().splitlines(keepends=True)
        keep = [line for line in lines if f'"image_id": {ids[0]},' not in line]
        (tmp_path / "images.jsonl").write_text("".join(keep))
        replica.clear_requests()
        rerun = run_crawl("images", replica, tmp_path, arg, "full_res=1")
        fetched = [r.path for r in replica.requests if "/1200/" in r.path]
    assert rerun.returncode == 0
    assert len(fetched) == 1 and fetched[0].endswith(f"_{ids[0]}.jpg")
    assert_files_match_records(tmp_path)


def test_a_record_whose_file_went_missing_is_not_done(tmp_path):
    with Replica(**SMALL) as replica:
        ids = [i["image_id"] for i in oracle.expected_images(replica.site) if i["image_url"]][:2]
        arg = "image_ids=" + ",".join(map(str, ids))
        run_crawl("images", replica, tmp_path, arg, "full_res=1")
        (tmp_path / "images" / "full" / f"{ids[1]}.jpg").unlink()
        replica.clear_requests()
        rerun = run_crawl("images", replica, tmp_path, arg, "full_res=1")
        pages = [r.path for r in replica.requests if r.path.startswith("/image.php")]
    assert rerun.returncode == 0
    assert pages == [f"/image.php?IMAGE_ID={ids[1]}"]
    assert_files_match_records(tmp_path)


def test_unreadable_jobdir_state_is_reset_with_a_warning(tmp_path):
    job = tmp_path / "job"
    job.mkdir()
    (job / "spider.state").write_bytes(b"")  # what a full disk leaves
    with Replica(**SMALL) as replica:
        ids = oracle.image_ids(replica.site)[:2]
        run = run_crawl(
            "images",
            replica,
            tmp_path / "data",
            "image_ids=" + ",".join(map(str, ids)),
            settings={"JOBDIR": str(job)},
        )
    assert run.returncode == 0, run.log[-2000:]
    assert "spider.state does not read back" in run.log
    assert "EOFError" not in run.log
    with (job / "spider.state").open("rb") as handle:
        pickle.load(handle)


def cached_statuses(cache: Path) -> list[int]:
    statuses = []
    for meta in cache.rglob("pickled_meta"):
        with meta.open("rb") as handle:
            statuses.append(pickle.load(handle)["status"])
    return statuses


def cached_bodies(cache: Path) -> list[bytes]:
    return [path.read_bytes() for path in cache.rglob("response_body")]


@pytest.mark.parametrize(
    "fault, config",
    [
        ("503", {"status_503_every": 2, "retry_after": 0}),
        ("429", {"status_429_every": 2, "retry_after": 0}),
        ("ban", {"ban_every": 3}),
        ("truncated", {"truncate_every": 2, "truncate_mode": "no_length"}),
    ],
)
def test_the_cache_keeps_only_whole_200_pages(tmp_path, fault, config):
    cache = tmp_path / "cache"
    settings = {"HTTPCACHE_ENABLED": "True", "HTTPCACHE_DIR": str(cache), "DPC_BAN_PAUSE": "0.1"}
    with Replica(**SMALL, faults=FaultConfig(**config)) as replica:
        run = run_crawl("challenges", replica, tmp_path / "data", settings=settings)
        served = [r.fault for r in replica.requests if r.host == "pages"]
        site = replica.site
    assert fault in served
    assert run.returncode == 0, run.log[-2000:]
    written = records(tmp_path / "data" / "challenges.jsonl", "challenge_id")
    assert sorted(r["challenge_id"] for r in written) == sorted(oracle.finished_challenge_ids(site))
    statuses = cached_statuses(cache)
    assert statuses and set(statuses) == {200}
    assert len(statuses) == served.count(None) - 1, "every whole page but robots.txt"
    for body in cached_bodies(cache):
        assert b"suspicious activity" not in body and b"</html>" in body.lower()


def test_a_503_is_not_replayed_from_the_cache_to_the_retry(tmp_path):
    """The retry of a 503 reaches the site instead of getting the cached 503 back."""
    faults = FaultConfig(status_503_every=1, status_503_length=1, retry_after=0)
    cache = tmp_path / "cache"
    settings = {"HTTPCACHE_ENABLED": "True", "HTTPCACHE_DIR": str(cache)}
    with Replica(**SMALL, faults=faults) as replica:
        image_id = oracle.image_ids(replica.site)[0]
        run = run_crawl(
            "images",
            replica,
            tmp_path / "data",
            f"image_ids={image_id}",
            "thumbnails=0",
            settings=settings,
        )
        asked = [r for r in replica.requests if r.path == f"/image.php?IMAGE_ID={image_id}"]
    assert [r.status for r in asked] == [200, 503, 200][: len(asked)] or asked[-1].status == 200
    assert run.returncode == 0, run.log[-2000:]
    assert [r["image_id"] for r in records(tmp_path / "data" / "images.jsonl", "image_id")] == [
        image_id
    ]


def test_a_second_crawl_on_the_same_folder_refuses_before_any_request(tmp_path):
    one = {"CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DOWNLOAD_DELAY": "1"}
    with Replica(**SMALL) as replica:
        ids = "image_ids=" + ",".join(map(str, oracle.image_ids(replica.site)[:8]))
        first, _ = start_crawl("images", replica, tmp_path, ids, "thumbnails=0", settings=one)
        wait_for_lines(tmp_path / "images.jsonl", 1, first)
        replica.clear_requests()
        second = run_crawl("challenges", replica, tmp_path)
        assert first.poll() is None, "the first crawl was still writing"
        asked_during = [r for r in replica.requests if r.path.startswith("/challenge")]
        first.wait(timeout=60)
    assert second.returncode == 2
    assert "another crawl is writing" in second.log
    assert not asked_during
    assert first.returncode == 0
    ids_written = [r["image_id"] for r in records(tmp_path / "images.jsonl", "image_id")]
    assert len(ids_written) == 8


def test_a_thumbnail_that_failed_is_fetched_again_by_the_rerun(tmp_path):
    with Replica(**SMALL) as replica:
        entry = oracle.expected_entries(replica.site)[0]
        faults = FaultConfig(corrupt_image_ids={entry["image_id"]}, fault_hosts=("images",))
        replica.reset_faults(faults)
        first = run_crawl("challenges", replica, tmp_path)
        rows = {r["image_id"]: r for r in records(tmp_path / "entries.jsonl", "image_id")}
        assert rows[entry["image_id"]]["thumbnail_path"] is None
        assert "not a whole image" in rows[entry["image_id"]]["thumbnail_error"]
        assert [(f["kind"], f["id"]) for f in ledger(tmp_path)] == [("thumb", entry["image_id"])]
        replica.clear_requests()
        rerun = run_crawl("challenges", replica, tmp_path)
        thumbs = [r.path for r in replica.requests if "/120/" in r.path]
    assert first.returncode == 1, "a file failed"
    assert rerun.returncode == 0, rerun.log[-2000:]
    assert thumbs and all(p.endswith(f"_{entry['image_id']}.jpg") for p in thumbs)
    rows = {r["image_id"]: r for r in records(tmp_path / "entries.jsonl", "image_id")}
    assert rows[entry["image_id"]]["thumbnail_path"] == f"thumbs/{entry['image_id']}.jpg"
    assert rows[entry["image_id"]]["thumbnail_error"] is None
    assert ledger(tmp_path) == []


def test_the_image_hosts_ban_page_is_a_ban_waited_out(tmp_path):
    with Replica(**SMALL) as replica:
        image_id = oracle.image_ids(replica.site)[0]
        replica.reset_faults(FaultConfig(file_ban_ids={image_id}))
        run = run_crawl(
            "images",
            replica,
            tmp_path,
            f"image_ids={image_id}",
            "full_res=1",
            settings={"DPC_BAN_PAUSE": "0.5"},
        )
        files = [r for r in replica.requests if r.host == "images" and "_" in r.path]
    assert run.returncode == 0, run.log[-2000:]
    assert run.stat("dpc/bans/pages") >= 1
    banned = [r for r in files if r.fault == "ban"]
    assert banned
    retry = next(r for r in files if r.path == banned[0].path and r.fault is None)
    assert retry.time - banned[0].time >= 0.5 * 0.98
    stored = records(tmp_path / "images.jsonl", "image_id")[0]["files"]
    assert all(f["path"] for f in stored), stored


def test_the_session_cookie_reaches_no_cache_jobdir_or_log(tmp_path):
    faults = FaultConfig(
        status_503_every=2, retry_after=0, slow_seconds=0.1, slow_paths=("/image",)
    )
    cache, job = tmp_path / "cache", tmp_path / "job"
    settings = {
        "HTTPCACHE_ENABLED": "True",
        "HTTPCACHE_DIR": str(cache),
        "JOBDIR": str(job),
        "LOG_LEVEL": "DEBUG",
        "COOKIES_DEBUG": "True",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "1",
    }
    with Replica(**SMALL, faults=faults) as replica:
        ids = "image_ids=" + ",".join(map(str, oracle.image_ids(replica.site)[:10]))
        process, log = start_crawl(
            "images", replica, tmp_path / "data", ids, "thumbnails=0", settings=settings, env=LOGIN
        )
        wait_for_lines(tmp_path / "data" / "images.jsonl", 3, process)
        process.send_signal(signal.SIGINT)  # pause: the queue stays in JOBDIR
        process.wait(timeout=60)
        sessions = list(replica._sessions)
    assert sessions, "the crawl logged in"
    assert any(job.rglob("*")) and any(cache.rglob("*"))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    for path in files:
        body = path.read_bytes()
        for token in sessions:
            assert token.encode() not in body, path
        assert b"s3cret-pass" not in body, path
    assert "[secret]" in log.read_text(), "the cookie value was there to redact"


def test_secrets_given_as_arguments_are_refused_without_being_printed(tmp_path):
    with Replica(**SMALL) as replica:
        for name in ("SCRAPERAPI_KEY", "DPC_PASSWORD"):
            run = run_crawl("images", replica, tmp_path, f"{name}=leaked-value-123")
            assert run.returncode == 2
            assert f"-a {name}: secrets are never taken as arguments" in run.log
            assert "leaked-value-123" not in run.log
        assert not replica.requests


def test_login_through_the_api_mode_is_refused_before_any_request(tmp_path):
    env = {**LOGIN, "SCRAPERAPI_KEY": "k" * 20, "SCRAPERAPI_MODE": "api"}
    with Replica(**SMALL) as replica:
        run = run_crawl("images", replica, tmp_path, settings={"SCRAPERAPI_MODE": "api"}, env=env)
        assert not replica.requests
    assert run.returncode == 2
    assert "API mode cannot work" in run.log


def listening_sockets(pid: int) -> list[str]:
    """The listening TCP sockets among a process's open files."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:
                listening.append(fields[1])
    return listening


def test_the_crawl_listens_on_no_port_and_leaves_no_job_file(tmp_path):
    job_files = Path.home() / ".local" / "state" / "scrapy" / "job_files"
    before = set(job_files.glob("*")) if job_files.exists() else set()
    slow = FaultConfig(slow_seconds=0.2, slow_paths=("/image.php",))
    with Replica(**SMALL, faults=slow) as replica:
        ids = "image_ids=" + ",".join(map(str, oracle.image_ids(replica.site)[:6]))
        process, log = start_crawl("images", replica, tmp_path, ids, "thumbnails=0")
        wait_for_lines(tmp_path / "images.jsonl", 1, process)
        sockets = listening_sockets(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert sockets == []
    after = set(job_files.glob("*")) if job_files.exists() else set()
    assert after == before
    assert "Telnet" not in log.read_text()


def test_files_from_another_host_are_refused():
    hosts = allowed_hosts("https://www.dpchallenge.com")
    urls = {
        "thumb": "https://images.dpchallenge.com/a/120/x_7.jpg",
        "full": "https://tracker.example.net/1200/x_7.jpg",
    }
    allowed, refused = on_hosts(urls, hosts)
    assert allowed == {"thumb": urls["thumb"]}
    assert refused == {"full": urls["full"]}
    assert on_hosts({"thumb": "http://127.0.0.1:9/a.jpg"}, allowed_hosts("http://127.0.0.1:8"))[0]


def test_the_wrapper_that_fills_the_disk_really_fails_writes(tmp_path):
    """The disk-full test relies on this wrapper; check it on its own."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os\n"
        "fd = os.open(os.environ['DISKFULL_DIR'] + '/f', os.O_WRONLY | os.O_CREAT)\n"
        "print('short write of', os.write(fd, b'x' * 10))\n"
        "os.write(fd, b'y')\n"
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "diskfull.py"), "runspider", str(probe)],
        env={
            **{k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"},
            "DISKFULL_DIR": str(tmp_path),
            "DISKFULL_BYTES": "4",
        },
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert "short write of 4" in done.stdout
    assert "No space left on device" in done.stderr
    assert (tmp_path / "f").read_bytes() == b"xxxx"
