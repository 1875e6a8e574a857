"""Recognises the site's ban page, waits it out, and stops cleanly after too many bans in a row."""

from __future__ import annotations

import asyncio
import logging
import time

from dpchallenge.pages.common import is_ban
from dpchallenge.pages.text import decode_body
from dpchallenge.stopping import stop_crawl

logger = logging.getLogger(__name__)


def file_is_ban_page(response) -> bool:
    """The image host's answer is the site's ban page instead of a JPEG."""
    body = response.body
    return (
        response.status == 200
        and not body.startswith(b"\xff\xd8")
        and is_ban(decode_body(body[:4096]))
    )


def looks_banned(response, min_bytes: int) -> bool:
    """The ban page, or a page far shorter than any real one (the smallest seen is 3.6 KB)."""
    if response.status != 200:
        return False
    body = response.body
    return len(body) < min_bytes or is_ban(decode_body(body[:4096]))


class BanMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.pause = settings.getfloat("DPC_BAN_PAUSE")
        self.max_bans = settings.getint("DPC_MAX_BANS")
        self.min_bytes = settings.getint("DPC_BAN_MIN_BYTES")
        self.in_a_row = 0
        self.paused_until = 0.0
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request, spider=None):
        # Media downloads and retries bypass the engine's pause: hold them here instead.
        wait = self.paused_until - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def banned(self, request, response) -> bool | None:
        """Whether a page or file answer is the ban page; None for other requests."""
        if request.meta.get("dpc_page"):
            return looks_banned(response, self.min_bytes)
        if request.meta.get("dpc_kind"):
            return file_is_ban_page(response)
        return None

    def process_response(self, request, response, spider=None):
        banned = self.banned(request, response)
        if banned is None:
            return response
        if not banned:
            self.in_a_row = 0
            return response
        stats = self.crawler.stats
        stats.inc_value("dpc/bans/pages")
        tries = request.meta.get("dpc_ban_retries", 0)
        retry = request.replace(dont_filter=True)
        retry.meta["dpc_ban_retries"] = tries + 1
        if time.monotonic() >= self.paused_until and not self.stopping:
            self.in_a_row += 1
            stats.inc_value("dpc/bans/episodes")
            if self.in_a_row >= self.max_bans:
                self._stop(response.url)
                return retry  # kept in the queue (JOBDIR) for the next run
            self._pause(response.url)
        if tries >= self.max_bans:
            # Banned again and again while other pages came through: this page, not us.
            return response
        return retry

    def _pause(self, url: str) -> None:
        logger.warning(
            "ban page at %s (%d in a row); pausing for %.0f s before trying it again",
            url,
            self.in_a_row,
            self.pause,
        )
        self.paused_until = time.monotonic() + self.pause
        engine = self.crawler.engine
        engine.pause()
        asyncio.get_event_loop().call_later(self.pause, engine.unpause)

    def _stop(self, url: str) -> None:
        self.stopping = True
        self.crawler.stats.set_value("dpc/bans/stopped", self.in_a_row)
        stop_crawl(
            self.crawler,
            "banned",
            f"the site served its ban page {self.in_a_row} times in a row (last: {url}); "
            "the work left is kept",
        )
