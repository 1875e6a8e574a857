"""HTTP cache policy: pages for re-parsing; never a ban page, a cut-short page or an image."""

from __future__ import annotations

from scrapy.extensions.httpcache import DummyPolicy

from dpchallenge.middlewares.bans import looks_banned
from dpchallenge.pages.common import is_cut_short
from dpchallenge.pages.text import decode_body


class PagesOnlyPolicy(DummyPolicy):
    def __init__(self, settings):
        super().__init__(settings)
        self.min_bytes = settings.getint("DPC_BAN_MIN_BYTES")

    def should_cache_request(self, request):
        return bool(request.meta.get("dpc_page")) and super().should_cache_request(request)

    def should_cache_response(self, response, request):
        if not super().should_cache_response(response, request):
            return False
        if response.status != 200:
            return True
        if looks_banned(response, self.min_bytes):
            return False
        return not is_cut_short(decode_body(response.body[-1024:]))
