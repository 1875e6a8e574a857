"""The page archive (WARC) and replay from it: crash safety, secrets, faults, zero requests."""

from __future__ import annotations

import gzip
import shutil
import signal
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import oracle
from crawling import interrupt, records, run_crawl, start_crawl, wait_for_lines
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.statscollectors import StatsCollector
from scrapy.utils.test import get_crawler
from standins.scraperapi import ScraperApiStandIn

from dpchallenge.data.warc import ArchiveIndex, ArchiveWriter, archive_files, iter_records
from dpchallenge.middlewares.archive import PageArchiveMiddleware
from dpchallenge.pages.common import is_ban, is_cut_short
from dpchallenge.replica import FaultConfig, Replica

SIZE = {"seed": 11, "challenges": 3, "entries": 4}
DATASET = {
    "challenges.jsonl": "challenge_id",
    "entries.jsonl": "image_id",
    "images.jsonl": "image_id",
}
REPLAY = {"DPC_REPLAY": "1"}
PASSWORD = "s3cret-pass"
KEY = "sapi-Arch1veTEST-4c1d9e77f0"
LOGGED_IN = {"DPC_USERNAME": "tester", "DPC_PASSWORD": PASSWORD}


def archive_of(data_dir: Path) -> Path:
    return Path(data_dir) / "archive"


def archived_bytes(data_dir: Path) -> bytes:
    """Every archive file decompressed (each is a run of gzip members)."""
    files = archive_files(archive_of(data_dir))
    assert files, "no archive written"
    return b"".join(gzip.decompress(path.read_bytes()) for path in files)


def dataset(data_dir: Path) -> dict:
    """Each dataset file's records by id, crawled_at left out."""
    out = {}
    for name, key in DATASET.items():
        rows = records(Path(data_dir) / name, key)
        out[name] = {row[key]: {k: v for k, v in row.items() if k != "crawled_at"} for row in rows}
    return out


def replay_folder(data_dir: Path, target: Path) -> Path:
    """A fresh data folder holding only the archive and the image store."""
    target.mkdir()
    shutil.copytree(archive_of(data_dir), archive_of(target))
    shutil.copytree(Path(data_dir) / "images", target / "images")
    return target


def page_body(page) -> str:
    return page.body.decode("utf-8", "replace")


# ---- the WARC files themselves --------------------------------------------------------------


def write_pages(directory: Path, count: int, max_bytes: int = 10**9, start: int = 0) -> None:
    writer = ArchiveWriter(directory, max_bytes)
    for n in range(start, start + count):
        body = f"<html><body>page {n} {'x' * 300}</body></html>".encode()
        writer.write_response(f"http://site/p{n % 4}", 200, [("Content-Type", "text/html")], body)
    writer.close()


def test_a_torn_last_record_is_skipped_and_a_new_writer_starts_a_new_file(tmp_path):
    write_pages(tmp_path, 6)
    (path,) = archive_files(tmp_path)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 120])  # the last record cut in the middle
    index = ArchiveIndex.build(tmp_path)
    assert (index.records, index.torn) == (5, 1)
    assert index.get("http://site/p1").body.startswith(b"<html><body>page 1 "), "5 was torn"
    assert index.get("http://site/p0").body.startswith(b"<html><body>page 4 ")
    torn = path.read_bytes()
    write_pages(tmp_path, 1, start=6)
    assert path.read_bytes() == torn, "a possibly torn file is never appended to"
    assert len(archive_files(tmp_path)) == 2
    index = ArchiveIndex.build(tmp_path)
    assert (index.records, index.torn) == (6, 1)
    assert index.get("http://site/p2").body.startswith(b"<html><body>page 6 ")
    with path.open("ab") as stream:
        stream.write(b"\x00garbage after a crash\n")
    assert ArchiveIndex.build(tmp_path).records == 6


def test_files_are_rotated_by_size_and_the_newest_response_wins(tmp_path):
    write_pages(tmp_path, 12, max_bytes=1500)
    files = archive_files(tmp_path)
    assert len(files) > 2
    assert all(path.stat().st_size <= 1500 for path in files)
    index = ArchiveIndex.build(tmp_path)
    assert index.records == 12
    assert sorted(index.locations) == [f"http://site/p{n}" for n in range(4)]
    for n in range(4):
        assert index.get(f"http://site/p{n}").body.startswith(f"<html><body>page {8 + n} ".encode())


def test_set_cookie_and_secret_values_are_kept_out_of_a_record(tmp_path, monkeypatch):
    monkeypatch.setenv("DPC_PASSWORD", PASSWORD)
    monkeypatch.setenv("SCRAPERAPI_KEY", KEY)
    settings = {
        "DPC_DATA_DIR": str(tmp_path),
        "DPC_ARCHIVE": "1",
        "DPC_ARCHIVE_MAX_BYTES": 10**6,
        "DPC_BAN_MIN_BYTES": 1024,
    }
    crawler = get_crawler(settings_dict=settings)
    crawler.stats = StatsCollector(crawler)
    middleware = PageArchiveMiddleware.from_crawler(crawler)
    url = "http://site/image.php?IMAGE_ID=1"
    request = Request(url, meta={"dpc_page": "image"}, headers={"Cookie": "SESSION_ID=abc"})
    body = f"<html>{'x' * 2000} {PASSWORD} {quote(KEY)}</html>".encode()
    headers = {"Set-Cookie": "SESSION_ID=f00dfeedc0ffee; Path=/", "Content-Type": "text/html"}
    response = HtmlResponse(url, body=body, headers=headers, request=request)
    assert middleware.process_response(request, response) is response
    middleware.close()
    (page,) = iter_records(archive_of(tmp_path))
    assert page.url == url
    assert PASSWORD.encode() not in page.body and quote(KEY).encode() not in page.body
    assert page.body.startswith(b"<html>xxx") and page.body.endswith(b"</html>")
    archive = archived_bytes(tmp_path)
    assert b"set-cookie" not in archive.lower() and b"f00dfeedc0ffee" not in archive
    assert b"SESSION_ID=abc" not in archive


# ---- crawls ---------------------------------------------------------------------------------


def test_replay_rebuilds_the_same_records_with_no_request_at_all(tmp_path):
    first = tmp_path / "first"
    with Replica(**SIZE) as replica:
        recorded = [
            run_crawl("challenges", replica, first),
            run_crawl("images", replica, first, "thumbnails=0"),
        ]
        crawled = dataset(first)
        assert crawled["images.jsonl"] and crawled["entries.jsonl"]
        again = replay_folder(first, tmp_path / "again")
        replica.clear_requests()
        runs = [
            run_crawl("challenges", replica, again, settings=REPLAY),
            run_crawl("images", replica, again, "thumbnails=0", settings=REPLAY),
        ]
        assert replica.requests == []
    for run in runs:
        assert run.stats["finish_reason"] == "finished"
        assert run.stat("dpc/archive/replayed") > 0
        assert "Traceback" not in run.log, run.log[-3000:]
    assert dataset(again) == crawled
    size = sum(path.stat().st_size for path in archive_files(archive_of(first)))
    assert sum(run.stat("dpc/archive/records") for run in recorded) == runs[0].stat(
        "dpc/archive/replay_records"
    )
    assert 0 < sum(run.stat("dpc/archive/bytes") for run in recorded) <= size
    assert all("bytes a page" in run.log for run in recorded)
    assert len(archive_files(archive_of(again))) == len(archive_files(archive_of(first)))


def test_a_page_missing_from_the_archive_is_listed_not_fetched(tmp_path):
    first = tmp_path / "first"
    with Replica(**SIZE) as replica:
        archived, missing = [image["image_id"] for image in oracle.expected_images(replica.site)][
            :3:2
        ]
        run_crawl("images", replica, first, f"image_ids={archived}", "thumbnails=0")
        again = tmp_path / "again"
        again.mkdir()
        shutil.copytree(archive_of(first), archive_of(again))
        replica.clear_requests()
        # Thumbnails too: no file is in the store, and none may be fetched; nor the login.
        ids = f"image_ids={archived},{missing}"
        run = run_crawl("images", replica, again, ids, settings=REPLAY, env=LOGGED_IN)
        assert replica.requests == []
    assert [row["image_id"] for row in records(again / "images.jsonl", "image_id")] == [archived]
    assert run.stats["dpc/failed_ids/image"] == [missing]
    assert "not in the page archive" in run.log
    assert run.stat("dpc/archive/replay_missing") >= 2  # the page, and the thumbnail


def test_kill_9_leaves_every_earlier_record_readable(tmp_path):
    slow = FaultConfig(slow_seconds=0.1, slow_paths=("/image.php",))
    with Replica(seed=11, challenges=4, entries=8, faults=slow) as replica:
        settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
        process, _ = start_crawl("images", replica, tmp_path, "thumbnails=0", settings=settings)
        wait_for_lines(tmp_path / "images.jsonl", 4, process)
        interrupt(process, signal.SIGKILL)
        expected = len(oracle.expected_images(replica.site))
    written = records(tmp_path / "images.jsonl", "image_id")
    assert 4 <= len(written) < expected
    index = ArchiveIndex.build(archive_of(tmp_path))
    for row in written:
        assert row["url"] in index, "every page that gave a record was archived before it"
    pages = list(iter_records(archive_of(tmp_path)))
    assert len(pages) == index.records >= len(written) + 2  # robots.txt, history, results
    for page in pages:
        if not page.url.endswith("/robots.txt"):
            assert page.status == 200 and not is_cut_short(page_body(page))


def test_no_secret_or_session_cookie_reaches_the_archive(tmp_path):
    with Replica(**SIZE, password=PASSWORD) as replica:
        image_ids = [image["image_id"] for image in oracle.expected_images(replica.site)][:2]
        ids = ",".join(map(str, image_ids))
        run = run_crawl("images", replica, tmp_path / "login", f"image_ids={ids}", env=LOGGED_IN)
        assert run.stats.get("dpc/login") == "ok"
        cookies = {r.header("Cookie") for r in replica.requests if r.header("Cookie")}
        tokens = {c.split("SESSION_ID=", 1)[1].split(";")[0] for c in cookies if "SESSION_ID=" in c}
        assert tokens
        challenge_id = oracle.finished_challenge_ids(replica.site)[0]
        base, images = replica.base_url, replica.images_url
        with ScraperApiStandIn(KEY) as standin:
            settings = {"SCRAPERAPI_MODE": "api", "SCRAPERAPI_API_URL": standin.api_url}
            via_api = tmp_path / "api"
            run_crawl(
                "results",
                replica,
                via_api,
                f"challenge_ids={challenge_id}",
                settings=settings,
                env={"SCRAPERAPI_KEY": KEY},
            )
            assert standin.requests
    archive = archived_bytes(tmp_path / "login")
    assert b"Welcome back" in archive, "pages seen logged in were archived"
    assert PASSWORD.encode() not in archive
    for token in tokens:
        assert token.encode() not in archive
    assert b"set-cookie" not in archive.lower()
    assert b"\r\ncookie:" not in archive.lower()
    assert b"login.php" not in b"".join(
        line for line in archive.splitlines() if line.startswith(b"WARC-Target-URI")
    )
    api_archive = archived_bytes(via_api)
    assert KEY.encode() not in api_archive and b"api_key" not in api_archive
    urls = {page.url for page in iter_records(archive_of(via_api))}
    assert f"{base}/challenge_results.php?CHALLENGE_ID={challenge_id}&show_full=1" in urls
    assert all(url.startswith((base, images)) for url in urls)


def test_ban_pages_503s_and_cut_short_pages_are_not_archived(tmp_path):
    faults = FaultConfig(
        ban_every=5, status_503_every=7, truncate_every=4, truncate_mode="no_length"
    )
    with Replica(**SIZE, faults=faults) as replica:
        run = run_crawl("images", replica, tmp_path, "thumbnails=0")
        served = replica.page_requests()
        base = replica.base_url
    assert run.stats["finish_reason"] == "finished"
    assert {"ban", "503", "truncated"} <= {r.fault for r in served}
    whole = Counter(base + r.path for r in served if r.status == 200 and r.fault is None)
    pages = list(iter_records(archive_of(tmp_path)))
    assert Counter(page.url for page in pages) == whole
    for page in pages:
        assert not is_ban(page_body(page))


def test_dpc_archive_0_writes_no_archive(tmp_path):
    with Replica(**SIZE) as replica:
        challenge_id = oracle.finished_challenge_ids(replica.site)[0]
        args = (f"challenge_ids={challenge_id}",)
        run = run_crawl("results", replica, tmp_path, *args, settings={"DPC_ARCHIVE": "0"})
    assert records(tmp_path / "entries.jsonl", "image_id")
    assert run.stat("dpc/archive/records") == 0
    assert not archive_of(tmp_path).exists()
