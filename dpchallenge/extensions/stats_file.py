"""Writes the crawl's final stats as JSON (DPC_STATS_FILE), so a long run leaves a report."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from scrapy import signals


class StatsFile:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider, reason):
        settings = self.crawler.settings
        template = settings.get("DPC_STATS_FILE") or str(
            Path(settings.get("DPC_DATA_DIR")) / "stats" / "%(spider)s.json"
        )
        path = Path(template % {"spider": spider.name})
        path.parent.mkdir(parents=True, exist_ok=True)
        stats = dict(self.crawler.stats.get_stats(), finish_reason=reason)
        text = json.dumps(stats, indent=1, sort_keys=True, default=_plain)
        path.write_text(text + "\n", encoding="utf-8")


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else str(value)
