"""Writes each run's final stats as JSON: the latest per spider, and every run kept under runs/."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from scrapy import signals

from dpchallenge.data.files import write_atomically
from dpchallenge.data.layout import distributed, stats_file_template, worker_name

logger = logging.getLogger(__name__)


class StatsFile:
    def __init__(self, crawler):
        self.crawler = crawler
        self.started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider, reason):
        settings = self.crawler.settings
        template = stats_file_template(settings)
        name = spider.name
        if distributed(settings):
            name = f"{name}.{worker_name(settings)}"
        path = Path(template % {"spider": name})
        stats = dict(self.crawler.stats.get_stats(), finish_reason=reason)
        text = (json.dumps(stats, indent=1, sort_keys=True, default=_plain) + "\n").encode()
        run = path.parent / "runs" / f"{name}-{self.started}.json"
        try:
            write_atomically(path, text)
            write_atomically(run, text)
        except OSError as exc:
            logger.error("stats not written to %s (%s)", path, exc)


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else str(value)
