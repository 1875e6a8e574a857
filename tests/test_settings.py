"""The project's settings load, and every component they name is really enabled."""

from __future__ import annotations

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.project import get_project_settings

from dpchallenge.spiders.images import ImagesSpider


def crawler_for(**overrides):
    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    return Crawler(ImagesSpider, settings)  # runs the spider's update_settings, as a crawl does


def test_polite_defaults():
    settings = crawler_for().settings
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getint("DPC_IMAGES_CONCURRENCY") == 1
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert 429 in settings.getlist("RETRY_HTTP_CODES") and 503 in settings.getlist(
        "RETRY_HTTP_CODES"
    )
    assert settings.get("DPC_BAN_PAUSE") == 900 and settings.getint("DPC_MAX_BANS") == 3


def test_the_user_agent_names_the_contact_url():
    assert "+https://" in crawler_for().settings.get("USER_AGENT")
    agent = crawler_for(DPC_CONTACT_URL="mailto:lab@example.org").settings.get("USER_AGENT")
    assert agent.endswith("(research; +mailto:lab@example.org)")
    own = crawler_for(USER_AGENT="mine/1.0").settings.get("USER_AGENT")
    assert own == "mine/1.0"


def test_image_host_slot_is_configured_from_its_settings():
    slots = crawler_for(DPC_IMAGES_DELAY="2.5").settings.getdict("DOWNLOAD_SLOTS")
    assert slots["dpc-images"] == {"delay": 2.5, "concurrency": 1}


def test_the_components_named_in_settings_are_enabled(tmp_path):
    settings = get_project_settings()
    settings.set("LOG_INSTALL_ROOT_HANDLER", False)
    settings.set("DPC_DATA_DIR", str(tmp_path / "data"))  # the image store is made with the engine
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ImagesSpider)
    crawler._apply_settings()
    crawler.spider = crawler._create_spider()
    crawler.engine = crawler._create_engine()
    downloader = [type(m).__name__ for m in crawler.engine.downloader.middleware.middlewares]
    assert {"CrawlDelayMiddleware", "BackoffMiddleware", "BanMiddleware"} <= set(downloader)
    pipelines = [type(p).__name__ for p in crawler.engine.scraper.itemproc.middlewares]
    assert pipelines == [
        "ChallengeAfterEntries",
        "ValidationPipeline",
        "ScoreStatsPipeline",
        "MediaPipeline",
        "JsonLinesPipeline",
    ]
    extensions = {type(e).__name__ for e in crawler.extensions.middlewares}
    assert {"SecretsLogGuard", "StatsFile"} <= extensions
    handler = crawler.engine.downloader.handlers._get_handler("https")
    assert type(handler).__name__ == "HTTP11DownloadHandler"  # ScraperAPI's only with its add-on
