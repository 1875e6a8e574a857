"""A local stand-in for ScraperAPI (its proxy port and its HTTP API) that checks the key."""

from __future__ import annotations

import base64
import http.client
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from dpchallenge.replica.httpd import LocalServer

FAILURE_BODY = (
    b"Request failed. You will not be charged for this request. Please make sure your URL is "
    b"correct and try again. Protected domains may require adding premium=true OR "
    b"ultra_premium=true parameter to your request."
)
VIA = "1.1 standin-scraperapi"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


@dataclass
class StandInRecord:
    kind: str  # proxy (plain HTTP through the proxy) | connect | tunnel (inside a CONNECT) | api
    method: str
    url: str  # the site URL asked for (for api: the url parameter)
    key_ok: bool  # the right key came with it (for tunnel: with its CONNECT)
    status: int  # what the stand-in answered
    forwarded: bool  # the site was asked
    headers: dict[str, str] = field(default_factory=dict)  # as the crawler sent them

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


class _Server(LocalServer):
    def __init__(self, address, handler, standin: ScraperApiStandIn) -> None:
        super().__init__(address, handler)
        self.standin = standin


class ScraperApiStandIn:
    """Both ScraperAPI endpoints on 127.0.0.1; forwards only to 127.0.0.1.

    `proxy_url` is the proxy port (Basic auth `scraperapi:<key>`, 407 otherwise); CONNECT is
    answered when `tls=(certfile, keyfile)` is given, and the stand-in then reads the tunnelled
    requests itself, as ScraperAPI does, and fetches them from the site over plain HTTP.
    `api_url` is the API (`?api_key=<key>&url=<url>`, 403 otherwise), which like ScraperAPI's
    does not pass the caller's headers on. `fail_next(n)` answers the next n keyed requests with
    ScraperAPI's failure page; `delay` holds every answer back that many seconds.
    """

    def __init__(self, key: str, *, tls: tuple[str, str] | None = None, delay: float = 0.0):
        self.key = key
        self.delay = delay
        self._tls = tls
        self._servers: dict[str, _Server] = {}
        self._log: list[StandInRecord] = []
        self._lock = threading.Lock()
        self._failures_left = 0

    def start(self) -> ScraperApiStandIn:
        for kind, handler in (("proxy", _ProxyHandler), ("api", _ApiHandler)):
            server = _Server(("127.0.0.1", 0), handler, self)
            self._servers[kind] = server.start(f"standin-scraperapi-{kind}")
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()

    def __enter__(self) -> ScraperApiStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def proxy_url(self) -> str:
        return self._servers["proxy"].url

    @property
    def api_url(self) -> str:
        return self._servers["api"].url + "/"

    @property
    def requests(self) -> list[StandInRecord]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._failures_left = count

    # ---- used by the handlers -----------------------------------------------------------

    def record(self, record: StandInRecord) -> None:
        with self._lock:
            self._log.append(record)

    def take_failure(self) -> bool:
        with self._lock:
            if self._failures_left > 0:
                self._failures_left -= 1
                return True
            return False

    def proxy_key_ok(self, header: str | None) -> bool:
        expected = base64.b64encode(f"scraperapi:{self.key}".encode()).decode()
        return header == f"Basic {expected}"

    def tls_context(self) -> ssl.SSLContext | None:
        if self._tls is None:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self._tls)
        return context


def fetch(method: str, url: str, headers: dict[str, str], body: bytes):
    """The site's answer to one request, over plain HTTP, as (status, headers, body)."""
    parts = urlsplit(url)
    if parts.hostname not in LOCAL_HOSTS:
        return 502, [], b"the stand-in only reaches 127.0.0.1"
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
    try:
        path = parts.path or "/"
        if parts.query:
            path += f"?{parts.query}"
        connection.request(method, path, body=body or None, headers={**headers, "Via": VIA})
        answer = connection.getresponse()
        payload = answer.read()
        kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP]
        return answer.status, kept, payload
    except OSError as error:
        return 502, [], f"the stand-in could not reach the site: {error}".encode()
    finally:
        connection.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "standin-scraperapi"
    sys_version = ""
    timeout = 30
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: the stand-in's request log is the record."""

    @property
    def standin(self) -> ScraperApiStandIn:
        return self.server.standin

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def forward_headers(self) -> dict[str, str]:
        return {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}

    def answer(self, status: int, headers, body: bytes, method: str) -> None:
        if self.standin.delay:
            time.sleep(self.standin.delay)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def serve(self, kind: str, method: str, url: str, key_ok: bool, headers: dict[str, str]):
        """Answers a request that came with the right key: the site's page, or a failure."""
        body = self.read_body()
        if self.standin.take_failure():
            record = StandInRecord(kind, method, url, key_ok, 500, False, dict(self.headers))
            self.standin.record(record)
            self.answer(500, [("Content-Type", "text/plain")], FAILURE_BODY, method)
            return
        site_url = url.replace("https://", "http://", 1)
        status, site_headers, payload = fetch(method, site_url, headers, body)
        self.standin.record(
            StandInRecord(kind, method, url, key_ok, status, True, dict(self.headers))
        )
        self.answer(status, site_headers, payload, method)

    def refuse(self, kind: str, method: str, url: str, status: int, headers=()) -> None:
        self.read_body()
        self.standin.record(
            StandInRecord(kind, method, url, False, status, False, dict(self.headers))
        )
        self.answer(status, [("Content-Type", "text/plain"), *headers], b"refused", method)


class _ProxyHandler(_Handler):
    def do_GET(self) -> None:
        self.proxy("GET")

    def do_HEAD(self) -> None:
        self.proxy("HEAD")

    def do_POST(self) -> None:
        self.proxy("POST")

    def proxy(self, method: str) -> None:
        url = self.path
        if not url.startswith("http://"):
            self.refuse("proxy", method, url, 400)
            return
        if not self.standin.proxy_key_ok(self.headers.get("Proxy-Authorization")):
            self.refuse("proxy", method, url, 407, [("Proxy-Authenticate", 'Basic realm="s"')])
            return
        self.serve("proxy", method, url, True, self.forward_headers())

    def do_CONNECT(self) -> None:
        url = f"https://{self.path}"
        context = self.standin.tls_context()
        if not self.standin.proxy_key_ok(self.headers.get("Proxy-Authorization")):
            self.refuse("connect", "CONNECT", url, 407, [("Proxy-Authenticate", 'Basic realm="s"')])
            return
        if context is None:
            self.refuse("connect", "CONNECT", url, 501)
            return
        self.standin.record(
            StandInRecord("connect", "CONNECT", url, True, 200, False, dict(self.headers))
        )
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        tunnel = context.wrap_socket(self.connection, server_side=True)
        _TunnelHandler(tunnel, self.client_address, self.server, origin=url)
        self.close_connection = True


class _TunnelHandler(_Handler):
    """The requests inside one CONNECT tunnel, read in the clear as ScraperAPI reads them."""

    def __init__(self, sock, client_address, server, *, origin: str) -> None:
        self.origin = origin
        super().__init__(sock, client_address, server)

    def do_GET(self) -> None:
        self.tunnelled("GET")

    def do_HEAD(self) -> None:
        self.tunnelled("HEAD")

    def do_POST(self) -> None:
        self.tunnelled("POST")

    def tunnelled(self, method: str) -> None:
        self.serve("tunnel", method, self.origin + self.path, True, self.forward_headers())


class _ApiHandler(_Handler):
    def do_GET(self) -> None:
        self.api("GET")

    def do_HEAD(self) -> None:
        self.api("HEAD")

    def do_POST(self) -> None:
        self.api("POST")

    def api(self, method: str) -> None:
        query = parse_qs(urlsplit(self.path).query)
        url = query.get("url", [""])[0]
        if query.get("api_key", [""])[0] != self.standin.key:
            self.refuse("api", method, url, 403)
            return
        self.serve("api", method, url, True, {"User-Agent": "standin-scraperapi"})
