"""One worker of a distributed crawl: liveness, in-flight pages, and the fleet's end.

A worker that starts, or that finds the shared queue drained, queues again the pages of
workers that are gone, then every page its spider still expects that no part holds (and that
no live worker holds and that was not settled). The fleet's crawl is finished when the queue is
empty and no live worker has a page in flight; the last worker then clears the queue and the
seen-set, so a later run is not filtered by this one.
"""

from __future__ import annotations

import asyncio
import logging

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

from dpchallenge.data.layout import distributed, worker_name
from dpchallenge.data.settled import AskedFiles, settled_by
from dpchallenge.distributed.fleet import Fleet
from dpchallenge.signals import page_failed, page_parsed, page_without_record

logger = logging.getLogger(__name__)
BEAT_SECONDS = 2.0


class FleetWorker:
    def __init__(self, crawler):
        self.crawler = crawler
        self.fleet: Fleet | None = None
        self.fleet_finished = False
        self.crawl_keys: tuple[str, str] = ("", "")
        self._beat: asyncio.TimerHandle | None = None
        self.asked = AskedFiles()

    @classmethod
    def from_crawler(cls, crawler):
        if not distributed(crawler.settings):
            raise NotConfigured
        worker = cls(crawler)
        for handler, signal in (
            (worker.spider_opened, signals.spider_opened),
            (worker.spider_idle, signals.spider_idle),
            (worker.spider_closed, signals.spider_closed),
            (worker.item_scraped, signals.item_scraped),
            (worker.page_failed, page_failed),
            (worker.page_parsed, page_parsed),
            (worker.page_without_record, page_without_record),
        ):
            crawler.signals.connect(handler, signal=signal)
        return worker

    def spider_opened(self, spider):
        settings = self.crawler.settings
        self.fleet = Fleet(settings.get("REDIS_URL"), spider.name, worker_name(settings))
        self.asked = AskedFiles.of(spider)
        self.beat()
        self.crawler.stats.set_value("dpc/fleet/worker", self.fleet.worker)
        # This worker's own pages from a run that was killed (a restart may reuse its name).
        self.queue_again(self.fleet.take_over(self.fleet.worker), "its own earlier run")

    def beat(self):
        self.fleet.beat()
        self._beat = asyncio.get_event_loop().call_later(BEAT_SECONDS, self.beat)

    def queue_again(self, pages, whose: str) -> int:
        """Queues pages again (past the seen-set), less those some part holds by now."""
        spider = self.crawler.spider
        count = 0
        for kind, record_id in spider.not_written(pages) if pages else ():
            request = spider.request_for(kind, record_id)
            if request is not None:
                self.crawler.engine.crawl(request)
                count += 1
        if count:
            self.crawler.stats.inc_value("dpc/fleet/queued_again", count)
            logger.info("queued again %d page(s) from %s", count, whose)
        return count

    def spider_idle(self, spider):
        if self.crawler.engine.scheduler.has_pending_requests():
            raise DontCloseSpider
        queued = 0
        for worker in self.fleet.dead_workers():
            queued += self.queue_again(self.fleet.take_over(worker), f"worker {worker}, gone")
        if queued:
            raise DontCloseSpider
        if self.fleet.in_flight_elsewhere():
            raise DontCloseSpider  # wait: a live worker may still write them, or die
        settled = self.fleet.settled()
        left = [page for page in spider.work_left() if page not in settled]
        if left and self.queue_again(left, "the parts (expected, not written)"):
            raise DontCloseSpider
        scheduler = self.crawler.engine.scheduler
        self.crawl_keys = scheduler.shared_keys()
        self.fleet_finished = True

    def item_scraped(self, item, response=None, spider=None):
        """A page done; one whose file failed is settled, so the sweep does not queue it forever
        (it is in the failed ledger for the next run)."""
        settled = settled_by(item, self.asked)
        if settled.files_failed:
            self.fleet.settle(*settled.files_page)
        elif settled.page is not None:
            self.fleet.finished(*settled.page)

    def page_failed(self, kind, record_id, url, reason):
        self.fleet.settle(kind, record_id)

    def page_parsed(self, kind, record_id):
        self.fleet.finished(kind, record_id)

    def page_without_record(self, kind, record_id):
        self.fleet.settle(kind, record_id)

    def spider_closed(self, spider, reason):
        if self._beat is not None:
            self._beat.cancel()
        if reason == "finished" and self.fleet_finished:
            self.fleet.forget_crawl(*self.crawl_keys)
        self.fleet.leave()  # the pages still in flight go to the others (a pause included)
        self.crawler.stats.set_value("dpc/fleet/finished", self.fleet_finished)
