"""Distributed mode on a real redis-server: two workers, one killed halfway and restarted."""

from __future__ import annotations

import hashlib
import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import oracle
import pytest
from crawling import ROOT, child_env, finished, records, run_crawl, start_crawl
from redis_server import redis_server

from dpchallenge.data.records import dataset_paths
from dpchallenge.distributed.fleet import Fleet
from dpchallenge.replica import FaultConfig, Replica

CRAWL_DELAY = 0.05
SIZE = {"seed": 3, "challenges": 24, "entries": 10}


def part_records(data: Path, name: str, key: str) -> list[dict]:
    return [r for path in dataset_paths(data, name)[1:] for r in records(path, key)]


def part_lines(data: Path, name: str) -> int:
    return sum(path.read_bytes().count(b"\n") for path in dataset_paths(data, name)[1:])


def wait_until(condition, processes, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        assert all(p.poll() is None for p in processes), "a worker ended early"
        time.sleep(0.05)


def scrapy(command: str, data: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", command],
        cwd=ROOT,
        env=child_env({"DPC_DATA_DIR": str(data)}),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("given_in", ["settings", "environment"])
def test_two_workers_one_killed_and_restarted_write_every_record_once(tmp_path, given_in):
    data = tmp_path / "data"
    with redis_server(tmp_path) as url, Replica(**SIZE, crawl_delay=CRAWL_DELAY) as replica:
        expected = sorted(i["image_id"] for i in oracle.expected_images(replica.site))
        assert len(expected) >= 200
        assert run_crawl("challenges", replica, data).returncode == 0
        replica.clear_requests()

        def worker(name: str) -> dict:
            """REDIS_URL and DPC_WORKER as -s, or as environment variables of the same name."""
            fleet = {"REDIS_URL": url, "DPC_WORKER": name}
            if given_in == "settings":
                return {"settings": {**fleet, "DPC_ARCHIVE": "0"}}
            return {"settings": {"DPC_ARCHIVE": "0"}, "env": fleet}

        first, _ = start_crawl("images", replica, data, **worker("w1"))
        second, second_log = start_crawl("images", replica, data, **worker("w2"))
        wait_until(lambda: part_lines(data, "images.jsonl") >= len(expected) // 3, (first, second))
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        killed_at = part_lines(data, "images.jsonl")
        restarted = run_crawl("images", replica, data, **worker("w1"), timeout=300)
        second.wait(timeout=300)
        requests = list(replica.requests)
    assert killed_at < len(expected), "the kill came before the end"
    assert restarted.returncode == 0, restarted.log[-3000:]
    assert second.returncode == 0, finished("images", data, 0, second_log).log[-3000:]
    written = part_records(data, "images.jsonl", "image_id")
    ids = [r["image_id"] for r in written]
    assert sorted(ids) == expected, "every record once across the parts"
    for record in written:
        for stored in record["files"]:
            if stored["path"]:
                body = (data / "images" / stored["path"]).read_bytes()
                assert hashlib.sha256(body).hexdigest() == stored["sha256"]
    pages = [r for r in requests if r.host == "pages" and r.path.startswith("/image.php")]
    gaps = [b.time - a.time for a, b in itertools.pairwise(pages)]
    assert min(gaps) >= CRAWL_DELAY * 0.95, sorted(gaps)[:5]
    for worker in ("w1", "w2"):
        assert records(data / f"images.{worker}.jsonl", "image_id"), f"{worker} did its share"

    merged = scrapy("merge", data)
    assert merged.returncode == 0, merged.stderr
    assert dataset_paths(data, "images.jsonl")[1:] == []
    merged_ids = [r["image_id"] for r in records(data / "images.jsonl", "image_id")]
    assert sorted(merged_ids) == expected
    before = (data / "images.jsonl").read_bytes()
    again = scrapy("merge", data)
    assert again.returncode == 0 and (data / "images.jsonl").read_bytes() == before


def test_scraperapi_places_are_shared_by_the_fleet_and_a_dead_workers_expire(tmp_path):
    with redis_server(tmp_path) as url:
        one, two = Fleet(url, "images", "w1"), Fleet(url, "images", "w2")
        assert one.take_place("w1:a", 2, longest=60)
        assert two.take_place("w2:a", 2, longest=60)
        assert not two.take_place("w2:b", 2, longest=60), "two places, both taken"
        one.free_place("w1:a")
        assert two.take_place("w2:b", 2, longest=60)
        time.sleep(0.3)  # w2's two places now look like those of a worker that died
        assert one.take_place("w1:c", 2, longest=0.2)


def test_the_fleet_spaces_requests_to_a_host_by_its_delay(tmp_path):
    with redis_server(tmp_path) as url:
        one, two = Fleet(url, "images", "w1"), Fleet(url, "images", "w2")
        waits = [fleet.reserve("example.org", 0.5) for fleet in (one, two, one, two)]
        assert waits[0] == 0
        assert [round(b - a, 2) for a, b in itertools.pairwise(waits)] == [0.5, 0.5, 0.5]
        assert one.reserve("images.example.org", 0.5) == 0, "each host its own"


def test_a_worker_whose_file_keeps_failing_ends_with_it_listed_not_in_a_loop(tmp_path):
    data = tmp_path / "data"
    with redis_server(tmp_path) as url, Replica(seed=5, challenges=4, entries=4) as replica:
        assert run_crawl("challenges", replica, data).returncode == 0
        bad = oracle.expected_images(replica.site)[0]["image_id"]
        replica.reset_faults(
            FaultConfig(permanent_corrupt_image_ids={bad}, fault_hosts=("images",))
        )
        fleet = {"REDIS_URL": url, "DPC_ARCHIVE": "0", "DPC_WORKER": "solo"}
        run = run_crawl("images", replica, data, "full_res=1", settings=fleet, timeout=60)
        asked = [r.path for r in replica.requests if r.path == f"/image.php?IMAGE_ID={bad}"]
    assert run.returncode == 1, run.log[-3000:]
    stats = json.loads((data / "stats" / "images.solo.json").read_text())  # a worker's own
    assert stats["dpc/fleet/finished"] is True
    assert len(asked) == 1, "fetched once, not again and again by the sweep"
    failed = (data / "failed.solo.jsonl").read_text()
    assert f'"id": {bad}' in failed
