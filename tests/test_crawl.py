"""Whole crawls of the local replica: every id once, with the values the replica served."""

from __future__ import annotations

import hashlib
import json

import oracle
import pytest
from crawling import records, run_crawl

from dpchallenge.replica import Replica
from dpchallenge.replica.jpeg import entry_jpeg

PIPELINE_OWNED = {"crawled_at", "thumbnail_path", "thumbnail_error", "files"}
PIPELINE_OWNED |= {"image_path", "image_error"}
PIPELINE_OWNED |= {"score_distribution", "mos"}
PIPELINE_OWNED |= {"mos_std", "mos_source"}


def comparable(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in PIPELINE_OWNED}


def by_id(rows, key):
    return {row[key]: row for row in rows}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One replica crawled by `challenges` then `images`; later tests read what it left."""
    data = tmp_path_factory.mktemp("data")
    with Replica(seed=3, challenges=6, entries=5) as replica:
        challenges = run_crawl("challenges", replica, data)
        images = run_crawl("images", replica, data)
        first_run_requests = list(replica.requests)
        replica.clear_requests()
        again_challenges = run_crawl("challenges", replica, data)
        again_images = run_crawl("images", replica, data)
        rerun_requests = list(replica.requests)
        yield {
            "data": data,
            "site": replica.site,
            "base_url": replica.base_url,
            "images_url": replica.images_url,
            "runs": (challenges, images, again_challenges, again_images),
            "first_run_requests": first_run_requests,
            "rerun_requests": rerun_requests,
        }


def site_urls(expected: dict, crawled) -> dict:
    """The replica's expected records name the real site; the crawl saw the replica's URLs."""
    text = json.dumps(expected)
    text = text.replace("https://www.dpchallenge.com", crawled["base_url"])
    text = text.replace("https://images.dpchallenge.com", crawled["images_url"])
    return json.loads(text)


def test_crawls_end_cleanly(crawled):
    for run in crawled["runs"]:
        assert run.returncode == 0, run.log[-3000:]
        assert run.stats["finish_reason"] == "finished"
        assert "Traceback" not in run.log


def test_every_finished_challenge_once_with_the_page_values(crawled):
    site = crawled["site"]
    written = records(crawled["data"] / "challenges.jsonl", "challenge_id")
    assert len(written) == len({r["challenge_id"] for r in written})
    got = by_id(written, "challenge_id")
    assert set(got) == set(oracle.finished_challenge_ids(site))
    for challenge_id in oracle.finished_challenge_ids(site):
        want = site_urls(oracle.expected_challenge(site, challenge_id), crawled)
        assert comparable(got[challenge_id]) == comparable(want), challenge_id
        assert got[challenge_id]["crawled_at"]


def test_every_entry_once_with_its_thumbnail_as_served(crawled):
    site, data = crawled["site"], crawled["data"]
    written = records(data / "entries.jsonl", "image_id")
    assert len(written) == len({r["image_id"] for r in written})
    got = by_id(written, "image_id")
    expected = [site_urls(e, crawled) for e in oracle.expected_entries(site)]
    assert set(got) == {e["image_id"] for e in expected}
    removed = set(oracle.removed_image_ids(site))
    for want in expected:
        entry = got[want["image_id"]]
        assert comparable(entry) == comparable(want), want["image_id"]
        if want["image_id"] in removed:
            assert entry["thumbnail_path"] is None
            continue
        assert entry["thumbnail_path"] == f"thumbs/{want['image_id']}.jpg"
        stored = (data / "images" / entry["thumbnail_path"]).read_bytes()
        assert stored == entry_jpeg(want["image_id"], 120)


def test_every_image_page_once_with_the_page_values(crawled):
    site, data = crawled["site"], crawled["data"]
    written = records(data / "images.jsonl", "image_id")
    assert len(written) == len({r["image_id"] for r in written})
    got = by_id(written, "image_id")
    expected = [site_urls(e, crawled) for e in oracle.expected_images(site)]
    assert set(got) == {e["image_id"] for e in expected}
    for want in expected:
        image = got[want["image_id"]]
        assert comparable(image) == comparable(want), want["image_id"]
        assert image["mos_source"] in ("site_average", None)
        assert image["mos"] == image["avg_all"]
        for file in image["files"]:
            assert file["kind"] == "thumb"
            body = (data / "images" / file["path"]).read_bytes()
            assert file["sha256"] == hashlib.sha256(body).hexdigest()
            assert file["bytes"] == len(body)


def test_stats_count_what_was_written(crawled):
    site = crawled["site"]
    challenges, images, _, _ = crawled["runs"]
    finished = len(oracle.finished_challenge_ids(site))
    assert challenges.stat("dpc/written/challenges.jsonl") == finished
    assert challenges.stat("dpc/written/entries.jsonl") == len(oracle.expected_entries(site))
    assert challenges.stat("dpc/history/rows") == finished
    assert images.stat("dpc/written/images.jsonl") == len(oracle.expected_images(site))
    thumbs = len(oracle.expected_entries(site)) - len(oracle.removed_image_ids(site))
    assert challenges.stat("dpc/files/thumb/downloaded") == thumbs


def test_a_second_run_fetches_no_image_and_no_page_already_done(crawled):
    rerun = crawled["rerun_requests"]
    assert [r for r in rerun if r.host == "images"] == []
    pages = [r.path for r in rerun if r.host == "pages" and r.path != "/robots.txt"]
    assert pages == ["/challenge_history.php?show_all=1"] * 2  # each command's, nothing else
    _, _, again_challenges, again_images = crawled["runs"]
    for run in (again_challenges, again_images):
        assert run.stat("dpc/skipped/challenge_done") == len(
            oracle.finished_challenge_ids(crawled["site"])
        )
    assert again_images.stat("dpc/skipped/image_done") == len(
        oracle.expected_images(crawled["site"])
    )


def test_thumbnails_are_fetched_with_the_image_page_as_referer(crawled):
    image_requests = [r for r in crawled["first_run_requests"] if r.host == "images"]
    thumbs = [r for r in image_requests if "/120/" in r.path]
    assert thumbs
    for request in thumbs:
        image_id = request.path.rsplit("_", 1)[1].removesuffix(".jpg")
        assert request.header("Referer").endswith(f"/image.php?IMAGE_ID={image_id}")


def test_every_request_names_the_crawler_and_a_contact(crawled):
    for request in crawled["first_run_requests"]:
        assert request.header("User-Agent").startswith("dpchallenge-dataset-crawler/"), request
        assert "(research; +https://" in request.header("User-Agent")


def test_refresh_updates_records_instead_of_adding_lines(crawled, tmp_path):
    site, data = crawled["site"], crawled["data"]
    first = oracle.finished_challenge_ids(site)[0]
    with Replica(seed=3, challenges=6, entries=5) as replica:
        run = run_crawl("results", replica, data, f"challenge_ids={first}", "refresh=1")
    assert run.returncode == 0
    written = records(data / "challenges.jsonl", "challenge_id")
    assert len(written) == len({r["challenge_id"] for r in written})
    assert len(written) == len(oracle.finished_challenge_ids(site))
    entries = records(data / "entries.jsonl", "image_id")
    assert len(entries) == len({r["image_id"] for r in entries})


def test_images_of_challenges_not_crawled_yet_are_found_through_their_results_page(tmp_path):
    with Replica(seed=3, challenges=6, entries=5) as replica:
        site = replica.site
        known, unknown = oracle.finished_challenge_ids(site)[:2]
        run_crawl("results", replica, tmp_path, f"challenge_ids={known}")
        run = run_crawl("images", replica, tmp_path, f"challenge_ids={known},{unknown}")
    assert run.returncode == 0
    written = {r["image_id"] for r in records(tmp_path / "images.jsonl", "image_id")}
    expected = {e["image_id"] for c in (known, unknown) for e in oracle.expected_entries(site, c)}
    assert written == expected


def test_images_first_writes_every_record_it_reads_so_challenges_then_skips_them(tmp_path):
    with Replica(seed=3, challenges=6, entries=5) as replica:
        site = replica.site
        images = run_crawl("images", replica, tmp_path)
        keys = {"challenges.jsonl": "challenge_id", "entries.jsonl": "image_id"}
        keys["images.jsonl"] = "image_id"
        after_images = {name: records(tmp_path / name, key) for name, key in keys.items()}
        replica.clear_requests()
        challenges = run_crawl("challenges", replica, tmp_path)
        pages = [r.path for r in replica.requests if r.host == "pages"]
        files = [r.path for r in replica.requests if r.host == "images"]
        crawled = {"base_url": replica.base_url, "images_url": replica.images_url}
    for run in (images, challenges):
        assert run.returncode == 0, run.log[-3000:]
    for name, key, expected in (
        ("challenges.jsonl", "challenge_id", oracle.expected_challenges(site)),
        ("entries.jsonl", "image_id", oracle.expected_entries(site)),
        ("images.jsonl", "image_id", oracle.expected_images(site)),
    ):
        written = after_images[name]
        assert len(written) == len({r[key] for r in written}), name
        got = {r[key]: comparable(r) for r in written}
        want = {e[key]: comparable(site_urls(e, crawled)) for e in expected}
        if key == "challenge_id":  # the history list names finished challenges only
            want = {i: e for i, e in want.items() if i in oracle.finished_challenge_ids(site)}
        assert got == want, name
    for entry in after_images["entries.jsonl"]:
        removed = entry["image_id"] in oracle.removed_image_ids(site)
        assert entry["thumbnail_path"] == (None if removed else f"thumbs/{entry['image_id']}.jpg")
    assert not [p for p in pages if p.startswith("/challenge_results.php")], pages
    assert files == []
    assert challenges.stat("dpc/skipped/challenge_done") == len(oracle.finished_challenge_ids(site))


def test_a_crawl_reaches_no_host_but_the_sites_even_for_the_public_suffix_list(tmp_path):
    """Logged in, the session cookie makes Scrapy ask tldextract for the public suffix list."""
    env = {
        "TLDEXTRACT_CACHE": str(tmp_path),
        "DPC_USERNAME": "tester",
        "DPC_PASSWORD": "s3cret-pass",
    }
    with Replica(seed=3, challenges=2, entries=3) as replica:
        run = run_crawl("challenges", replica, tmp_path / "data", env=env)
    assert run.returncode == 0, run.log[-3000:]
    assert "Public Suffix" not in run.log and "Traceback" not in run.log
