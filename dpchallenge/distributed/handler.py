"""The download handler, holding each request until the fleet's delay for its host has passed."""

from __future__ import annotations

import asyncio
import time
import uuid

from dpchallenge.access.handlers import WrappingHandler
from dpchallenge.access.scraperapi import ScraperApiDownloadHandler
from dpchallenge.distributed import distributed, worker_name
from dpchallenge.distributed.fleet import Fleet
from dpchallenge.middlewares.crawl_delay import CrawlDelayMiddleware, site_netloc

# From the handler to the site a request takes more or less time than the one before it: a
# few ms, and on a loaded machine up to 25 ms (seen in CI: a 45 ms gap for a 50 ms delay with
# a 20 ms margin). Against the site's 5 s delay this margin costs under 1% of the rate.
MARGIN_SECONDS = 0.04
# A worker whose event loop woke it later than this after its turn takes a new turn: sent late,
# its request could come too close to the next worker's.
LATE_SECONDS = 0.005
PLACE_POLL_SECONDS = 0.05


class FleetPacedDownloadHandler(WrappingHandler):
    """Paces the handler it replaced (ScraperAPI's when that add-on is on, else Scrapy's).

    Reserved here, as the request leaves, not in a middleware: a worker's own slot delay comes
    after the middlewares and would let two workers' requests bunch up."""

    fallback_setting = "_DPC_FLEET_FALLBACK_HANDLERS"  # set by the add-on only

    def __init__(self, crawler, inner=None):
        super().__init__(crawler, inner)
        settings = crawler.settings
        self.default_timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        self.fleet = None
        if distributed(settings):
            name = crawler.spidercls.name
            self.fleet = Fleet(settings.get("REDIS_URL"), name, worker_name(settings))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def delay_for(self, request) -> tuple[str, float]:
        """The host's slot and its delay: the worker's own, at least robots.txt's Crawl-delay."""
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        delay = slot.delay if slot is not None else self.crawler.settings.getfloat("DOWNLOAD_DELAY")
        crawl_delay = self.crawler.get_downloader_middleware(CrawlDelayMiddleware)
        if crawl_delay is not None:
            delay = max(delay, crawl_delay.floors.get(site_netloc(request), 0.0))
        return key, delay

    async def download_request(self, request):
        inner = self.fallback(request)
        if (
            self.fleet is not None
            and isinstance(inner, ScraperApiDownloadHandler)
            and inner.through_scraperapi(request)
        ):
            return await self.through_a_place(inner, request)
        return await self.paced(inner, request)

    async def through_a_place(self, inner, request):
        """Through ScraperAPI the politeness is its concurrency, fleet-wide (its many addresses
        are not the site's one)."""
        token = f"{self.fleet.worker}:{uuid.uuid4().hex}"
        places = self.crawler.settings.getint("SCRAPERAPI_CONCURRENCY")
        longest = request.meta.get("download_timeout", self.default_timeout) + 30
        while not self.fleet.take_place(token, places, longest):
            await asyncio.sleep(PLACE_POLL_SECONDS)
        try:
            return await inner.download_request(request)
        finally:
            self.fleet.free_place(token)

    async def paced(self, inner, request):
        if self.fleet is not None and not request.meta.get("dont_obey_robotstxt"):
            key, delay = self.delay_for(request)
            while delay > 0:
                wait = self.fleet.reserve(key, delay + MARGIN_SECONDS)
                turn = time.monotonic() + wait
                if wait > 0:
                    await asyncio.sleep(wait)
                if time.monotonic() - turn <= LATE_SECONDS:
                    break
                self.crawler.stats.inc_value("dpc/fleet/late_turns")
        return await inner.download_request(request)
