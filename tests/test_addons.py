"""The crawl's options as Scrapy add-ons: each on by its own trigger only, a user's settings win."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import scrapy
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import UsageError
from scrapy.settings import Settings
from scrapy.utils.misc import load_object
from scrapy.utils.project import get_project_settings
from scrapy.utils.request import RequestFingerprinter

from dpchallenge.access.scraperapi import ScraperApiAddon, ScraperApiDownloadHandler
from dpchallenge.access.splash import (
    SplashAddon,
    SplashDeduplicateArgsMiddleware,
    SplashMiddleware,
    SplashPagesMiddleware,
)
from dpchallenge.distributed.addon import RedisAddon
from dpchallenge.distributed.handler import FleetPacedDownloadHandler
from dpchallenge.distributed.worker import FleetWorker
from dpchallenge.spiders.images import ImagesSpider

KEY = "addon-test-key-0123456789"
SPLASH = "http://splash.test:8050"
REDIS = "redis://127.0.0.1:6399/0"
HANDLER = "dpchallenge.access.scraperapi.ScraperApiDownloadHandler"
PACED = "dpchallenge.distributed.handler.FleetPacedDownloadHandler"
SCRAPYS = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"
PACKAGE = Path(__file__).resolve().parents[1] / "dpchallenge"
# What turns each add-on on: (environment, -s settings).
TRIGGERS = {
    ScraperApiAddon: ({"SCRAPERAPI_KEY": KEY}, {}),
    SplashAddon: ({}, {"SPLASH_URL": SPLASH}),
    RedisAddon: ({}, {"REDIS_URL": REDIS}),
}


class OwnFingerprinter(RequestFingerprinter):
    pass


@pytest.fixture(autouse=True)
def no_triggers(monkeypatch):
    for name in ("SCRAPERAPI_KEY", "SPLASH_URL", "REDIS_URL", "DPC_USERNAME", "DPC_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def project(**cmdline) -> Settings:
    settings = get_project_settings()
    settings.set("SPLASH_URL", "", priority="project")  # as settings.py reads a clean environment
    settings.setdict(cmdline, priority="cmdline")
    return settings


def loaded(**cmdline) -> Crawler:
    """A crawler with the spider's and the add-ons' settings applied, as a crawl has them."""
    crawler = Crawler(ImagesSpider, project(**cmdline))
    crawler.addons.load_settings(crawler.settings)
    return crawler


def enabled(crawler) -> list[type]:
    return [type(addon) for addon in crawler.addons.addons]


def snapshot(settings) -> str:
    values = settings.copy_to_dict()
    return json.dumps(
        {name: [settings.getpriority(name), values[name]] for name in values},
        sort_keys=True,
        default=repr,
    )


def test_without_their_triggers_no_addon_is_enabled_and_no_setting_changes():
    crawler = Crawler(ImagesSpider, project())
    before = snapshot(crawler.settings)
    crawler.addons.load_settings(crawler.settings)
    assert enabled(crawler) == []
    assert snapshot(crawler.settings) == before


@pytest.mark.parametrize("addon", list(TRIGGERS), ids=lambda cls: cls.__name__)
def test_each_addon_is_enabled_by_its_own_trigger_only(addon, monkeypatch):
    env, cmdline = TRIGGERS[addon]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    crawler = loaded(**cmdline)
    assert enabled(crawler) == [addon]
    assert crawler.get_addon(addon) is not None


def test_scraperapi_addon_sets_its_concurrency_and_a_users_own_wins(monkeypatch):
    monkeypatch.setenv("SCRAPERAPI_KEY", KEY)
    settings = loaded(SCRAPERAPI_CONCURRENCY="7").settings
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 7
    assert settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") == 7
    own = loaded(AUTOTHROTTLE_TARGET_CONCURRENCY="2").settings
    assert own.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 5
    assert own.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") == 2


def test_scraperapi_addon_installs_its_handler_over_the_one_it_replaces(monkeypatch):
    monkeypatch.setenv("SCRAPERAPI_KEY", KEY)
    bare = Settings({"SCRAPERAPI_CONCURRENCY": 5})
    ScraperApiAddon().update_settings(bare)
    assert bare.getdict("DOWNLOAD_HANDLERS") == {"http": HANDLER, "https": HANDLER}
    assert bare.getdict("_SCRAPERAPI_FALLBACK_HANDLERS") == {"http": SCRAPYS, "https": SCRAPYS}
    theirs = Settings({"SCRAPERAPI_CONCURRENCY": 5})
    theirs.set("DOWNLOAD_HANDLERS", {"https": "my.Handler", "http": None}, priority="cmdline")
    ScraperApiAddon().update_settings(theirs)
    assert theirs.getdict("DOWNLOAD_HANDLERS") == {"http": None, "https": HANDLER}
    assert theirs.getdict("_SCRAPERAPI_FALLBACK_HANDLERS") == {"https": "my.Handler"}


def engine_of(**cmdline) -> Crawler:
    """A crawler of the project's settings, its add-ons applied and its engine built."""
    settings = project(LOG_INSTALL_ROOT_HANDLER=False, **cmdline)
    crawler = CrawlerProcess(settings).create_crawler(ImagesSpider)
    crawler._apply_settings()
    crawler.spider = crawler._create_spider()
    crawler.engine = crawler._create_engine()
    return crawler


def https_handler(crawler):
    return crawler.engine.downloader.handlers._get_handler("https")


SITE = scrapy.Request("https://www.dpchallenge.com/image.php?IMAGE_ID=7")


def test_without_scraperapi_the_handler_is_scrapys_own(tmp_path):
    crawler = engine_of(DPC_DATA_DIR=str(tmp_path / "data"))
    assert type(https_handler(crawler)) is load_object(SCRAPYS)


def test_with_scraperapi_its_handler_sends_through_scrapys_own(monkeypatch, tmp_path):
    monkeypatch.setenv("SCRAPERAPI_KEY", KEY)
    handler = https_handler(engine_of(DPC_DATA_DIR=str(tmp_path / "data")))
    assert type(handler) is ScraperApiDownloadHandler
    assert type(handler.fallback(SITE)) is load_object(SCRAPYS)


def test_the_fleets_pacing_wraps_scrapys_handler_without_scraperapi(tmp_path):
    handler = https_handler(engine_of(REDIS_URL=REDIS, DPC_DATA_DIR=str(tmp_path / "data")))
    assert type(handler) is FleetPacedDownloadHandler
    assert type(handler.fallback(SITE)) is load_object(SCRAPYS)


def test_settings_py_names_no_part_of_an_addon():
    """Each add-on installs its own parts: settings.py lists the add-ons, nothing of theirs."""
    tree = ast.parse((PACKAGE / "settings.py").read_text())
    named = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            for target in node.targets:
                keys = [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
                values = [v.value for v in node.value.values if isinstance(v, ast.Constant)]
                named[target.id] = [*keys, *values]
    addon_homes = (
        "dpchallenge.access.scraperapi.",
        "dpchallenge.access.splash.",
        "dpchallenge.distributed.",
    )
    components = ("DOWNLOAD_HANDLERS", "EXTENSIONS", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES")
    for name in components:
        parts = [path for path in named.get(name, []) if str(path).startswith(addon_homes)]
        assert parts == [], name
    assert "DOWNLOAD_HANDLERS" not in named
    assert set(named["ADDONS"]) >= {
        "dpchallenge.access.scraperapi.ScraperApiAddon",
        "dpchallenge.access.splash.SplashAddon",
        "dpchallenge.distributed.addon.RedisAddon",
    }


def test_at_most_five_modules_stand_loose_in_the_package():
    loose = [p.name for p in PACKAGE.glob("*.py") if not p.name.startswith("__")]
    assert len(loose) <= 5, sorted(loose)


def test_scraperapi_addon_refuses_an_unknown_mode_even_without_a_key():
    with pytest.raises(UsageError, match="SCRAPERAPI_MODE"):
        loaded(SCRAPERAPI_MODE="socks")


def test_splash_addon_adds_its_components_and_a_users_own_win():
    settings = loaded(SPLASH_URL=SPLASH).settings
    downloader = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert downloader[SplashMiddleware] == 725
    assert downloader[SplashPagesMiddleware] == 722
    assert downloader["dpchallenge.middlewares.bans.BanMiddleware"] == 570  # the project's kept
    assert SplashDeduplicateArgsMiddleware in settings.getdict("SPIDER_MIDDLEWARES")
    assert settings.get("REQUEST_FINGERPRINTER_CLASS") == "scrapy_splash.SplashRequestFingerprinter"

    own = loaded(
        SPLASH_URL=SPLASH,
        REQUEST_FINGERPRINTER_CLASS=OwnFingerprinter,
        DOWNLOADER_MIDDLEWARES={"dpchallenge.access.splash.SplashMiddleware": None},
    ).settings
    assert own.get("REQUEST_FINGERPRINTER_CLASS") is OwnFingerprinter
    downloader = own.getdict("DOWNLOADER_MIDDLEWARES")
    assert downloader["dpchallenge.access.splash.SplashMiddleware"] is None
    assert SplashMiddleware not in downloader  # the user's None kept, not added again
    assert downloader[load_object("dpchallenge.access.splash.SplashCookiesMiddleware")] == 723


def test_splash_addon_is_enabled_from_the_environment_too(monkeypatch):
    monkeypatch.setenv("SPLASH_URL", SPLASH)
    crawler = Crawler(scrapy.Spider, Settings({"ADDONS": {SplashAddon: 0}}))
    crawler.addons.load_settings(crawler.settings)
    assert enabled(crawler) == [SplashAddon]
    assert crawler.settings.get("SPLASH_URL") == SPLASH


def test_redis_addon_sets_the_shared_scheduler_and_a_users_own_wins():
    settings = loaded(REDIS_URL=REDIS).settings
    assert settings.get("SCHEDULER") == "dpchallenge.distributed.scheduler.FleetScheduler"
    assert settings.get("DUPEFILTER_CLASS") == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST") is True
    for name in ("SCHEDULER", "DUPEFILTER_CLASS"):
        load_object(settings.get(name))  # names that exist in scrapy-redis
    assert settings.getdict("EXTENSIONS")[FleetWorker] == 300
    assert settings.getdict("DOWNLOAD_HANDLERS") == {"http": PACED, "https": PACED}
    assert settings.getdict("_DPC_FLEET_FALLBACK_HANDLERS") == {"http": SCRAPYS, "https": SCRAPYS}
    own = loaded(
        REDIS_URL=REDIS, SCHEDULER_PERSIST="False", SCHEDULER="scrapy.core.scheduler.Scheduler"
    ).settings
    assert own.getbool("SCHEDULER_PERSIST") is False
    assert own.get("SCHEDULER") == "scrapy.core.scheduler.Scheduler"
    assert own.get("DUPEFILTER_CLASS") == "scrapy_redis.dupefilter.RFPDupeFilter"


@pytest.mark.parametrize("name", ["SCRAPERAPI_KEY", "DPC_PASSWORD"])
@pytest.mark.parametrize("addons", [None, {}], ids=["project-addons", "no-addons"])
def test_a_secret_given_as_a_setting_is_still_refused(name, addons):
    cmdline = {name: "given-as-a-setting"}
    if addons is not None:
        cmdline["ADDONS"] = addons
    with pytest.raises(UsageError, match=f"{name} was given as a Scrapy setting"):
        Crawler(ImagesSpider, project(**cmdline))


def test_the_project_settings_enable_each_addon_and_its_components(monkeypatch, tmp_path):
    monkeypatch.setenv("SCRAPERAPI_KEY", KEY)
    crawler = engine_of(
        SPLASH_URL=SPLASH,
        REDIS_URL=REDIS,
        DPC_DATA_DIR=str(tmp_path / "data"),  # the image store is made when the engine is
    )
    assert enabled(crawler) == [ScraperApiAddon, SplashAddon, RedisAddon]
    downloader = crawler.engine.downloader
    names = {type(m).__name__ for m in downloader.middleware.middlewares}
    assert {"SplashPagesMiddleware", "SplashCookiesMiddleware", "SplashMiddleware"} <= names
    assert "BanMiddleware" in names
    spider_mws = {type(m).__name__ for m in crawler.engine.scraper.spidermw.middlewares}
    assert "SplashDeduplicateArgsMiddleware" in spider_mws
    assert type(crawler.request_fingerprinter).__name__ == "SplashRequestFingerprinter"
    assert crawler.engine.scheduler_cls is load_object(
        "dpchallenge.distributed.scheduler.FleetScheduler"
    )
    assert {type(e) for e in crawler.extensions.middlewares} >= {FleetWorker}
    assert downloader.domain_concurrency == 5
    handler = https_handler(crawler)
    assert type(handler) is FleetPacedDownloadHandler  # the pacing over ScraperAPI's handler
    proxied = handler.fallback(SITE)
    assert type(proxied) is ScraperApiDownloadHandler
    assert proxied.key == KEY and proxied.direct_prefixes == (SPLASH,)
    assert type(proxied.fallback(SITE)) is load_object(SCRAPYS)


def test_the_spiders_import_nothing_of_splash_scraperapi_or_redis():
    for path in (PACKAGE / "spiders").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module] if isinstance(node, ast.ImportFrom) else []
                names += [alias.name for alias in node.names]
                for name in filter(None, names):
                    assert not name.startswith(
                        (
                            "dpchallenge.access.splash",
                            "dpchallenge.access.scraperapi",
                            "dpchallenge.distributed",
                            "scrapy_splash",
                            "scrapy_redis",
                        )
                    ), f"{path.name} imports {name}"
