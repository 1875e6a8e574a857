"""The spiders on listings as the site serves them: paged results, history-only fields, DQ rows."""

from __future__ import annotations

import oracle
from crawling import records, run_crawl

from dpchallenge.replica import FaultConfig, Replica

SIZE = {"seed": 5, "challenges": 6, "entries": 12}


def test_a_paged_results_listing_is_followed_page_by_page_by_both_spiders(tmp_path):
    site = Replica(**SIZE).site
    paged = oracle.finished_challenge_ids(site)[0]
    want = sorted(e["image_id"] for e in oracle.expected_entries(site, paged))
    assert len(want) > 10, "the listing needs a second page"
    with Replica(**SIZE, faults=FaultConfig(paged_results_ids={paged})) as replica:
        run = run_crawl("challenges", replica, tmp_path / "a", f"challenge_ids={paged}")
        pages = [r.path for r in replica.requests if "challenge_results" in r.path]
        images = run_crawl("images", replica, tmp_path / "b", f"challenge_ids={paged}")
    assert run.returncode == 0, run.log[-2000:]
    assert any("page=2" in path for path in pages)
    entries = records(tmp_path / "a" / "entries.jsonl", "image_id")
    assert sorted(e["image_id"] for e in entries) == want
    (challenge,) = records(tmp_path / "a" / "challenges.jsonl", "challenge_id")
    assert challenge["results_incomplete"] is False
    assert run.stat("dpc/results/pages_followed") >= 1
    assert images.returncode == 0, images.log[-2000:]
    written = records(tmp_path / "b" / "images.jsonl", "image_id")
    assert sorted(r["image_id"] for r in written) == want


def test_results_takes_the_history_only_fields_from_one_history_request(tmp_path):
    with Replica(**SIZE) as replica:
        site = replica.site
        ruled = next(
            c
            for c in oracle.finished_challenge_ids(site)
            if oracle.expected_challenge(site, c)["extra_rules"]
        )
        run = run_crawl("results", replica, tmp_path, f"challenge_ids={ruled}")
        history = [r for r in replica.requests if r.path.startswith("/challenge_history")]
        replica.clear_requests()
        again = run_crawl("results", replica, tmp_path, f"challenge_ids={ruled}", "refresh=1")
        history_again = [r for r in replica.requests if r.path.startswith("/challenge_history")]
    assert run.returncode == 0 and again.returncode == 0
    assert len(history) == 1, "no record yet: one history request"
    assert history_again == [], "the record already holds them"
    (challenge,) = records(tmp_path / "challenges.jsonl", "challenge_id")
    assert challenge["extra_rules"] == oracle.expected_challenge(site, ruled)["extra_rules"]
    assert challenge["kind"] == oracle.expected_challenge(site, ruled)["kind"]


def test_an_image_page_that_disagrees_with_its_results_row_on_disqualification_is_flagged(
    tmp_path,
):
    with Replica(**SIZE) as replica:
        site = replica.site
        dq = next(e for e in oracle.expected_entries(site) if e.get("disqualified"))
        run_crawl("results", replica, tmp_path, f"challenge_ids={dq['challenge_id']}")
        path = tmp_path / "entries.jsonl"
        lines = [  # the row now says the entry was not disqualified
            line.replace('"disqualified": true', '"disqualified": false')
            if line.startswith(f'{{"image_id": {dq["image_id"]},')
            else line
            for line in path.read_text().splitlines(keepends=True)
        ]
        path.write_text("".join(lines))
        run = run_crawl("images", replica, tmp_path, f"image_ids={dq['image_id']}")
    assert run.returncode == 0, run.log[-2000:]
    assert run.stat("dpc/flagged/disqualified_disagrees_with_entry") == 1
    assert f"image {dq['image_id']}: disqualified disagrees with entry" in run.log
    (image,) = records(tmp_path / "images.jsonl", "image_id")
    assert image["disqualified"] is True
