"""Optional page rendering through Splash (SPLASH_URL) with scrapy-splash, fitted to Scrapy 2.19,
and the add-on that installs it: the spiders' page requests rendered by render.html."""

from __future__ import annotations

import os

import scrapy.utils.url
from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.settings.default_settings import REQUEST_FINGERPRINTER_CLASS
from scrapy.utils.misc import load_object
from w3lib.url import canonicalize_url

# scrapy-splash 0.11.1 imports canonicalize_url from scrapy.utils.url, which Scrapy 2.19 no longer
# re-exports from w3lib: without this, `import scrapy_splash` fails.
if not hasattr(scrapy.utils.url, "canonicalize_url"):
    scrapy.utils.url.canonicalize_url = canonicalize_url

import scrapy_splash

ENDPOINT = "render.html"
# images=0: Splash would otherwise fetch every thumbnail a results page shows, past robots.txt
# and the crawl delay; the media pipeline fetches the files it needs itself.
RENDER_ARGS = {"wait": 0, "images": 0}
FINGERPRINTER = "scrapy_splash.SplashRequestFingerprinter"


class SplashCookiesMiddleware(scrapy_splash.SplashCookiesMiddleware):
    """scrapy-splash's cookie middleware, without the `spider` arguments Scrapy 2.19 deprecates."""

    @classmethod
    def from_crawler(cls, crawler):
        middleware = super().from_crawler(crawler)
        middleware.crawler = crawler
        return middleware

    def process_request(self, request, spider=None):
        return super().process_request(request, self.crawler.spider)

    def process_response(self, request, response, spider=None):
        return super().process_response(request, response, self.crawler.spider)


class SplashMiddleware(scrapy_splash.SplashMiddleware):
    """scrapy-splash's downloader middleware, on Scrapy 2.19's downloader API."""

    def process_request(self, request, spider=None):
        return super().process_request(request, self.crawler.spider)

    def process_response(self, request, response, spider=None):
        return super().process_response(request, response, self.crawler.spider)

    def _get_slot_key(self, request_or_response):
        # The private Downloader._get_slot_key the library calls is gone; get_slot_key replaced it.
        return self.crawler.engine.downloader.get_slot_key(request_or_response)


class SplashDeduplicateArgsMiddleware(scrapy_splash.SplashDeduplicateArgsMiddleware):
    """scrapy-splash's spider middleware, with the async hooks Scrapy 2.19 requires.

    Scrapy 2.19 refuses a middleware whose process_spider_output is a plain generator and no
    longer calls process_start_requests, which is where the library set up its state.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _spider(self):
        spider = self.crawler.spider
        if getattr(spider, "state", None) is None:
            spider.state = {}
        spider.state.setdefault(self.local_values_key, {})
        return spider

    def _processed(self, item):
        return self._process_request(item, self._spider()) if isinstance(item, Request) else item

    async def process_start(self, start):
        async for item in start:
            yield self._processed(item)

    async def process_spider_output(self, response, result, spider=None):
        async for item in result:
            yield self._processed(item)


class SplashPagesMiddleware:
    """Turns the spiders' page requests (those with `dpc_page`) into render.html requests, as
    scrapy-splash's SplashRequest makes them; the callback sees the site's own URL. The login,
    robots.txt and the image files stay direct."""

    def process_request(self, request, spider=None):
        if request.meta.get("dpc_page") and "splash" not in request.meta:
            request.meta.update(render_meta(request.url))


def render_meta(url: str) -> dict:
    """What a SplashRequest for render.html carries in its meta."""
    meta = scrapy_splash.SplashRequest(url, endpoint=ENDPOINT, args=dict(RENDER_ARGS)).meta
    # As scrapy-splash's spider middleware leaves the requests it saw: the request, and so its
    # HTTP cache key, are those of a SplashRequest the spider yielded.
    meta["splash"]["_replaced_args"] = []
    return meta


def splash_url(settings) -> str:
    """SPLASH_URL from the settings, or from the environment when the settings do not name it."""
    value = settings.get("SPLASH_URL")
    if value is None:
        value = os.environ.get("SPLASH_URL", "")
    return str(value).strip()


class SplashAddon:
    """Pages rendered through Splash (scrapy-splash's render.html) when SPLASH_URL is set.

    scrapy-splash configured as its README says, a user's settings winning: a middleware already
    named (even as None, to turn it off) keeps its order, and SPLASH_URL and the fingerprinter
    are set at add-on priority, below the project's, a spider's and the command line's.
    scrapy-splash 0.11.1 deprecates SplashAwareDupeFilter and SplashAwareFSCacheStorage in favour
    of its fingerprinter, which Scrapy's own dupefilter and HTTP cache storage use, so
    DUPEFILTER_CLASS and HTTPCACHE_STORAGE stay as they are.
    """

    downloader_middlewares = {
        SplashPagesMiddleware: 722,
        SplashCookiesMiddleware: 723,
        SplashMiddleware: 725,
        HttpCompressionMiddleware: 810,
    }
    spider_middlewares = {SplashDeduplicateArgsMiddleware: 100}

    def update_settings(self, settings) -> None:
        url = splash_url(settings)
        if not url:
            raise NotConfigured
        if settings.get("SPLASH_URL") != url:
            settings.set("SPLASH_URL", url, priority="addon")
        for name, components in (
            ("DOWNLOADER_MIDDLEWARES", self.downloader_middlewares),
            ("SPIDER_MIDDLEWARES", self.spider_middlewares),
        ):
            for cls, order in components.items():
                settings.setdefault_in_component_priority_dict(name, cls, order)
        current = load_object(settings.get("REQUEST_FINGERPRINTER_CLASS"))
        if current not in (load_object(FINGERPRINTER), load_object(REQUEST_FINGERPRINTER_CLASS)):
            # Another feature's fingerprinter stays in use, under the Splash-aware one.
            base = "SCRAPY_SPLASH_REQUEST_FINGERPRINTER_BASE_CLASS"
            settings.set(base, current, priority="addon")
        settings.set("REQUEST_FINGERPRINTER_CLASS", FINGERPRINTER, priority="addon")
