"""Login for the vote breakdown, and secrets that never reach a file the crawl writes."""

from __future__ import annotations

import oracle
import pytest
from crawling import records, run_crawl

from dpchallenge.replica import Replica

SMALL = {"seed": 4, "challenges": 3, "entries": 4}
# what the old Voting Breakdown column holds besides the counts, and the other page facts
PAGE_FACTS = ("place", "place_of", "disqualified", "avg_all", "avg_commenters", "avg_participants")
PAGE_FACTS += ("avg_non_participants", "views_since_voting", "views_during_voting", "votes")
PAGE_FACTS += ("comment_count", "favorites", "vote_counts", "galleries", "photographer_name")
USER, PASSWORD = "tester", "pw-7Qx9-never-logged"


def every_byte_written(*folders):
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                yield path, path.read_bytes()


def test_logged_in_images_carry_the_vote_breakdown_and_its_mos(tmp_path):
    with Replica(**SMALL, password=PASSWORD) as replica:
        ids = [
            i
            for i in oracle.image_ids(replica.site)
            if i not in oracle.removed_image_ids(replica.site)
        ]
        ids = ids[:4]
        run = run_crawl(
            "images",
            replica,
            tmp_path,
            "image_ids=" + ",".join(map(str, ids)),
            env={"DPC_USERNAME": USER, "DPC_PASSWORD": PASSWORD},
        )
        site = replica.site
        login = [r for r in replica.requests if r.path.startswith("/login.php")]
    assert run.stat("dpc/login") == "ok"
    assert len(login) == 1 and login[0].method == "POST"
    shown = 0
    for image in records(tmp_path / "images.jsonl", "image_id"):
        want = oracle.expected_image(site, image["image_id"], logged_in=True)
        assert {k: image[k] for k in PAGE_FACTS} == {k: want[k] for k in PAGE_FACTS}
        if want["vote_counts"] is None:
            continue
        shown += 1
        assert image["vote_counts"] == want["vote_counts"]
        assert image["mos_source"] == "vote_counts"
        counts = image["vote_counts"]
        assert image["mos"] == pytest.approx(
            sum(s * n for s, n in enumerate(counts, 1)) / sum(counts), abs=1e-6
        )
        assert image["score_distribution"] == pytest.approx(
            [n / sum(counts) for n in counts], abs=1e-6
        )
        assert image["mos_std"] is not None
    assert shown


def test_anonymous_images_fall_back_to_the_site_average(tmp_path):
    with Replica(**SMALL) as replica:
        ids = oracle.image_ids(replica.site)[:2]
        run_crawl("images", replica, tmp_path, "image_ids=" + ",".join(map(str, ids)))
    for image in records(tmp_path / "images.jsonl", "image_id"):
        assert image["vote_counts"] is None
        assert image["mos_source"] in ("site_average", None)


def test_a_wrong_password_stops_the_crawl_saying_so(tmp_path):
    with Replica(**SMALL, password=PASSWORD) as replica:
        run = run_crawl(
            "images",
            replica,
            tmp_path,
            "image_ids=" + str(oracle.image_ids(replica.site)[0]),
            env={"DPC_USERNAME": USER, "DPC_PASSWORD": "wrong-one"},
        )
    assert "login failed" in run.log
    assert records(tmp_path / "images.jsonl", "image_id") == []
    assert "wrong-one" not in run.log


def test_the_password_reaches_no_log_output_jobdir_or_cache(tmp_path):
    data, job, cache = tmp_path / "data", tmp_path / "job", tmp_path / "cache"
    settings = {
        "JOBDIR": str(job),
        "HTTPCACHE_ENABLED": "True",
        "HTTPCACHE_DIR": str(cache),
        "LOG_LEVEL": "DEBUG",
    }
    with Replica(**SMALL, password=PASSWORD) as replica:
        env = {"DPC_USERNAME": USER, "DPC_PASSWORD": PASSWORD}
        first = run_crawl("challenges", replica, data, settings=settings, env=env)
        second = run_crawl("images", replica, data, settings=settings, env=env)
    assert first.stat("dpc/login") == "ok" and second.stat("dpc/login") == "ok"
    assert any(cache.rglob("*")), "the cache was used"
    assert any(job.rglob("*")), "JOBDIR was used"
    secret = PASSWORD.encode()
    checked = 0
    for path, body in every_byte_written(data, job, cache):
        assert secret not in body, path
        checked += 1
    assert checked > 10
    for run in (first, second):
        assert PASSWORD not in run.log
        assert "POST" in run.log  # the login request itself was logged, without its body


def test_a_password_passed_as_a_setting_is_refused_without_printing_it(tmp_path):
    with Replica(**SMALL) as replica:
        run = run_crawl("images", replica, tmp_path, settings={"DPC_PASSWORD": PASSWORD})
    assert run.returncode != 0
    assert "DPC_PASSWORD was given as a Scrapy setting" in run.log
    assert PASSWORD not in run.log


def test_secret_values_are_redacted_from_log_lines(tmp_path):
    """Even a message that happens to hold the secret (here: in the URLs) is redacted."""
    with Replica(**SMALL) as replica:
        base = replica.base_url + "/" + PASSWORD
        run = run_crawl(
            "images",
            replica,
            tmp_path,
            "image_ids=" + str(oracle.invalid_image_ids(replica.site)[0]),
            settings={"DPC_BASE_URL": base, "LOG_LEVEL": "DEBUG"},
            env={"DPC_PASSWORD": PASSWORD},
        )
    assert "[secret]" in run.log
    assert PASSWORD not in run.log
