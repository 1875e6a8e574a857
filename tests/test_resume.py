"""Stops of every kind: Ctrl-C with JOBDIR, kill -9 with and without JOBDIR, a torn last line."""

from __future__ import annotations

import signal
import time

import oracle
from crawling import finished, interrupt, records, run_crawl, start_crawl, wait_for_lines

from dpchallenge.replica import FaultConfig, Replica

SIZE = {"seed": 9, "challenges": 6, "entries": 6}
SLOW_PAGES = FaultConfig(slow_seconds=0.08, slow_paths=("/image.php",))
SLOW_THUMBS = FaultConfig(slow_seconds=0.08, slow_paths=("/120/",), fault_hosts=("pages", "images"))
ONE_AT_A_TIME = {"CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DPC_IMAGES_CONCURRENCY": "1"}


def assert_each_once(path, key, expected_ids):
    written = records(path, key)
    ids = [record[key] for record in written]
    assert len(ids) == len(set(ids)), "duplicate records"
    assert sorted(ids) == sorted(expected_ids)


def expected_image_ids(site):
    return [image["image_id"] for image in oracle.expected_images(site)]


def test_ctrl_c_then_the_same_command_with_jobdir_resumes_from_the_queue(tmp_path):
    job = {"JOBDIR": str(tmp_path / "job"), **ONE_AT_A_TIME}
    with Replica(**SIZE, faults=SLOW_PAGES) as replica:
        process, log = start_crawl("images", replica, tmp_path, "full_res=1", settings=job)
        wait_for_lines(tmp_path / "images.jsonl", 5, process)
        assert interrupt(process, signal.SIGINT) == 3, "stopped early"
        paused = finished("images", tmp_path, 0, log)
        assert paused.stats["finish_reason"] == "shutdown"
        done_before = len(records(tmp_path / "images.jsonl", "image_id"))
        assert 5 <= done_before < len(expected_image_ids(replica.site))
        assert (tmp_path / "job" / "requests.queue").is_dir()
        resumed = run_crawl("images", replica, tmp_path, "full_res=1", settings=job)
        site = replica.site
    assert resumed.stats["finish_reason"] == "finished"
    assert resumed.stat("scheduler/dequeued/disk") > 0, "resumed from the saved queue"
    assert resumed.stat("dpc/jobdir/reset_after_crash") == 0
    assert_each_once(tmp_path / "images.jsonl", "image_id", expected_image_ids(site))
    for record in records(tmp_path / "images.jsonl", "image_id"):
        if record["image_url"]:  # a removed image has no files
            assert {f["kind"] for f in record["files"] if f["path"]} == {"thumb", "full"}


def test_kill_9_then_the_same_command_with_jobdir_finishes_every_record_once(tmp_path):
    """Enough requests that Scrapy's seen-list reaches the disk before the kill."""
    job = {"JOBDIR": str(tmp_path / "job"), **ONE_AT_A_TIME}
    with Replica(seed=9, challenges=12, entries=20, faults=SLOW_PAGES) as replica:
        run_crawl("challenges", replica, tmp_path, settings={"DPC_IMAGES_DELAY": "0"})
        process, _ = start_crawl("images", replica, tmp_path, "thumbnails=0", settings=job)
        wait_for_lines(tmp_path / "images.jsonl", 6, process)
        # The image requests reach the scheduler as the history page's output is worked through,
        # so the seen-list's first buffered write may come a moment after the sixth record.
        wait_for_bytes(tmp_path / "job" / "requests.seen", process)
        interrupt(process, signal.SIGKILL)
        assert len(records(tmp_path / "images.jsonl", "image_id")) < len(
            expected_image_ids(replica.site)
        )
        rerun = run_crawl("images", replica, tmp_path, "thumbnails=0", settings=job)
        site = replica.site
    assert rerun.stats["finish_reason"] == "finished"
    assert rerun.stat("dpc/jobdir/reset_after_crash") == 1
    assert "did not stop cleanly" in rerun.log
    assert_each_once(tmp_path / "images.jsonl", "image_id", expected_image_ids(site))


def test_kill_9_of_the_challenges_crawl_loses_no_entry(tmp_path):
    """A challenge record can land before its entries (their thumbnails are still downloading)."""
    with Replica(**SIZE, faults=SLOW_THUMBS) as replica:
        process, _ = start_crawl("challenges", replica, tmp_path, settings=ONE_AT_A_TIME)
        wait_for_lines(tmp_path / "entries.jsonl", 8, process)
        interrupt(process, signal.SIGKILL)
        rerun = run_crawl("challenges", replica, tmp_path, settings=ONE_AT_A_TIME)
        site = replica.site
    assert rerun.stats["finish_reason"] == "finished"
    assert_each_once(
        tmp_path / "challenges.jsonl", "challenge_id", oracle.finished_challenge_ids(site)
    )
    assert_each_once(
        tmp_path / "entries.jsonl",
        "image_id",
        [e["image_id"] for e in oracle.expected_entries(site)],
    )
    for entry in records(tmp_path / "entries.jsonl", "image_id"):
        if entry["thumbnail_url"]:
            assert (tmp_path / "images" / entry["thumbnail_path"]).is_file()


def test_a_torn_last_line_from_a_crash_is_repaired_and_its_record_fetched_again(tmp_path):
    with Replica(**SIZE) as replica:
        ids = expected_image_ids(replica.site)[:4]
        arg = "image_ids=" + ",".join(map(str, ids))
        run_crawl("images", replica, tmp_path, arg)
        path = tmp_path / "images.jsonl"
        lines = path.read_bytes().splitlines(keepends=True)
        torn_id = records(path, "image_id")[-1]["image_id"]
        path.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
        replica.clear_requests()
        rerun = run_crawl("images", replica, tmp_path, arg)
        fetched = [r.path for r in replica.requests if "/image.php" in r.path]
    assert rerun.stat("dpc/jsonl/repaired_lines") == 1
    assert fetched == [f"/image.php?IMAGE_ID={torn_id}"]
    assert_each_once(path, "image_id", ids)


def wait_for_bytes(path, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return
        assert process.poll() is None, f"crawl ended before {path} was written"
        time.sleep(0.02)
    raise AssertionError(f"{path} stayed empty for {timeout} s")
