"""Soak: the site's faults all at once, the crawl SIGKILLed at random moments and restarted."""

from __future__ import annotations

import random
import signal
import time

import oracle
import pytest
from crawling import records, run_crawl, start_crawl
from test_integrity import assert_files_match_records

from dpchallenge.replica import FaultConfig, Replica

SIZE = {"seed": 21, "challenges": 8, "entries": 8}
# About one counted request in ten gets a 429 or a 503; bans, cut-short pages and corrupt
# files besides, on both hosts.
FAULTS = dict(
    status_429_every=19,
    status_503_every=21,
    ban_every=37,
    truncate_every=29,
    truncate_mode="no_length",
    retry_after=0,
    fault_hosts=("pages", "images"),
)
SETTINGS = {
    "DPC_BAN_PAUSE": "0.2",
    "DPC_MAX_BANS": "3",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "1",
    "DOWNLOAD_DELAY": "0.05",
    "DPC_IMAGES_DELAY": "0.03",
}
STEPS = (("challenges", ()), ("images", ("full_res=1",)))


def finish(spider, args, replica, data, tries=6):
    """Runs the same command until it exits 0, as a user would after each stop."""
    for _ in range(tries):
        run = run_crawl(spider, replica, data, *args, settings=SETTINGS, timeout=300)
        if run.returncode == 0:
            return run
    raise AssertionError(f"{spider} did not finish in {tries} runs: {run.log[-3000:]}")


@pytest.mark.slow
def test_five_kills_among_the_sites_faults_end_with_every_record_once(tmp_path):
    chance = random.Random(2026)
    data = tmp_path / "data"
    site = Replica(**SIZE).site
    corrupt = set(chance.sample([i["image_id"] for i in oracle.expected_images(site)], 6))
    faults = FaultConfig(**FAULTS, corrupt_image_ids=corrupt)
    with Replica(**SIZE, faults=faults) as replica:
        kills = 0
        for spider, args in STEPS:
            for _ in range(5 - kills if spider == "images" else 2):
                process, _log = start_crawl(spider, replica, data, *args, settings=SETTINGS)
                time.sleep(chance.uniform(1.2, 2.2))
                if process.poll() is not None:
                    break
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)
                kills += 1
            finish(spider, args, replica, data)
        served = {r.fault for r in replica.requests}
    assert kills == 5
    assert {"429", "503", "ban", "truncated", "corrupt"} <= served, served
    for name, key, want in (
        ("challenges.jsonl", "challenge_id", oracle.finished_challenge_ids(site)),
        ("entries.jsonl", "image_id", [e["image_id"] for e in oracle.expected_entries(site)]),
        ("images.jsonl", "image_id", [i["image_id"] for i in oracle.expected_images(site)]),
    ):
        ids = [r[key] for r in records(data / name, key)]
        assert sorted(ids) == sorted(want), name
    assert assert_files_match_records(data) > 0
