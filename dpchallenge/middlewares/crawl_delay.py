"""Honours robots.txt's Crawl-delay: a floor under the delay of the host's download slot.

Scrapy reads robots.txt for Allow/Disallow only; AutoThrottle and DOWNLOAD_DELAY may go lower.
"""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from scrapy import signals
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)
IMAGE_SLOT = "dpc-images"
# Jitter is symmetric: a floored slot keeps a little of it, and its delay is raised to match.
FLOORED_JITTER = 0.1


def image_slot_settings(settings) -> None:
    """The image host is throttled on its own slot: DPC_IMAGES_DELAY and DPC_IMAGES_CONCURRENCY."""
    slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
    slots.setdefault(
        IMAGE_SLOT,
        {
            "delay": settings.getfloat("DPC_IMAGES_DELAY"),
            "concurrency": settings.getint("DPC_IMAGES_CONCURRENCY"),
        },
    )
    settings.set("DOWNLOAD_SLOTS", slots, priority="spider")


def site_netloc(request) -> str:
    """The host the request is for: through Splash, the page's host, not Splash's."""
    rendered = (request.meta.get("splash") or {}).get("args", {}).get("url")
    return urlparse(rendered).netloc if rendered else urlparse_cached(request).netloc


class CrawlDelayMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.floors: dict[str, float] = {}
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def robots_parsed(self, robotparser, request):
        delay = robotparser.crawl_delay(self.user_agent)
        if not delay:
            return
        netloc = urlparse_cached(request).netloc
        self.floors[netloc] = float(delay)
        self.crawler.stats.set_value(f"dpc/crawl_delay/{netloc}", float(delay))
        logger.info("robots.txt of %s asks for a Crawl-delay of %s s; honouring it", netloc, delay)

    def process_request(self, request, spider=None):
        self._apply_floor(request)

    def process_response(self, request, response, spider=None):
        self._apply_floor(request)  # after AutoThrottle has adjusted the slot for this response
        return response

    def process_exception(self, request, exception, spider=None):
        self._apply_floor(request)

    def _apply_floor(self, request) -> None:
        floor = self.floors.get(site_netloc(request))
        if not floor:
            return
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is None:
            return
        slot.jitter = min(slot.jitter, FLOORED_JITTER)
        slot.delay = max(slot.delay, floor / (1 - slot.jitter))
