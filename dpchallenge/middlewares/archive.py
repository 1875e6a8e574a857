"""Records whole page responses into the page archive, or with DPC_REPLAY answers from it."""

from __future__ import annotations

import logging
from urllib.parse import quote, quote_plus, urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from dpchallenge.access.login import session_cookie_values
from dpchallenge.access.secrets import REDACTED, SECRET_NAMES, secret
from dpchallenge.data.layout import archive_dir
from dpchallenge.data.warc import ArchiveIndex, ArchiveWriter
from dpchallenge.middlewares.bans import looks_banned
from dpchallenge.pages.common import is_cut_short
from dpchallenge.pages.text import decode_body

logger = logging.getLogger(__name__)
NOT_ARCHIVED = "not in the page archive"
# Cookie values shorter than this are flags (e.g. "1"), not sessions.


def is_robots_txt(request) -> bool:
    return urlsplit(request.url).path == "/robots.txt"


class PageArchiveMiddleware:
    """Sits below the ban and retry middlewares, so it sees only the responses they let through."""

    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.replay = settings.getbool("DPC_REPLAY")
        self.record = settings.getbool("DPC_ARCHIVE") and not self.replay
        if not (self.replay or self.record):
            raise NotConfigured
        self.directory = archive_dir(settings)
        self.min_bytes = settings.getint("DPC_BAN_MIN_BYTES")
        self.index: ArchiveIndex | None = None
        self.writer: ArchiveWriter | None = None
        if self.replay:
            self.index = ArchiveIndex.build(self.directory)
            self.stats.set_value("dpc/archive/replay_records", self.index.records)
            logger.info(
                "replaying from the page archive %s: %d pages (%d torn records skipped); "
                "nothing is fetched",
                self.directory,
                len(self.index),
                self.index.torn,
            )
        else:
            self.writer = ArchiveWriter(self.directory, settings.getint("DPC_ARCHIVE_MAX_BYTES"))
            crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        if not self.replay:
            return None
        page = self.index.get(request.url) if request.method == "GET" else None
        if page is None:
            self.stats.inc_value("dpc/archive/replay_missing")
            raise IgnoreRequest(NOT_ARCHIVED)
        self.stats.inc_value("dpc/archive/replayed")
        headers = Headers()
        for key, value in page.headers:
            headers.appendlist(key, value)
        response_class = responsetypes.from_args(headers=headers, url=page.url, body=page.body)
        return response_class(
            url=page.url,
            status=page.status,
            headers=headers,
            body=page.body,
            flags=["archive"],
            request=request,
            protocol=page.protocol,
        )

    def process_response(self, request, response, spider=None):
        if self.writer is not None and self.archivable(request, response):
            self.write(request, response)
        return response

    def archivable(self, request, response) -> bool:
        if response.status != 200 or request.method != "GET" or request.meta.get("dpc_login"):
            return False
        if "cached" in response.flags or "dataloss" in response.flags:
            return False
        if is_robots_txt(request):
            return True
        if not request.meta.get("dpc_page"):
            return False  # image files, and anything else that is not one of our pages
        if looks_banned(response, self.min_bytes):
            return False
        return not is_cut_short(decode_body(response.body[-1024:]))

    def write(self, request, response) -> None:
        secrets = self.secret_values()
        url = response.url
        if any(value in url for value in secrets):
            self.stats.inc_value("dpc/archive/refused_secret_url")
            logger.warning("not archived: the URL of a response holds a secret")
            return
        body = response.body
        for value in secrets:
            if value.encode() in body:
                body = body.replace(value.encode(), REDACTED.encode())
                self.stats.inc_value("dpc/archive/redacted")
        headers = [
            (key.decode("latin-1"), value.decode("latin-1"))
            for key, values in response.headers.items()
            for value in values
        ]
        redirected_from = [u for u in request.meta.get("redirect_urls", ()) if u != url]
        size = self.writer.write_response(
            url,
            response.status,
            headers,
            body,
            protocol=response.protocol or "HTTP/1.1",
            redirected_from=redirected_from,
        )
        self.stats.inc_value("dpc/archive/records")
        self.stats.inc_value("dpc/archive/bytes", size)

    def secret_values(self) -> list[str]:
        """The password, the ScraperAPI key (as URLs carry it) and the site's session cookies."""
        values = []
        for name in SECRET_NAMES:
            value = secret(name)
            if value:
                values += [value, quote(value, safe=""), quote_plus(value)]
        values += session_cookie_values(self.crawler)
        return sorted(set(values), key=len, reverse=True)

    def close(self, spider=None) -> None:
        if self.writer is not None:
            self.writer.close()
            if self.writer.records:
                logger.info(
                    "page archive: %d pages, %d bytes, %.0f bytes a page (in %s)",
                    self.writer.records,
                    self.writer.bytes_written,
                    self.writer.bytes_written / self.writer.records,
                    self.directory,
                )
