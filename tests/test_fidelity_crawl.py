"""The parsers on every replica page (both histogram markups, paging), and crawls of the faults."""

from __future__ import annotations

import dataclasses

import oracle
import pytest
from conftest import page_response
from crawling import records, run_crawl

from dpchallenge.pages import parse_image, parse_results
from dpchallenge.pages.results import full_results_url, results_incomplete
from dpchallenge.replica import FaultConfig, Replica, Site, pages

SMALL = {"seed": 5, "challenges": 4, "entries": 4}
PIPELINE_OWNED = {"crawled_at", "thumbnail_path", "thumbnail_error", "files"}
PIPELINE_OWNED |= {"image_path", "image_error"}
PIPELINE_OWNED |= {"score_distribution", "mos", "mos_std", "mos_source"}


def parsed(item) -> dict:
    return {k: v for k, v in dataclasses.asdict(item).items() if k not in PIPELINE_OWNED}


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(seed=3, challenges=24, entries=13)


@pytest.mark.parametrize("user", [None, "tester"])
def test_every_replica_image_page_parses_to_its_record(site, user):
    shown = 0
    for image_id in oracle.image_ids(site):
        url = oracle.image_page_url(site, image_id)
        body = pages.render_image(site, image_id, user, f"/image.php?IMAGE_ID={image_id}")
        result = parse_image(page_response(body.encode("utf-8"), url))
        assert result.kind == "image" and result.missing == [], (image_id, result.missing)
        [item] = result.items
        want = oracle.expected_image(site, image_id, logged_in=user is not None)
        assert parsed(item) == want, image_id
        shown += item.vote_counts is not None
    if user:  # the old combined panel for early challenges, no histogram after the cut-off
        assert 0 < shown < len(oracle.image_ids(site))
    else:
        assert shown == 0


def test_paged_results_read_page_by_page_come_out_complete(site):
    cid = oracle.finished_challenge_ids(site)[0]
    url = f"{site.base_url}/challenge_results.php?CHALLENGE_ID={cid}"
    first = parse_results(
        page_response(pages.render_results(site, cid, None, url, page=1).encode(), url)
    )
    challenge, entries = first.items[0], first.items[1:]
    assert len(entries) == 10 and challenge.results_incomplete is True
    assert first.other_pages == [f"{url}&page=2"] and first.stats == {"results/paged": 1}
    assert full_results_url(url) == oracle.results_url(site, cid)
    for other in first.other_pages:
        body = pages.render_results(site, cid, None, other, page=2).encode()
        entries += parse_results(page_response(body, other)).items[1:]
    assert [parsed(e) for e in entries] == oracle.expected_entries(site, cid)
    assert results_incomplete(challenge, len(entries)) is False


def test_full_results_parse_to_the_expected_records(site):
    for cid in oracle.finished_challenge_ids(site):
        url = oracle.results_url(site, cid)
        result = parse_results(
            page_response(pages.render_results(site, cid, None, url).encode(), url)
        )
        assert result.kind == "results" and result.missing == []
        removed = cid in oracle.withdrawn_challenge_ids(site)  # a removed entry's row without links
        assert result.stats == ({"results/removed_without_link": 1} if removed else {})
        assert result.rows == len(site.entries(cid))
        challenge, *entries = result.items
        want = {
            **oracle.expected_challenge(site, cid),
            "extra_rules": None,
        }  # only the history shows them
        assert parsed(challenge) == want
        assert [parsed(e) for e in entries] == oracle.expected_entries(site, cid)


def test_frame_only_image_pages_are_retried_then_listed_as_failed(tmp_path):
    once, always = oracle.image_ids(Site(**SMALL))[:2]
    faults = FaultConfig(frame_only_ids={once}, permanent_frame_only_ids={always})
    with Replica(**SMALL, faults=faults) as replica:
        run = run_crawl("images", replica, tmp_path, f"image_ids={once},{always}")
        served = [r.fault for r in replica.page_requests() if r.path.startswith("/image.php")]
    assert served.count("frame_only") >= 3  # once, then every try of the permanent one
    assert run.stat("dpc/failed_ids/image", []) == [always]
    written = [r["image_id"] for r in records(tmp_path / "images.jsonl", "image_id")]
    assert written == [once]


def test_an_odd_results_row_costs_neither_the_challenge_nor_its_entries(tmp_path):
    site = Site(**SMALL)
    cid = oracle.finished_challenge_ids(site)[0]
    with Replica(**SMALL, faults=FaultConfig(odd_row_ids={cid})) as replica:
        run_crawl("results", replica, tmp_path, f"challenge_ids={cid}")
    [challenge] = records(tmp_path / "challenges.jsonl", "challenge_id")
    assert challenge["challenge_id"] == cid and challenge["results_incomplete"] is False
    entries = records(tmp_path / "entries.jsonl", "image_id")
    assert sorted(e["image_id"] for e in entries) == sorted(e.image_id for e in site.entries(cid))


def test_a_results_listing_cut_short_is_flagged_on_its_record(tmp_path):
    site = Site(seed=5, challenges=4, entries=12)
    cid = oracle.finished_challenge_ids(site)[0]
    with Replica(
        seed=5, challenges=4, entries=12, faults=FaultConfig(short_results_ids={cid})
    ) as r:
        run = run_crawl("results", r, tmp_path, f"challenge_ids={cid}")
    [challenge] = records(tmp_path / "challenges.jsonl", "challenge_id")
    assert challenge["results_incomplete"] is True
    assert run.stat("dpc/flagged/results_incomplete") == 1
    assert len(records(tmp_path / "entries.jsonl", "image_id")) == pages.RESULTS_PAGE_SIZE
