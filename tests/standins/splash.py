"""A local stand-in for Splash's HTTP API: render.html fetches the page and returns its HTML."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from dpchallenge.replica.httpd import LocalServer, serve

MARKER = ("X-Rendered-By", "standin-splash")
# Headers about the hop to Splash, not about the page request Splash makes.
_NOT_FORWARDED = {"host", "content-length", "connection", "accept-encoding"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class RenderRecord:
    endpoint: str
    url: str | None
    args: dict


def _as_browser_text(body: bytes, content_type_charset: str | None) -> str:
    """What a browser decodes: the header's charset, else a <meta> one, else windows-1252."""
    match = _META_CHARSET.search(body[:4096])
    charset = content_type_charset or (match.group(1).decode("ascii") if match else "cp1252")
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("cp1252", errors="replace")


class SplashStandin:
    """`with SplashStandin() as splash:` serves POST /render.html on 127.0.0.1 (splash.url)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._server: LocalServer | None = None
        self._lock = threading.Lock()
        self._renders: list[RenderRecord] = []

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("splash stand-in not started")
        return self._server.url + "/"

    @property
    def renders(self) -> list[RenderRecord]:
        with self._lock:
            return list(self._renders)

    def clear(self) -> None:
        with self._lock:
            self._renders.clear()

    def start(self) -> SplashStandin:
        handler = type("SplashHandler", (_Handler,), {"standin": self})
        self._server = serve(handler, "standin-splash", *self._address)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> SplashStandin:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _record(self, record: RenderRecord) -> None:
        with self._lock:
            self._renders.append(record)


class _Handler(BaseHTTPRequestHandler):
    standin: SplashStandin
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: the render log is the record."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        endpoint = self.path.split("?", 1)[0].strip("/")
        try:
            args = json.loads(raw or b"{}")
        except ValueError:
            args = None
        if not isinstance(args, dict):
            self._error(400, "BadOption", "request body is not a JSON object")
            return
        self.standin._record(RenderRecord(endpoint, args.get("url"), args))
        if endpoint != "render.html":
            self._error(404, "NotFound", f"this stand-in only serves render.html, not {endpoint}")
        elif not args.get("url"):
            self._error(400, "BadOption", "argument is required: url")
        else:
            self._render(args)

    def _render(self, args: dict) -> None:
        headers = {
            name: value
            for name, value in (args.get("headers") or {}).items()
            if name.lower() not in _NOT_FORWARDED
        }
        headers[MARKER[0]] = MARKER[1]
        body = args["body"].encode() if args.get("body") is not None else None
        request = urllib.request.Request(
            args["url"], data=body, headers=headers, method=args.get("http_method", "GET")
        )
        try:
            with _DIRECT.open(request, timeout=float(args.get("timeout", 30))) as page:
                html = _as_browser_text(page.read(), page.headers.get_content_charset())
        except urllib.error.HTTPError as error:
            info = {"type": "HTTP", "code": error.code, "text": error.reason, "url": args["url"]}
            self._error(502, "RenderError", "Error rendering page", info)
            return
        except OSError as error:
            info = {"type": "Network", "text": str(error), "url": args["url"]}
            self._error(502, "RenderError", "Error rendering page", info)
            return
        # A browser hands back its DOM as UTF-8, whatever the page's own charset was.
        self._send(200, html.encode("utf-8"), "text/html; charset=utf-8")

    def _error(self, status: int, kind: str, description: str, info: dict | None = None) -> None:
        payload = {"error": status, "type": kind, "description": description, "info": info or {}}
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
