"""SPLASH_URL: pages rendered through a stand-in of Splash's render.html, with the same records."""

from __future__ import annotations

import itertools
import json
import socket

import pytest
import scrapy
from crawling import records, run_crawl
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings
from scrapy.utils.request import RequestFingerprinter
from standins.splash import MARKER, SplashStandin

from dpchallenge.access.splash import SplashAddon, SplashMiddleware, SplashPagesMiddleware
from dpchallenge.replica import Replica
from dpchallenge.spiders.results import ResultsSpider

PAGE_PATHS = ("/challenge_history.php", "/challenge_results.php", "/image.php")
FILES = {
    "challenges.jsonl": "challenge_id",
    "entries.jsonl": "image_id",
    "images.jsonl": "image_id",
}


def rendered(request) -> bool:
    return request.header(MARKER[0]) == MARKER[1]


def dataset(data_dir) -> dict:
    """Every record of every file, by id, without the time it was crawled."""
    out = {}
    for name, key in FILES.items():
        rows = records(data_dir / name, key)
        assert len(rows) == len({row[key] for row in rows}), name
        out[name] = {row[key]: {k: v for k, v in row.items() if k != "crawled_at"} for row in rows}
    return out


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One replica crawled by `challenges` then `images`: first plainly, then through Splash."""
    plain_dir, splash_dir = tmp_path_factory.mktemp("plain"), tmp_path_factory.mktemp("splash")
    with Replica(seed=3, challenges=4, entries=3) as replica, SplashStandin() as splash:
        # `challenges` logs in: the login stays direct and its session cookie reaches Splash.
        login = {"DPC_USERNAME": replica.username, "DPC_PASSWORD": replica.password}
        plain = [
            run_crawl("challenges", replica, plain_dir, env=login),
            run_crawl("images", replica, plain_dir),
        ]
        plain_requests, plain_renders = replica.requests, splash.renders
        replica.clear_requests()
        settings = {"SPLASH_URL": splash.url}
        runs = [run_crawl("challenges", replica, splash_dir, settings=settings, env=login)]
        logged_in = list(replica.requests)  # the images run, not logged in, asks for history too
        runs.append(run_crawl("images", replica, splash_dir, settings=settings))
        yield {
            "replica": replica,
            "logged_in": logged_in,
            "base_url": replica.base_url,
            "splash_url": splash.url,
            "plain": (plain_dir, plain, plain_requests, plain_renders),
            "splash": (splash_dir, runs, replica.requests, splash.renders),
        }


def test_crawls_through_splash_end_cleanly(crawled):
    _, runs, _, _ = crawled["splash"]
    for run in crawled["plain"][1] + runs:
        assert run.returncode == 0, run.log[-3000:]
        assert run.stats["finish_reason"] == "finished"
        assert "Traceback" not in run.log
    for run in runs:
        assert run.stat("splash/render.html/request_count") > 0
        assert "Warning" not in "\n".join(
            line for line in run.log.splitlines() if "splash" in line.lower()
        )


def test_every_page_and_only_pages_come_through_splash(crawled):
    _, runs, requests, renders = crawled["splash"]
    assert runs[0].stat("dpc/login") == "ok"
    pages = [r for r in requests if r.host == "pages" and r.path.startswith(PAGE_PATHS)]
    assert {r.path.split("?")[0] for r in pages} == set(PAGE_PATHS)
    assert all(rendered(r) for r in pages), [r.path for r in pages if not rendered(r)]
    others = [r for r in requests if r not in pages]
    assert {"/robots.txt", "/login.php"} <= {r.path for r in others}
    assert any(r.host == "images" and r.path.endswith(".jpg") for r in others)
    assert not any(rendered(r) for r in others)
    base = crawled["base_url"]
    assert sorted(render.url for render in renders) == sorted(base + r.path for r in pages)
    assert {render.endpoint for render in renders} == {"render.html"}
    replica = crawled["replica"]
    by_challenges = [r for r in crawled["logged_in"] if r in pages]
    assert {r.path.split("?")[0] for r in by_challenges} == set(PAGE_PATHS[:2])
    assert {replica.session_user(r.header("Cookie")) for r in by_challenges} == {replica.username}
    # The same walk as without Splash: no page more, none fewer.
    plain_pages = [r.path for r in crawled["plain"][2] if r.host == "pages"]
    assert sorted(r.path for r in requests if r.host == "pages") == sorted(plain_pages)


def test_records_equal_a_crawl_without_splash_and_name_the_site(crawled):
    plain_dir, splash_dir = crawled["plain"][0], crawled["splash"][0]
    through_splash = dataset(splash_dir)
    assert through_splash == dataset(plain_dir)
    assert all(through_splash.values())
    for rows in through_splash.values():
        for row in rows.values():
            if "url" in row:
                assert row["url"].startswith(crawled["base_url"] + "/"), row["url"]
    splash_address = crawled["splash_url"].removeprefix("http://").rstrip("/")
    for name in FILES:
        assert splash_address not in (splash_dir / name).read_text()


def test_without_splash_url_nothing_goes_through_splash(crawled):
    _, runs, requests, renders = crawled["plain"]
    assert renders == []
    assert requests and not any(rendered(r) for r in requests)
    for run in runs:
        assert run.stat("splash/render.html/request_count") == 0
        assert "dpchallenge.access.splash" not in run.log


def test_a_page_splash_cannot_render_goes_to_the_errback(tmp_path):
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    with Replica(seed=3, challenges=4, entries=3) as replica:
        run = run_crawl(
            "results",
            replica,
            tmp_path,
            "challenge_ids=1000",
            settings={"SPLASH_URL": dead, "RETRY_TIMES": "0"},
        )
        assert not any(rendered(r) for r in replica.requests)
    assert run.returncode == 1, run.log[-3000:]
    assert run.stat("dpc/failed/results") == 1
    assert run.stat("dpc/failed_ids/results") == [1000]


class OwnFingerprinter(RequestFingerprinter):
    pass


def test_splash_settings_only_when_set_and_command_line_wins(monkeypatch):
    monkeypatch.delenv("SPLASH_URL", raising=False)
    untouched = Settings({"SPLASH_URL": ""})
    before = json.dumps(untouched.copy_to_dict(), sort_keys=True, default=repr)
    with pytest.raises(NotConfigured):
        SplashAddon().update_settings(untouched)
    assert json.dumps(untouched.copy_to_dict(), sort_keys=True, default=repr) == before

    theirs = "dpchallenge.middlewares.bans.BanMiddleware"
    settings = Settings({"DOWNLOADER_MIDDLEWARES": {theirs: 570}}, priority="project")
    settings.set("SPLASH_URL", "http://splash:8050", priority="cmdline")
    settings.set("REQUEST_FINGERPRINTER_CLASS", OwnFingerprinter, priority="cmdline")
    SplashAddon().update_settings(settings)
    downloader = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert downloader[theirs] == 570
    assert downloader[SplashMiddleware] == 725
    assert settings.get("REQUEST_FINGERPRINTER_CLASS") is OwnFingerprinter

    monkeypatch.setenv("SPLASH_URL", "http://splash:8050")
    from_env = Settings()
    SplashAddon().update_settings(from_env)
    assert from_env.get("SPLASH_URL") == "http://splash:8050"
    spider_middlewares = from_env.getdict("SPIDER_MIDDLEWARES")
    assert any(cls.__name__ == "SplashDeduplicateArgsMiddleware" for cls in spider_middlewares)


def test_the_spider_yields_plain_requests_and_the_addon_renders_its_pages():
    settings = get_project_settings()
    settings.setdict({"SPLASH_URL": "http://splash:8050"}, priority="cmdline")
    spider = ResultsSpider.from_crawler(Crawler(ResultsSpider, settings), challenge_ids="5")
    page = spider.page_request(spider.results_url(5), spider.parse, "results", 5)
    assert type(page) is scrapy.Request and "splash" not in page.meta
    image_file = scrapy.Request("http://images.site.test/5.jpg")
    for request in (page, image_file):
        SplashPagesMiddleware().process_request(request)
    assert page.meta["splash"]["endpoint"] == "render.html"
    assert page.meta["splash"]["args"] == {"url": page.url, "wait": 0, "images": 0}
    assert page.url == spider.results_url(5)  # the callback sees the site's URL
    assert "splash" not in image_file.meta


def test_robots_crawl_delay_still_spaces_pages_rendered_through_splash(tmp_path):
    """AutoThrottle on, starting from no delay: only the Crawl-delay floor keeps pages apart."""
    settings = {
        "SPLASH_URL": "",
        "AUTOTHROTTLE_ENABLED": "True",
        "AUTOTHROTTLE_START_DELAY": "0",
        "DOWNLOAD_DELAY": "0",
    }
    with (
        Replica(seed=3, challenges=4, entries=3, crawl_delay=0.4) as replica,
        SplashStandin() as splash,
    ):
        settings["SPLASH_URL"] = splash.url
        run = run_crawl("challenges", replica, tmp_path, settings=settings)
        pages = [r for r in replica.requests if rendered(r)]
    assert run.returncode == 0
    assert len(pages) >= 3
    gaps = [b.time - a.time for a, b in itertools.pairwise(pages)]
    assert min(gaps) >= 0.4 * 0.98, gaps
