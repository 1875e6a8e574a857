"""Download handlers an add-on installs over the ones configured, which they keep as fallback."""

from __future__ import annotations

import inspect

from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.python import global_object_name

SCHEMES = ("http", "https")


def install_handler(settings, handler) -> None:
    """`handler` for http and https, the handler each replaced kept in its fallback_setting.

    A scheme the user turned off (None) stays off; the handler is named by its import path, as
    a user would write it, so the settings log and compare as text.
    """
    configured = settings.getwithbase("DOWNLOAD_HANDLERS")
    base = settings.getdict("DOWNLOAD_HANDLERS_BASE")
    path = global_object_name(handler)
    handlers = settings.getdict("DOWNLOAD_HANDLERS")
    fallbacks = {}
    for scheme in SCHEMES:
        current = configured.get(scheme)
        if current is None:
            continue
        fallbacks[scheme] = base[scheme] if current in (handler, path) else current
        handlers[scheme] = path
    settings.set(handler.fallback_setting, fallbacks, priority="addon")
    priority = settings.getpriority("DOWNLOAD_HANDLERS") or 0
    settings.set("DOWNLOAD_HANDLERS", handlers, priority=priority)


class WrappingHandler:
    """Hands each request to the handler it replaced for the request's scheme (its fallback),
    built when that scheme's first request comes."""

    lazy = False
    fallback_setting = ""

    def __init__(self, crawler, inner=None):
        self.crawler = crawler
        self.inner = inner
        self.fallbacks: dict[str, object] = {}

    def fallback(self, request):
        if self.inner is not None:
            return self.inner
        scheme = urlparse_cached(request).scheme
        if scheme not in self.fallbacks:
            settings = self.crawler.settings
            path = settings.getdict(self.fallback_setting).get(scheme)
            path = path or settings.getdict("DOWNLOAD_HANDLERS_BASE")[scheme]
            self.fallbacks[scheme] = build_from_crawler(load_object(path), self.crawler)
        return self.fallbacks[scheme]

    async def close(self) -> None:
        for handler in [self.inner, *self.fallbacks.values()]:
            closing = getattr(handler, "close", None)
            result = closing() if closing is not None else None
            if inspect.isawaitable(result):
                await result
