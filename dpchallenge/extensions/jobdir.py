"""Resets a JOBDIR whose last run crashed, so the rerun rebuilds its work from the dataset files.

Scrapy saves the request queue only on a clean stop but records every scheduled request as seen at
once: after a kill -9 the seen-list names requests that never ran, and resuming would skip them.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)
RUNNING_MARK = "dpc-running"
SCRAPY_STATE = ("requests.queue", "requests.seen")


class JobDirGuard:
    def __init__(self, jobdir: Path, crawler):
        self.jobdir = jobdir
        self.crawler = crawler
        mark = jobdir / RUNNING_MARK
        if mark.exists():
            logger.warning(
                "JOBDIR %s: the previous run did not stop cleanly; its queue is discarded and the "
                "work left is rebuilt from the dataset files",
                jobdir,
            )
            for name in SCRAPY_STATE:
                target = jobdir / name
                if target.is_dir():
                    shutil.rmtree(target)
                elif target.exists():
                    target.unlink()
            crawler.stats.set_value("dpc/jobdir/reset_after_crash", 1)
        jobdir.mkdir(parents=True, exist_ok=True)
        mark.touch()

    @classmethod
    def from_crawler(cls, crawler):
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise NotConfigured
        guard = cls(Path(jobdir), crawler)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def spider_closed(self, spider, reason):
        # The scheduler has written its queue by now (it closes before this signal).
        (self.jobdir / RUNNING_MARK).unlink(missing_ok=True)
