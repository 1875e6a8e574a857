"""ScraperAPI as a download handler (proxy port or HTTP API), its key kept out of everything, and
the add-on that installs it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import quote, quote_plus, urldefrag, urlencode, urlsplit, urlunsplit

from scrapy import Request
from scrapy.exceptions import DownloadFailedError, NotConfigured, StopDownload, UsageError
from scrapy.http import Response
from scrapy.responsetypes import responsetypes

from dpchallenge.access.handlers import WrappingHandler, install_handler
from dpchallenge.access.secrets import REDACTED, redact_in_logs, secret

KEY_ENV = "SCRAPERAPI_KEY"
MODES = ("proxy", "api")
PROXY_USER = "scraperapi"
# ScraperAPI keeps retrying a page on its side for about a minute (its docs now say 70 s) before
# it answers with its failure page; a shorter timeout would give up on answers still coming.
MIN_TIMEOUT = 80.0
FAILURE_TEXT = b"Request failed"


class ScraperApiFailed(DownloadFailedError):
    """ScraperAPI's own failure page; a DownloadFailedError, so RetryMiddleware retries it."""


class ScraperApiError(DownloadFailedError):
    """A download error through ScraperAPI whose own text held the key, retold without it."""


def scraperapi_mode(settings) -> str:
    mode = str(settings.get("SCRAPERAPI_MODE") or "proxy").strip().lower()
    if mode not in MODES:
        raise UsageError(f"SCRAPERAPI_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def scraperapi_settings(settings) -> None:
    """Concurrency under ScraperAPI (ScraperApiAddon calls it, before the settings freeze).

    Requests reach the site from ScraperAPI's many addresses, so with a key in the environment
    SCRAPERAPI_CONCURRENCY replaces CONCURRENT_REQUESTS_PER_DOMAIN (whatever its priority) and
    sets AutoThrottle's target concurrency unless that was set at a higher priority.
    """
    scraperapi_mode(settings)
    if not secret(KEY_ENV):
        return
    concurrency = settings.getint("SCRAPERAPI_CONCURRENCY")
    if concurrency < 1:
        raise UsageError(f"SCRAPERAPI_CONCURRENCY must be at least 1, not {concurrency}")
    own = settings.getpriority("SCRAPERAPI_CONCURRENCY") or 0
    per_domain = settings.getpriority("CONCURRENT_REQUESTS_PER_DOMAIN") or 0
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", concurrency, priority=max(own, per_domain))
    total = settings.getint("CONCURRENT_REQUESTS")
    if 0 < total < concurrency:
        total_priority = settings.getpriority("CONCURRENT_REQUESTS") or 0
        settings.set("CONCURRENT_REQUESTS", concurrency, priority=max(own, total_priority))
    settings.set("AUTOTHROTTLE_TARGET_CONCURRENCY", float(concurrency), priority=own)


class ScraperApiDownloadHandler(WrappingHandler):
    """A private copy of each request sent through ScraperAPI by the handler this one replaced
    (Scrapy's HTTP/1.1 handler unless another was configured).

    The request Scrapy holds is never changed: the HTTP cache stores its headers, JOBDIR pickles
    it and the log prints it, so the key goes only on the copy. Without SCRAPERAPI_KEY in the
    environment requests go straight to the site.
    """

    fallback_setting = "_SCRAPERAPI_FALLBACK_HANDLERS"  # set by the add-on only

    def __init__(self, crawler, inner=None):
        super().__init__(crawler, inner)
        settings = crawler.settings
        self.key = secret(KEY_ENV)
        self.mode = scraperapi_mode(settings)
        self.proxy_url = settings.get("SCRAPERAPI_PROXY")
        self.api_url = settings.get("SCRAPERAPI_API_URL")
        self.default_timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        # Splash is the user's own renderer: ScraperAPI could not reach it, and Splash fetches
        # the page itself.
        self.direct_prefixes = tuple(url for url in (settings.get("SPLASH_URL"),) if url)
        if self.key:
            credentials = base64.b64encode(f"{PROXY_USER}:{self.key}".encode()).decode()
            self.proxy_authorization = f"Basic {credentials}"
            self.key_forms = sorted(
                {self.key, quote(self.key, safe=""), quote_plus(self.key), credentials},
                key=len,
                reverse=True,
            )
            redact_in_logs(self.key_forms)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def through_scraperapi(self, request: Request) -> bool:
        return bool(self.key) and not request.url.startswith(self.direct_prefixes)

    async def download_request(self, request: Request) -> Response:
        inner = self.fallback(request)
        if not self.through_scraperapi(request):
            return await inner.download_request(request)
        sent = self.outgoing(request)
        try:
            response = await inner.download_request(sent)
        except StopDownload as stop:
            if self.mode == "api" and stop.response is not None:
                stop.response = self.site_response(stop.response, request)
            raise
        except Exception as error:
            if not self.leaks(error):
                raise
            raise self.retold(error, sent, request) from None
        finally:
            if "download_latency" in sent.meta:
                request.meta["download_latency"] = sent.meta["download_latency"]
        if self.mode == "api":
            response = self.site_response(response, request)
        if response.body[:512].lstrip().startswith(FAILURE_TEXT):
            first_line = response.body.lstrip().split(b"\n", 1)[0][:200]
            detail = self.scrub(first_line.decode("utf-8", "replace"), sent, request)
            raise ScraperApiFailed(f"ScraperAPI gave up (HTTP {response.status}): {detail}")
        return response

    def outgoing(self, request: Request) -> Request:
        """The copy that goes to ScraperAPI, with the key and a timeout ScraperAPI can meet."""
        timeout = float(request.meta.get("download_timeout") or self.default_timeout)
        if self.mode == "api":
            sent = request.replace(url=self.api_request_url(request.url))
        else:
            sent = request.replace()
            sent.meta["proxy"] = self.proxy_url
            sent.headers["Proxy-Authorization"] = self.proxy_authorization
        sent.meta["download_timeout"] = max(timeout, MIN_TIMEOUT)
        return sent

    def api_request_url(self, site_url: str) -> str:
        parts = urlsplit(self.api_url)
        query = urlencode({"api_key": self.key, "url": urldefrag(site_url)[0]})
        if parts.query:
            query = f"{parts.query}&{query}"
        return urlunsplit(parts._replace(query=query))

    @staticmethod
    def site_response(response: Response, request: Request) -> Response:
        """The API's answer as the site's: its URL and request are the site's, not the API's."""
        url = urldefrag(request.url)[0]
        response_class = responsetypes.from_args(
            headers=response.headers, url=url, body=response.body
        )
        return response_class(
            url=url,
            status=response.status,
            headers=response.headers,
            body=response.body,
            flags=response.flags,
            request=request,
            certificate=response.certificate,
            ip_address=response.ip_address,
            protocol=response.protocol,
        )

    def scrub(self, text: str, sent: Request, request: Request) -> str:
        for sent_url in (sent.url, urldefrag(sent.url)[0]):
            text = text.replace(sent_url, request.url)
        for form in self.key_forms:
            text = text.replace(form, REDACTED)
        return text

    def leaks(self, error: BaseException) -> bool:
        return any(form in text for text in _texts(error) for form in self.key_forms)

    def retold(self, error: Exception, sent: Request, request: Request) -> Exception:
        message = self.scrub(str(error), sent, request)
        try:
            clean = type(error)(message)
        except Exception:
            return ScraperApiError(message)
        return clean if not self.leaks(clean) else ScraperApiError(message)


def _texts(error: BaseException | None) -> Iterator[str]:
    """What a log line or traceback could show of an exception and the ones chained to it."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield str(error)
        yield repr(error.args)
        error = error.__cause__ or error.__context__


class ScraperApiAddon:
    """Every request through ScraperAPI when SCRAPERAPI_KEY is in the environment: its handler
    over the one configured for http and https, and its concurrency."""

    def update_settings(self, settings) -> None:
        scraperapi_mode(settings)  # a wrong SCRAPERAPI_MODE is refused even without a key
        if not secret(KEY_ENV):
            raise NotConfigured
        scraperapi_settings(settings)
        install_handler(settings, ScraperApiDownloadHandler)
