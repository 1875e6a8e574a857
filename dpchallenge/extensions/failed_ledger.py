"""Keeps failed.jsonl: pages and files that failed, each dropped once a later run succeeds."""

from __future__ import annotations

from pathlib import Path

from scrapy import signals

from dpchallenge.data.ledger import LEDGER_NAME, FailedLedger
from dpchallenge.data.worklist import known_absent
from dpchallenge.distributed import part_name
from dpchallenge.items import ChallengeItem, EntryItem, ImageItem
from dpchallenge.signals import page_failed, page_parsed, page_without_record


class FailedLedgerExtension:
    def __init__(self, crawler):
        self.crawler = crawler
        data_dir = Path(crawler.settings.get("DPC_DATA_DIR"))
        self.path = data_dir / part_name(LEDGER_NAME, crawler.settings)
        self.ledger: FailedLedger | None = None

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
        if isinstance(item, ChallengeItem):
            self.ledger.succeeded("results", item.challenge_id)
        elif isinstance(item, EntryItem):
            if item.thumbnail_url:
                self.file_outcome(
                    "thumb",
                    item.image_id,
                    item.thumbnail_url,
                    item.thumbnail_path,
                    item.thumbnail_error,
                )
            if item.image_path or item.image_error:
                self.file_outcome(
                    "full", item.image_id, item.image_url, item.image_path, item.image_error
                )
        elif isinstance(item, ImageItem):
            self.ledger.succeeded("image", item.image_id)
            for stored in item.files or []:
                self.file_outcome(
                    stored["kind"],
                    item.image_id,
                    stored.get("url"),
                    stored.get("path"),
                    stored.get("error"),
                )

    def file_outcome(self, kind, image_id, url, path, error):
        if path or known_absent(error):
            self.ledger.succeeded(kind, image_id)
        else:
            self.crawler.stats.inc_value(f"dpc/failed/{kind}")
            self.ledger.failed(kind, image_id, url, error or "not stored")
