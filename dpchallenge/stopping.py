"""Stopping a crawl cleanly from any component, with one line saying why and how to resume."""

from __future__ import annotations

import asyncio
import logging

logger = logging.getLogger(__name__)

WRITE_ERROR = "write_error"


def stop_crawl(crawler, reason: str, message: str, resume: bool = True) -> None:
    """Closes the spider once (the first reason wins); the exit status then says it stopped.

    `resume=False` when running the same command again would meet the same stop."""
    if getattr(crawler, "dpc_stop_reason", None):
        return
    crawler.dpc_stop_reason = reason
    crawler.stats.set_value("dpc/stopped", reason)
    if resume:
        logger.error("%s; stopping. Run the same command again to resume", message)
    else:
        logger.error("%s; stopping", message)
    engine = crawler.engine
    if engine is None:
        return
    engine.unpause()
    crawler.dpc_closing = asyncio.ensure_future(engine.close_spider_async(reason=reason))


def stop_for_write_error(crawler, path, exc: OSError) -> None:
    stop_crawl(crawler, WRITE_ERROR, f"cannot write {path}: {exc.strerror or exc}")
