"""Full-size and thumbnail files: the site's bytes, verified, named by id, never fetched twice."""

from __future__ import annotations

import hashlib
import itertools
import json

import oracle
from crawling import records, run_crawl
from PIL import Image

from dpchallenge.replica import REMOVED_PLACEHOLDER_SHA256, FaultConfig, Replica
from dpchallenge.replica.jpeg import entry_jpeg, full_size, thumb_size

SMALL = {"seed": 11, "challenges": 3, "entries": 4}


def image_ids(site, count):
    removed = set(oracle.removed_image_ids(site))
    return [i for i in oracle.image_ids(site) if i not in removed][:count]


def ids_arg(ids):
    return "image_ids=" + ",".join(map(str, ids))


def files_by_kind(record):
    return {f["kind"]: f for f in record["files"]}


def test_full_size_files_are_the_served_bytes_with_their_facts(tmp_path):
    with Replica(**SMALL) as replica:
        ids = image_ids(replica.site, 5)
        run = run_crawl("images", replica, tmp_path, ids_arg(ids), "full_res=1")
        served = [r for r in replica.requests if r.host == "images" and "/1200/" in r.path]
    assert run.returncode == 0
    assert len(served) == len(ids)
    for request in served:
        image_id = int(request.path.rsplit("_", 1)[1].removesuffix(".jpg"))
        assert request.header("Referer").endswith(f"/image.php?IMAGE_ID={image_id}")
    for record in records(tmp_path / "images.jsonl", "image_id"):
        image_id = record["image_id"]
        files = files_by_kind(record)
        assert set(files) == {"thumb", "full"}
        for kind, size, dims in (("full", 1200, full_size), ("thumb", 120, thumb_size)):
            file = files[kind]
            body = (tmp_path / "images" / file["path"]).read_bytes()
            assert body == entry_jpeg(image_id, size)
            assert file["path"] == f"{'full' if kind == 'full' else 'thumbs'}/{image_id}.jpg"
            assert file["sha256"] == hashlib.sha256(body).hexdigest()
            assert (file["width"], file["height"]) == dims(image_id)
            assert file["bytes"] == len(body)
            assert file["url"] == record[{"full": "image_url", "thumb": "thumbnail_url"}[kind]]
    assert run.stat("dpc/files/full/downloaded") == len(ids)


def test_full_res_without_thumbnails_fetches_only_full_files(tmp_path):
    with Replica(**SMALL) as replica:
        ids = image_ids(replica.site, 3)
        run = run_crawl("images", replica, tmp_path, ids_arg(ids), "full_res=1", "thumbnails=0")
        paths = [r.path for r in replica.requests if r.host == "images" and r.path != "/robots.txt"]
    assert run.returncode == 0
    assert paths and all("/1200/" in path for path in paths)
    assert not (tmp_path / "images" / "thumbs").exists()
    for record in records(tmp_path / "images.jsonl", "image_id"):
        assert [f["kind"] for f in record["files"]] == ["full"]


def test_a_corrupt_file_and_a_placeholder_are_recorded_as_failures_not_kept(tmp_path):
    site = Replica(**SMALL).site
    corrupt, placeholder, good = image_ids(site, 3)
    faults = FaultConfig(permanent_corrupt_image_ids={corrupt}, placeholder_ids={placeholder})
    settings = {"DPC_PLACEHOLDER_SHA256": REMOVED_PLACEHOLDER_SHA256}
    with Replica(**SMALL, faults=faults) as replica:
        args = (ids_arg([corrupt, placeholder, good]), "full_res=1", "thumbnails=0")
        run = run_crawl("images", replica, tmp_path, *args, settings=settings)
    assert run.returncode == 1, "a file failed"
    failed = [json.loads(line) for line in (tmp_path / "failed.jsonl").read_text().splitlines()]
    assert [(f["kind"], f["id"]) for f in failed] == [("full", corrupt)], "placeholder: absent"
    got = {
        r["image_id"]: files_by_kind(r)["full"]
        for r in records(tmp_path / "images.jsonl", "image_id")
    }
    assert got[good]["path"] == f"full/{good}.jpg"
    for image_id, why in ((corrupt, "not a whole image"), (placeholder, "placeholder")):
        assert got[image_id]["path"] is None and got[image_id]["sha256"] is None
        assert why in got[image_id]["error"]
        assert not (tmp_path / "images" / "full" / f"{image_id}.jpg").exists()
    assert run.stat("dpc/files/full/failed") == 2
    assert f"image {corrupt}: full file not stored" in run.log


def test_a_failed_file_is_fetched_again_by_the_next_run(tmp_path):
    site = Replica(**SMALL).site
    flaky, good = image_ids(site, 2)
    faults = FaultConfig(corrupt_image_ids={flaky})  # corrupt the first time only
    with Replica(**SMALL, faults=faults) as replica:
        args = (ids_arg([flaky, good]), "full_res=1", "thumbnails=0")
        first = run_crawl("images", replica, tmp_path, *args)
        replica.clear_requests()
        second = run_crawl("images", replica, tmp_path, *args)
        refetched = [r.path for r in replica.requests if r.host == "images" and "/1200/" in r.path]
    assert first.stat("dpc/files/full/failed") == 1
    assert second.stat("dpc/skipped/image_done") == 1
    assert len(refetched) == 1 and refetched[0].endswith(f"_{flaky}.jpg")
    got = {
        r["image_id"]: files_by_kind(r)["full"]
        for r in records(tmp_path / "images.jsonl", "image_id")
    }
    assert got[flaky]["path"] == f"full/{flaky}.jpg"
    assert (tmp_path / "images" / got[flaky]["path"]).read_bytes() == entry_jpeg(flaky, 1200)


def test_a_rerun_fetches_no_file_already_stored_even_with_refresh(tmp_path):
    with Replica(**SMALL) as replica:
        ids = image_ids(replica.site, 4)
        run_crawl("images", replica, tmp_path, ids_arg(ids), "full_res=1")
        replica.clear_requests()
        again = run_crawl("images", replica, tmp_path, ids_arg(ids), "full_res=1")
        assert [r for r in replica.requests if r.path != "/robots.txt"] == []
        refresh = run_crawl("images", replica, tmp_path, ids_arg(ids), "full_res=1", "refresh=1")
        files_fetched = [
            r for r in replica.requests if r.host == "images" and r.path != "/robots.txt"
        ]
        pages_fetched = [r for r in replica.requests if "/image.php" in r.path]
    assert again.stat("dpc/skipped/image_done") == len(ids)
    assert files_fetched == []
    assert len(pages_fetched) == len(ids)
    assert refresh.stat("dpc/files/full/uptodate") == len(ids)
    written = records(tmp_path / "images.jsonl", "image_id")
    assert len(written) == len(ids)
    for record in written:
        full = files_by_kind(record)["full"]
        body = (tmp_path / "images" / full["path"]).read_bytes()
        assert full["sha256"] == hashlib.sha256(body).hexdigest()
        assert (full["width"], full["height"]) == full_size(record["image_id"])


def test_the_image_host_has_its_own_slot_and_delay(tmp_path):
    settings = {"DPC_IMAGES_DELAY": "0.3", "DPC_IMAGES_CONCURRENCY": "1"}
    with Replica(**SMALL) as replica:
        ids = image_ids(replica.site, 4)
        run_crawl("images", replica, tmp_path, ids_arg(ids), "full_res=1", settings=settings)
        files = [r for r in replica.requests if r.host == "images" and r.path != "/robots.txt"]
        pages = [r for r in replica.requests if "/image.php" in r.path]
    file_gaps = [b.time - a.time for a, b in itertools.pairwise(files)]
    jitter = 0.5  # DOWNLOAD_DELAY_JITTER
    assert min(file_gaps) >= 0.3 * (1 - jitter) * 0.98
    assert sum(file_gaps) / len(file_gaps) >= 0.3 * 0.85
    assert min(b.time - a.time for a, b in itertools.pairwise(pages)) < 0.3


def test_challenges_with_full_res_stores_each_entrys_full_size_file_too(tmp_path):
    with Replica(**SMALL) as replica:
        first = run_crawl("challenges", replica, tmp_path, "full_res=1")
        replica.clear_requests()
        again = run_crawl("challenges", replica, tmp_path, "full_res=1")
        asked = [r.path for r in replica.requests if "/1200/" in r.path or "results" in r.path]
    assert first.returncode == 0 and again.returncode == 0, first.log[-2000:]
    entries = records(tmp_path / "entries.jsonl", "image_id")
    with_file = [e for e in entries if e["image_url"]]
    assert with_file
    for entry in with_file:
        assert entry["image_path"] == f"full/{entry['image_id']}.jpg"
        with Image.open(tmp_path / "images" / entry["image_path"]) as image:
            image.load()
    assert asked == [], "the rerun finds every file in place"
