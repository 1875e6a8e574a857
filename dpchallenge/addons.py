"""The crawl's options as Scrapy add-ons (ADDONS in settings.py), each owning its settings.

Each add-on turns itself on from one trigger (SCRAPERAPI_KEY in the environment, SPLASH_URL,
REDIS_URL) and otherwise raises NotConfigured before touching anything, so a disabled option
changes no setting and `crawler.get_addon(cls)` is None for it. What an add-on sets is at "addon"
priority, below the project's, a spider's and the command line's: a user's own setting wins.
Component dicts are merged into whatever priority they already have, an entry for the same
class or scheme already there keeping its value (None turns it off), as Scrapy's own
`setdefault_in_component_priority_dict` does.

The refusal of secrets given as settings is not here but in DpcSpider.update_settings: there it
runs when the crawler is made, so `scrapy crawl` reports it as a usage error (exit 2, no
traceback) before anything is logged, whatever ADDONS holds.
"""

from __future__ import annotations

from scrapy.exceptions import NotConfigured

from dpchallenge.access.scraperapi import KEY_ENV, scraperapi_mode, scraperapi_settings
from dpchallenge.access.secrets import secret
from dpchallenge.access.splash import apply_splash_settings, splash_url

ADDON_PRIORITY = "addon"


class ScraperApiAddon:
    """Every request through ScraperAPI when SCRAPERAPI_KEY is in the environment."""

    handler = "dpchallenge.access.scraperapi.ScraperApiDownloadHandler"

    def update_settings(self, settings) -> None:
        scraperapi_mode(settings)  # a wrong SCRAPERAPI_MODE is refused even without a key
        if not secret(KEY_ENV):
            raise NotConfigured
        scraperapi_settings(settings)
        handlers = settings.getdict("DOWNLOAD_HANDLERS")
        missing = {scheme: self.handler for scheme in ("http", "https") if scheme not in handlers}
        if missing:
            priority = settings.getpriority("DOWNLOAD_HANDLERS") or 0
            settings.set("DOWNLOAD_HANDLERS", {**handlers, **missing}, priority=priority)


class SplashAddon:
    """Pages rendered through Splash (scrapy-splash's render.html) when SPLASH_URL is set."""

    def update_settings(self, settings) -> None:
        if not splash_url(settings):
            raise NotConfigured
        apply_splash_settings(settings)


class RedisAddon:
    """Distributed mode when the REDIS_URL setting is set: scrapy-redis's shared queue and
    seen-set (through dpchallenge/distributed/), and requests paced fleet-wide.

    SCHEDULER_PERSIST is on because with scrapy-redis's default the first worker to close
    flushes the queue and seen-set of all the others; the fleet clears them once it is done.
    """

    paced_handler = "dpchallenge.distributed.handler.FleetPacedDownloadHandler"
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
            settings.set(name, value, priority=ADDON_PRIORITY)
        # The pacing wraps the project's handler (ScraperAPI's, itself a no-op without a key).
        handlers = settings.getdict("DOWNLOAD_HANDLERS")
        paced = {
            scheme: self.paced_handler if handler == ScraperApiAddon.handler else handler
            for scheme, handler in handlers.items()
        }
        settings.set("DOWNLOAD_HANDLERS", paced, priority=settings.getpriority("DOWNLOAD_HANDLERS"))
