"""The command line as a person meets it: typos, what a run prints last, `dpc` from any folder,
`scrapy merge`'s one line."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import oracle
from crawling import FAST, ROOT, child_env, records

from dpchallenge.data.records import mark_verified
from dpchallenge.replica import Replica

SMALL = {"seed": 5, "challenges": 4, "entries": 4}


def run(command: list[str], cwd: Path = ROOT, env: dict | None = None):
    return subprocess.run(
        [sys.executable, *command],
        cwd=cwd,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=180,
    )


def settings(replica, data: Path, **more) -> list[str]:
    given = {**FAST, "DPC_BASE_URL": replica.base_url, "DPC_DATA_DIR": str(data), **more}
    return [arg for key, value in given.items() for arg in ("-s", f"{key}={value}")]


def test_a_misspelled_spider_is_one_line_naming_the_spiders_with_exit_2(tmp_path):
    done = run(["-m", "scrapy", "crawl", "image", "-s", f"DPC_DATA_DIR={tmp_path / 'd'}"])
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "scrapy crawl image: no spider named 'image'; did you mean images? "
        "the spiders are challenges, images, results"
    ]
    assert not (tmp_path / "d").exists()


def summary_at_the_end(stderr: str) -> list[str]:
    """The summary's lines, which must be the last thing the run printed."""
    lines = stderr.rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("summary (exit status")]
    assert starts, stderr[-3000:]
    tail = lines[starts[-1] :]
    assert all(line.startswith("  ") for line in tail[1:]), stderr[-3000:]
    assert tail[-1].startswith("  next: "), stderr[-3000:]
    return tail


def test_the_summary_is_the_last_thing_a_run_prints_even_at_warning_level(tmp_path):
    data = tmp_path / "data"
    with Replica(**SMALL) as replica:
        first = run(["-m", "scrapy", "crawl", "challenges", *settings(replica, data)])
        quiet = run(
            ["-m", "scrapy", "crawl", "challenges", *settings(replica, data, LOG_LEVEL="WARNING")]
        )
    assert first.returncode == 0, first.stderr[-3000:]
    tail = summary_at_the_end(first.stderr)
    assert tail[0] == "summary (exit status 0):"
    assert "  next: nothing left to do for this command" in tail
    assert "Dumping Scrapy stats" not in first.stderr
    for listing in ("Overridden settings", "Enabled downloader middlewares", "Versions:"):
        assert listing not in first.stderr
    assert len(first.stderr.splitlines()) < 40, first.stderr
    stats = json.loads((data / "stats" / "challenges.json").read_text())
    assert stats["finish_reason"] == "finished" and stats["dpc/exit_code"] == 0
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert summary_at_the_end(quiet.stderr)[0] == "summary (exit status 0):"
    assert " INFO: " not in quiet.stderr


def test_a_log_file_keeps_the_summary_and_scrapys_start_up_details(tmp_path):
    data, log = tmp_path / "data", tmp_path / "crawl.log"
    with Replica(**SMALL) as replica:
        done = run(["-m", "scrapy", "crawl", "challenges", *settings(replica, data, LOG_FILE=log)])
    assert done.returncode == 0, done.stderr
    text = log.read_text()
    assert "Overridden settings" in text and "Dumping Scrapy stats" in text
    assert "summary (exit status 0)" in text
    assert summary_at_the_end(done.stderr)[0] == "summary (exit status 0):"


def test_the_console_command_works_from_any_folder(tmp_path):
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"dpc": "dpchallenge.__main__:main"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert "Unknown command: export" in run(["-m", "scrapy", "export", "--help"], elsewhere).stdout
    helped = run(["-m", "dpchallenge", "export", "--help"], elsewhere)
    assert helped.returncode == 0 and "--out DIR" in helped.stdout, helped.stderr
    with Replica(**SMALL) as replica:
        challenge = oracle.finished_challenge_ids(replica.site)[0]
        given = settings(replica, Path("mine"))
        args = ["-a", f"challenge_ids={challenge}"]
        done = run(["-m", "dpchallenge", "crawl", "results", *args, *given], elsewhere)
    assert done.returncode == 0, done.stderr[-3000:]
    written = records(elsewhere / "mine" / "challenges.jsonl", "challenge_id")
    assert [r["challenge_id"] for r in written] == [challenge]
    exported = run(["-m", "dpchallenge", "export", "ava", "--out", "ava", *given], elsewhere)
    assert exported.returncode == 0, exported.stderr
    assert (elsewhere / "ava" / "challenges.txt").is_file()
    assert not (elsewhere / "data").exists()


def write_lines(path: Path, *records: dict) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_merge_says_what_it_did_in_one_line_and_leaves_no_worker_files(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    old, new = "2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00"
    write_lines(data / "images.w1.jsonl", {"image_id": 1, "crawled_at": old})
    write_lines(
        data / "images.w2.jsonl",
        {"image_id": 2, "crawled_at": old},
        {"image_id": 1, "crawled_at": new},
    )
    write_lines(data / "entries.w1.jsonl", {"image_id": 1, "challenge_id": 7})
    for part in ("images.w1.jsonl", "images.w2.jsonl", "entries.w1.jsonl"):
        mark_verified(data / part)
        (data / f".{part}.images-2.facts").write_bytes(b"cache")
    for leftover in (".lock.w1", ".lock.w2", ".images.w3.jsonl.verified"):
        (data / leftover).write_bytes(b"")
    done = run(["-m", "scrapy", "merge"], env={"DPC_DATA_DIR": str(data)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines() == [
        f"scrapy merge: 3 part(s) merged in {data}; records: challenges.jsonl 0, "
        "entries.jsonl 1, images.jsonl 2, failed.jsonl 0, invalid.jsonl 0"
    ]
    merged = {r["image_id"]: r["crawled_at"] for r in records(data / "images.jsonl", "image_id")}
    assert merged == {1: new, 2: old}
    left = sorted(p.name for p in data.iterdir())
    assert left == [
        ".entries.jsonl.verified",
        ".images.jsonl.verified",
        ".lock",
        "entries.jsonl",
        "images.jsonl",
    ], left


def test_scripts_crawl_ends_with_one_closing_line(tmp_path):
    data = tmp_path / "data"
    with Replica(**SMALL) as replica:
        env = child_env({"DPC_JOB_DIR": str(tmp_path / "jobs"), "DPC_FULL_RES": "0"})
        done = subprocess.run(
            [str(ROOT / "scripts" / "crawl"), *settings(replica, data)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stderr.rstrip().splitlines()
    assert lines[-1].startswith("scripts/crawl: finished (exit 0)"), lines[-8:]
    assert lines[-2] == "  next: nothing left to do for this command", lines[-8:]
    assert len(records(data / "images.jsonl", "image_id")) == len(oracle.image_ids(replica.site))
