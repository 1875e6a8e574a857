"""Keeps invalid.jsonl: ids the site says do not exist, so that a rerun does not ask again."""

from __future__ import annotations

from pathlib import Path

from scrapy import signals

from dpchallenge.data.layout import INVALID, part_name
from dpchallenge.data.ledger import InvalidLedger
from dpchallenge.items import ImageItem
from dpchallenge.signals import page_without_record


class InvalidLedgerExtension:
    def __init__(self, crawler):
        self.crawler = crawler
        data_dir = Path(crawler.settings.get("DPC_DATA_DIR"))
        self.path = data_dir / part_name(INVALID, crawler.settings)
        self.ledger: InvalidLedger | None = None

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.page_without_record, signal=page_without_record)
        return extension

    def spider_opened(self, spider):
        self.ledger = InvalidLedger(self.path)

    def spider_closed(self, spider, reason):
        if self.ledger is not None:
            self.ledger.close()

    def page_without_record(self, kind, record_id, url=None):
        if record_id is not None:
            self.ledger.invalid(kind, record_id, url)

    def item_scraped(self, item, response=None, spider=None):
        if isinstance(item, ImageItem):  # a refresh found the id valid after all
            self.ledger.succeeded("image", item.image_id)
