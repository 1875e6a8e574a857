"""The add-on of distributed mode: scrapy-redis's shared scheduler, the fleet worker, the pacing."""

from __future__ import annotations

from scrapy.exceptions import NotConfigured

from dpchallenge.access.handlers import install_handler
from dpchallenge.distributed.handler import FleetPacedDownloadHandler
from dpchallenge.distributed.worker import FleetWorker


class RedisAddon:
    """Distributed mode when the REDIS_URL setting is set: scrapy-redis's shared queue and
    seen-set, one worker of the fleet, and requests paced fleet-wide.

    SCHEDULER_PERSIST is on because with scrapy-redis's default the first worker to close
    flushes the queue and seen-set of all the others; the fleet clears them once it is done.
    The pacing handler goes over whichever handler is configured for http and https, so this
    add-on comes after ScraperApiAddon in ADDONS: the pacing wraps the proxy.
    """

    defaults = {
        "SCHEDULER": "dpchallenge.distributed.scheduler.FleetScheduler",
        # The only dupefilter scrapy-redis 0.9.1's scheduler can build on Scrapy 2.19: it calls
        # from_settings, which Scrapy's own dupefilter no longer has.
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
    }

    def update_settings(self, settings) -> None:
        if not str(settings.get("REDIS_URL") or "").strip():
            raise NotConfigured
        for name, value in self.defaults.items():
            settings.set(name, value, priority="addon")
        settings.setdefault_in_component_priority_dict("EXTENSIONS", FleetWorker, 300)
        install_handler(settings, FleetPacedDownloadHandler)
