"""Faults the real site has, injected by the replica: complete data, or the failed ids named."""

from __future__ import annotations

import itertools

import oracle
import pytest
from crawling import records, run_crawl

from dpchallenge.replica import FaultConfig, Replica

SMALL = {"seed": 5, "challenges": 4, "entries": 4}


def crawl_all(replica, data, **kwargs):
    first = run_crawl("challenges", replica, data, **kwargs)
    second = run_crawl("images", replica, data, **kwargs)
    return first, second


def assert_complete(site, data):
    challenges = records(data / "challenges.jsonl", "challenge_id")
    entries = records(data / "entries.jsonl", "image_id")
    images = records(data / "images.jsonl", "image_id")
    assert sorted(r["challenge_id"] for r in challenges) == sorted(
        oracle.finished_challenge_ids(site)
    )
    assert sorted(r["image_id"] for r in entries) == sorted(
        e["image_id"] for e in oracle.expected_entries(site)
    )
    assert sorted(r["image_id"] for r in images) == sorted(
        e["image_id"] for e in oracle.expected_images(site)
    )
    return challenges, entries, images


@pytest.mark.parametrize("autothrottle", ["False", "True"])
def test_robots_txt_comes_first_and_its_crawl_delay_spaces_the_requests(tmp_path, autothrottle):
    settings = {"AUTOTHROTTLE_ENABLED": autothrottle, "AUTOTHROTTLE_START_DELAY": "0"}
    with Replica(**SMALL, crawl_delay=0.4) as replica:
        run = run_crawl(
            "challenges", replica, tmp_path, "challenge_ids=1000,1002", settings=settings
        )
        requests = replica.requests
    assert run.returncode == 0, run.log[-2000:]
    pages = [r for r in requests if r.host == "pages"]
    assert pages[0].path == "/robots.txt"
    gaps = [b.time - a.time for a, b in itertools.pairwise(pages)]
    assert len(gaps) >= 2
    assert min(gaps) >= 0.4 * 0.98, gaps
    images = [r for r in requests if r.host == "images" and r.path != "/robots.txt"]
    image_gaps = [b.time - a.time for a, b in itertools.pairwise(images)]
    assert image_gaps and min(image_gaps) >= 0.4 * 0.98
    assert run.stat("dpc/written/challenges.jsonl") == 2


def test_without_crawl_delay_the_same_crawl_is_not_spaced(tmp_path):
    """The check above can fail: with no Crawl-delay, requests come faster than 0.4 s apart."""
    with Replica(**SMALL) as replica:
        run_crawl("challenges", replica, tmp_path, "challenge_ids=1000,1002")
        pages = [r for r in replica.requests if r.host == "pages"]
    assert min(b.time - a.time for a, b in itertools.pairwise(pages)) < 0.4


def test_ban_page_mid_crawl_is_waited_out_and_data_is_complete(tmp_path):
    faults = FaultConfig(ban_every=7, ban_length=1)
    with Replica(**SMALL, faults=faults) as replica:
        first, second = crawl_all(replica, tmp_path, settings={"DPC_BAN_PAUSE": "0.6"})
        requests = replica.requests
        site = replica.site
    assert_complete(site, tmp_path)
    assert first.stat("dpc/bans/episodes") + second.stat("dpc/bans/episodes") >= 2
    banned = [i for i, r in enumerate(requests) if r.fault == "ban"]
    assert banned
    for index in banned:
        ban = requests[index]
        retry = next(r for r in requests[index + 1 :] if r.path == ban.path)
        assert retry.time - ban.time >= 0.6 * 0.98, ban.path
    for run in (first, second):
        assert run.stats["finish_reason"] == "finished"


def test_too_many_bans_in_a_row_stop_the_crawl_cleanly_and_a_rerun_finishes(tmp_path):
    faults = FaultConfig(ban_every=3, ban_length=50)
    settings = {"DPC_BAN_PAUSE": "0.2", "DPC_MAX_BANS": "3"}
    with Replica(**SMALL, faults=faults) as replica:
        stopped = run_crawl("challenges", replica, tmp_path, settings=settings)
        assert stopped.returncode == 3, "stopped early"
        assert stopped.stats["finish_reason"] == "banned"
        assert "times in a row" in stopped.log and "run the same command again" in stopped.log
        replica.reset_faults()
        first, _second = crawl_all(replica, tmp_path, settings=settings)
        site = replica.site
    assert first.stats["finish_reason"] == "finished"
    assert_complete(site, tmp_path)


@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_bursts_are_retried_with_backoff(tmp_path, status):
    faults = FaultConfig(**{f"status_{status}_every": 4, f"status_{status}_length": 2})
    settings = {"DPC_RETRY_BACKOFF_BASE": "0.05"}
    with Replica(**SMALL, faults=faults) as replica:
        first, second = crawl_all(replica, tmp_path, settings=settings)
        site = replica.site
        requests = replica.requests
    assert any(r.status == status for r in requests)
    assert_complete(site, tmp_path)
    retried = first.stat(f"retry/reason_count/{status} ") + second.stat(
        f"retry/reason_count/{status} "
    )
    waits = first.stat("dpc/retry_backoff/waits") + second.stat("dpc/retry_backoff/waits")
    assert waits >= 1
    assert retried or first.stat("retry/count") + second.stat("retry/count")


def test_429_retry_after_is_honoured(tmp_path):
    faults = FaultConfig(status_429_every=2, status_429_length=1, retry_after=1)
    with Replica(**SMALL, faults=faults) as replica:
        run_crawl("challenges", replica, tmp_path, "challenge_ids=1000,1002")
        requests = [r for r in replica.requests if r.host == "pages"]
    limited = [i for i, r in enumerate(requests) if r.status == 429]
    assert limited
    for index in limited:
        same = [r for r in requests[index + 1 :] if r.path == requests[index].path]
        if same:
            assert same[0].time - requests[index].time >= 0.98


def test_responses_slower_than_the_timeout_are_fetched_again(tmp_path):
    faults = FaultConfig(slow_seconds=3, slow_fraction=0.2)
    with Replica(**SMALL, faults=faults) as replica:
        first, second = crawl_all(replica, tmp_path, settings={"DOWNLOAD_TIMEOUT": "1"})
        site = replica.site
        slow = [r for r in replica.requests if r.fault == "slow"]
    assert slow
    assert first.stat("retry/count") + second.stat("retry/count") >= len(slow)
    assert_complete(site, tmp_path)


@pytest.mark.parametrize("mode", ["content_length", "no_length"])
def test_truncated_responses_are_fetched_again(tmp_path, mode):
    faults = FaultConfig(truncate_every=5, truncate_length=1, truncate_mode=mode)
    with Replica(**SMALL, faults=faults) as replica:
        _first, _second = crawl_all(replica, tmp_path)
        site = replica.site
        truncated = [r for r in replica.requests if r.fault == "truncated"]
    assert truncated
    _challenges, _entries, images = assert_complete(site, tmp_path)
    expected = {e["image_id"]: e for e in oracle.expected_images(site)}
    for image in images:
        assert len(image["comments"]) == len(expected[image["image_id"]]["comments"])


def test_windows_1252_pages_are_decoded(tmp_path):
    site_ids = oracle.em_dash_image_ids(Replica(**SMALL).site)[:3]
    faults = FaultConfig(cp1252_ids=set(site_ids))
    with Replica(**SMALL, faults=faults) as replica:
        run = run_crawl("images", replica, tmp_path, "image_ids=" + ",".join(map(str, site_ids)))
        site = replica.site
        served = [r for r in replica.requests if r.fault == "cp1252"]
    assert run.returncode == 0 and served
    got = {r["image_id"]: r for r in records(tmp_path / "images.jsonl", "image_id")}
    for image_id in site_ids:
        want = oracle.expected_image(site, image_id)
        for field in ("title", "photographer_comment", "comments"):
            assert got[image_id][field] == want[field], (image_id, field)
    assert any("—" in (got[i]["photographer_comment"] or "") for i in site_ids) or any(
        "—" in c["text"] for i in site_ids for c in got[i]["comments"]
    )


def test_pages_that_never_come_right_are_listed_as_failed(tmp_path):
    bad = oracle.image_ids(Replica(**SMALL).site)[:2]
    faults = FaultConfig(permanent_truncate_ids=set(bad), truncate_mode="no_length")
    with Replica(**SMALL, faults=faults) as replica:
        ids = oracle.image_ids(replica.site)[:5]
        run = run_crawl("images", replica, tmp_path, "image_ids=" + ",".join(map(str, ids)))
    assert run.returncode == 1, "pages failed"
    assert run.stats["finish_reason"] == "finished"
    assert sorted(run.stat("dpc/failed_ids/image", [])) == sorted(bad)
    for image_id in bad:
        assert f"failed image page, id {image_id}: unparsable (end of page)" in run.log
    written = {r["image_id"] for r in records(tmp_path / "images.jsonl", "image_id")}
    assert written == set(ids) - set(bad)


def test_a_page_banned_alone_while_others_load_is_listed_as_failed(tmp_path):
    bad = oracle.image_ids(Replica(**SMALL).site)[0]
    faults = FaultConfig(permanent_ban_ids={bad})
    settings = {"DPC_BAN_PAUSE": "0.05", "DPC_MAX_BANS": "3", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
    with Replica(**SMALL, faults=faults) as replica:
        ids = [bad, *oracle.image_ids(replica.site)[1:12]]
        run = run_crawl(
            "images", replica, tmp_path, "image_ids=" + ",".join(map(str, ids)), settings=settings
        )
    assert run.returncode == (3 if run.stats["finish_reason"] == "banned" else 1)
    written = {r["image_id"] for r in records(tmp_path / "images.jsonl", "image_id")}
    assert written == set(ids) - {bad}
    assert run.stat("dpc/failed_ids/image", []) == [bad] or run.stats["finish_reason"] == "banned"


def test_invalid_ids_give_no_image_record_and_an_invalid_challenge_record(tmp_path):
    with Replica(**SMALL) as replica:
        site = replica.site
        bad_image = oracle.invalid_image_ids(site)[0]
        bad_challenge = oracle.invalid_challenge_ids(site)[0]
        unfinished = oracle.unfinished_challenge_ids(site)[0]
        images = run_crawl("images", replica, tmp_path, f"image_ids={bad_image}")
        results = run_crawl(
            "results", replica, tmp_path, f"challenge_ids={bad_challenge},{unfinished}"
        )
    assert images.stat("dpc/images/invalid_id") == 1
    assert f"image {bad_image}: invalid id" in images.log
    assert records(tmp_path / "images.jsonl", "image_id") == []
    got = {r["challenge_id"]: r for r in records(tmp_path / "challenges.jsonl", "challenge_id")}
    assert got[bad_challenge]["status"] == "invalid"
    assert {k for k, v in got[bad_challenge].items() if v is not None} == {
        "challenge_id",
        "url",
        "status",
        "crawled_at",
    }
    assert got[unfinished]["status"] == "unfinished"
    assert got[unfinished]["name"] == oracle.expected_challenge(site, unfinished)["name"]
    assert results.stat("dpc/challenges/invalid") == 1


def test_network_errors_are_retried_with_backoff_then_listed(tmp_path):
    """A site that refuses connections: every id is retried, waited for, then named as failed."""
    with Replica(**SMALL) as replica:
        ids = oracle.image_ids(replica.site)[:2]
        dead = replica.base_url  # the port is closed once the replica stops
    settings = {"ROBOTSTXT_OBEY": "False", "RETRY_TIMES": "2", "DPC_RETRY_BACKOFF_BASE": "0.2"}

    class Closed:
        base_url = dead

    run = run_crawl(
        "images", Closed, tmp_path, "image_ids=" + ",".join(map(str, ids)), settings=settings
    )
    assert run.returncode == 1, "pages failed"
    assert sorted(run.stat("dpc/failed_ids/image", [])) == sorted(ids)
    assert run.stat("retry/count") == 2 * len(ids)
    assert run.stat("dpc/retry_backoff/waits") == 2 * len(ids)
    assert run.stat("dpc/retry_backoff/seconds") == pytest.approx(len(ids) * (0.2 + 0.4))
    assert "Connection was refused" in run.log or "refused" in run.log.lower()
