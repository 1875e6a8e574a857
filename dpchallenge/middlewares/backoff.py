"""Waits before each retry: exponentially longer each time, or as long as Retry-After asks."""

from __future__ import annotations

import asyncio
import logging

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None  # an HTTP date: rare, and the exponential wait covers it


class BackoffMiddleware:
    """Sits after RetryMiddleware in the response chain, before it in the request chain."""

    def __init__(self, crawler):
        settings = crawler.settings
        self.base = settings.getfloat("DPC_RETRY_BACKOFF_BASE")
        self.cap = settings.getfloat("DPC_RETRY_BACKOFF_MAX")
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is not None:
            request.meta["dpc_retry_after"] = min(wait, self.cap)
        return response

    async def process_request(self, request, spider=None):
        retries = request.meta.get("retry_times", 0)
        if not retries:
            return
        wait = min(self.cap, self.base * 2 ** (retries - 1))
        wait = max(wait, request.meta.pop("dpc_retry_after", 0))
        self.stats.inc_value("dpc/retry_backoff/waits")
        self.stats.inc_value("dpc/retry_backoff/seconds", wait)
        await asyncio.sleep(wait)
