"""scrapy-redis's scheduler, noting in Redis which pages this worker took from the shared queue."""

from __future__ import annotations

from scrapy_redis.scheduler import Scheduler

from dpchallenge.access.queues import without_cookies
from dpchallenge.distributed import worker_name
from dpchallenge.distributed.fleet import Fleet


class FleetScheduler(Scheduler):
    """Requests are popped without acknowledgement; the in-flight note lets the fleet recover
    a killed worker's pages. Stats are counted without scrapy-redis's deprecated spider=."""

    shared = True  # the seen-set is the fleet's: a spider lets it filter every page

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        return scheduler

    def open(self, spider):
        super().open(spider)
        settings = self.crawler.settings
        self.fleet = Fleet(settings.get("REDIS_URL"), spider.name, worker_name(settings))

    def enqueue_request(self, request):
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(without_cookies(request))
        return True

    def next_request(self):
        request = self.queue.pop(self.idle_before_close)
        if request is None:
            return None
        self.stats.inc_value("scheduler/dequeued/redis")
        if page := request.meta.get("dpc_page"):
            self.fleet.taken(page, request.meta.get("dpc_id"))
        return request

    def shared_keys(self) -> tuple[str, str]:
        """The Redis keys of the shared queue and seen-set."""
        return self.queue.key, self.df.key
