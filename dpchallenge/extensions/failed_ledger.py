"""Keeps failed.jsonl: pages and files that failed, each dropped once a later run succeeds."""

from __future__ import annotations

from pathlib import Path

from scrapy import signals

from dpchallenge.data.layout import FAILED, part_name
from dpchallenge.data.ledger import FailedLedger
from dpchallenge.data.settled import AskedFiles, settled_by
from dpchallenge.signals import page_failed, page_parsed, page_without_record


class FailedLedgerExtension:
    def __init__(self, crawler):
        self.crawler = crawler
        data_dir = Path(crawler.settings.get("DPC_DATA_DIR"))
        self.path = data_dir / part_name(FAILED, crawler.settings)
        self.ledger: FailedLedger | None = None
        self.asked = AskedFiles()

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.page_failed, signal=page_failed)
        crawler.signals.connect(extension.page_parsed, signal=page_parsed)
        crawler.signals.connect(extension.page_parsed, signal=page_without_record)
        return extension

    def spider_opened(self, spider):
        self.ledger = FailedLedger(self.path)
        self.asked = AskedFiles.of(spider)

    def spider_closed(self, spider, reason):
        if self.ledger is not None:
            self.ledger.close()
            self.crawler.stats.set_value("dpc/failed_ledger/entries", len(self.ledger))

    def page_failed(self, kind, record_id, url, reason):
        self.ledger.failed(kind, record_id, url, reason)

    def page_parsed(self, kind, record_id):
        """A page that gives no record of its own (the history list) came right."""
        self.ledger.succeeded(kind, record_id)

    def item_scraped(self, item, response=None, spider=None):
        settled = settled_by(item, self.asked)
        if settled.page is not None:
            self.ledger.succeeded(*settled.page)
        for outcome in settled.files:
            if outcome.failed:
                self.crawler.stats.inc_value(f"dpc/failed/{outcome.kind}")
                self.ledger.failed(
                    outcome.kind, outcome.image_id, outcome.url, outcome.error or "not stored"
                )
            else:
                self.ledger.succeeded(outcome.kind, outcome.image_id)
