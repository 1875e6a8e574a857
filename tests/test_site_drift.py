"""The redesign guard: a crawl stops once the site's pages stop reading as before, not before."""

from __future__ import annotations

import re

import oracle
from crawling import records, run_crawl

from dpchallenge.replica import FaultConfig, Replica

SIZE = {"seed": 5, "challenges": 12, "entries": 8}
ONE_AT_A_TIME = {"CONCURRENT_REQUESTS": "1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
WINDOW = {"DPC_DRIFT_WINDOW": "5"}
USER, PASSWORD = "tester", "pw-drift-guard"
CHANGED = "the site seems to have changed"


def image_pages(replica) -> list[str]:
    return [r.path for r in replica.requests if r.path.startswith("/image.php")]


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if " ERROR: " in line]


def test_a_redesign_mid_crawl_stops_within_the_window_with_exit_3_and_one_line(tmp_path):
    data = tmp_path / "data"
    after = 6
    with Replica(**SIZE, faults=FaultConfig(redesign_after=after)) as replica:
        assert run_crawl("challenges", replica, data).returncode == 0
        replica.clear_requests()
        run = run_crawl("images", replica, data, settings={**WINDOW, **ONE_AT_A_TIME})
        fetched = image_pages(replica)
        expected = len(oracle.image_ids(replica.site))
    assert run.returncode == 3, run.log[-3000:]
    assert run.stats["finish_reason"] == "site_changed"
    assert after < len(fetched) <= after + 5 < expected, "stopped within the window"
    [line] = [line for line in error_lines(run.log) if CHANGED in line]
    assert "image pages lack statistics_panel" in line, line
    assert re.search(r"\(e\.g\. http://127\.0\.0\.1:\d+/image\.php\?IMAGE_ID=\d+\)", line), line
    assert "DPC_REPLAY=1" in line
    summary = run.log[run.log.index("summary (exit status 3)") :]
    assert "images stopped: site_changed" in summary
    assert "a parser fix comes first" in summary
    assert len(records(data / "images.jsonl", "image_id")) <= len(fetched)


def test_the_sites_ordinary_variety_does_not_trip_a_window_of_5(tmp_path):
    """Every replica page, logged in (old histogram markup), windows-1252, paged listings, a
    removed entry without links, disqualified and removed images, no comments, invalid ids."""
    data = tmp_path / "data"
    with Replica(**SIZE, password=PASSWORD) as replica:
        site = replica.site
        finished = oracle.finished_challenge_ids(site)
        images = oracle.image_ids(site)
        replica.reset_faults(
            FaultConfig(
                cp1252_ids={finished[1], *images[::7]},
                paged_results_ids={finished[2]},
                odd_row_ids={finished[3]},
            )
        )
        login = {"DPC_USERNAME": USER, "DPC_PASSWORD": PASSWORD}
        runs = [
            run_crawl("challenges", replica, data, settings=WINDOW),
            run_crawl("images", replica, data, "full_res=1", settings=WINDOW, env=login),
            run_crawl(
                "images",
                replica,
                data,
                "image_ids=" + ",".join(map(str, [*oracle.invalid_image_ids(site), *images[:4]])),
                "refresh=1",
                settings=WINDOW,
            ),
        ]
        assert oracle.withdrawn_challenge_ids(site) and oracle.removed_image_ids(site)
        assert oracle.disqualified_image_ids(site) and oracle.images_without_comments(site)
    for run in runs:
        assert run.returncode == 0, run.log[-3000:]
        assert run.stats["finish_reason"] == "finished"
        assert CHANGED not in run.log
        assert not [k for k in run.stats if "/missing/" in k], run.stats
    assert runs[1].stat("dpc/image/histogram/shown") > 0, "logged in: the old histogram markup"
    assert runs[2].stat("dpc/images/invalid_id") == len(oracle.invalid_image_ids(site))
