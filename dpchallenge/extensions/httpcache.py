"""HTTP cache: whole 200 pages for re-parsing, stored without the session cookie."""

from __future__ import annotations

from scrapy.extensions.httpcache import DummyPolicy, FilesystemCacheStorage

from dpchallenge.access.queues import without_cookies
from dpchallenge.middlewares.bans import looks_banned
from dpchallenge.pages.common import is_cut_short
from dpchallenge.pages.text import decode_body


class PagesOnlyPolicy(DummyPolicy):
    """Never a ban page, an error (a cached 503 is replayed to every retry), a cut-short page or
    an image file."""

    def __init__(self, settings):
        super().__init__(settings)
        self.min_bytes = settings.getint("DPC_BAN_MIN_BYTES")

    def should_cache_request(self, request):
        return bool(request.meta.get("dpc_page")) and super().should_cache_request(request)

    def should_cache_response(self, response, request):
        if response.status != 200 or not super().should_cache_response(response, request):
            return False
        if looks_banned(response, self.min_bytes):
            return False
        return not is_cut_short(decode_body(response.body[-1024:]))

    def is_cached_response_fresh(self, cachedresponse, request):
        # A page that did not parse is fetched again from the site, and the answer replaces it.
        return not request.meta.get("dpc_refetch")

    def is_cached_response_valid(self, cachedresponse, response, request):
        return not request.meta.get("dpc_refetch")


class CookielessCacheStorage(FilesystemCacheStorage):
    """Scrapy's filesystem cache minus Cookie and Set-Cookie: a session is as good as a password."""

    def store_response(self, spider, request, response):
        headers = response.headers.copy()
        headers.pop(b"Set-Cookie", None)
        super().store_response(spider, without_cookies(request), response.replace(headers=headers))
