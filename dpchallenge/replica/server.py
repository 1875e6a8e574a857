"""The replica's two local HTTP servers (pages, images) with a request log and injected faults."""

from __future__ import annotations

import dataclasses
import random
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from dpchallenge.replica import jpeg, pages
from dpchallenge.replica.httpd import LocalServer
from dpchallenge.replica.model import Site

PAGES = "pages"
IMAGES = "images"
DATA_PATHS = ("/challenge_history.php", "/challenge_results.php", "/image.php")
SESSION_COOKIE = "SESSION_ID"
ENTRY_FILE = re.compile(
    r"^/images_challenge/(\d+)-(\d+)/(\d+)/(120|1200)/Copyrighted_Image_Reuse_Prohibited_(\d+)\.jpg$"
)


@dataclass
class FaultConfig:
    """What to break, all off by default. Counted faults follow a per-host request counter.

    Counted requests are GET/HEAD of the three data pages on the pages host and of entry files
    on the images host. A counted fault with `X_every=N, X_length=K` lets N requests through,
    then hits the next K, and repeats; it applies on the hosts in `fault_hosts`. An `*_ids`
    fault hits the first request for each listed id only; `permanent_*` ones hit every time.
    """

    ban_every: int = 0
    ban_length: int = 1
    ban_seconds: float = 0.0  # > 0: after every ban_every-th request, ban for this long instead
    ban_ids: set[int] = field(default_factory=set)
    permanent_ban_ids: set[int] = field(default_factory=set)
    ban_status: int = 200
    file_ban_ids: set[int] = field(default_factory=set)  # image host: ban page, first file only
    status_429_every: int = 0
    status_429_length: int = 1
    retry_after: int = 1
    status_503_every: int = 0
    status_503_length: int = 1
    slow_seconds: float = 0.0
    slow_paths: tuple[str, ...] = ()  # substrings of path+query that are always slow
    slow_fraction: float = 0.0  # share of counted requests made slow (chosen from the seed)
    slow_mode: str = "before"  # before: delay before the headers; within: after half the body
    truncate_every: int = 0
    truncate_length: int = 1
    truncate_ids: set[int] = field(default_factory=set)
    permanent_truncate_ids: set[int] = field(default_factory=set)  # cut every time
    placeholder_ids: set[int] = field(
        default_factory=set
    )  # files served as the removed placeholder
    truncate_mode: str = "content_length"  # content_length (a) | no_length (b)
    cp1252_ids: set[int] = field(default_factory=set)  # challenge or image ids, every time
    cp1252_history: bool = False
    corrupt_image_ids: set[int] = field(default_factory=set)
    permanent_corrupt_image_ids: set[int] = field(default_factory=set)
    corrupt_mode: str = "truncated"  # truncated | garbage
    frame_only_ids: set[int] = field(default_factory=set)  # image pages as the bare site frame
    permanent_frame_only_ids: set[int] = field(default_factory=set)
    paged_results_ids: set[int] = field(default_factory=set)  # paged even with show_full=1
    short_results_ids: set[int] = field(default_factory=set)  # 10 rows, no pager, every time
    odd_row_ids: set[int] = field(default_factory=set)  # results with a row that has no link
    redesign_after: int = 0  # > 0: image pages after this many lose their Statistics panel
    fault_hosts: tuple[str, ...] = (PAGES,)

    @classmethod
    def from_spec(cls, spec: str) -> FaultConfig:
        """Parses 'ban_every=20,ban_length=2,cp1252_ids=1000003+1000007,slow_paths=/image.php'."""
        config = cls()
        for item in filter(None, (part.strip() for part in spec.split(","))):
            name, _, raw = item.partition("=")
            name = name.strip()
            if name not in {f.name for f in dataclasses.fields(cls)}:
                raise ValueError(f"unknown fault {name!r}")
            current = getattr(config, name)
            values = [v for v in raw.split("+") if v]
            if isinstance(current, bool):
                value: object = raw.strip().lower() in ("1", "true", "yes", "on")
            elif isinstance(current, int):
                value = int(raw)
            elif isinstance(current, float):
                value = float(raw)
            elif isinstance(current, set):
                value = {int(v) for v in values}
            elif isinstance(current, tuple):
                value = tuple(values)
            else:
                value = raw
            setattr(config, name, value)
        return config


@dataclass
class RequestRecord:
    time: float  # time.monotonic() when the request arrived
    host: str  # pages | images
    method: str
    path: str  # path and query as requested
    headers: dict[str, str]
    status: int
    bytes_sent: int  # body bytes written (fewer than the page for truncated responses)
    # ban | 429 | 503 | truncated | slow | cp1252 | corrupt | placeholder | frame_only
    fault: str | None = None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    fault: str | None = None
    truncate: str | None = None
    slow: float = 0.0
    slow_mode: str = "before"


def _periodic(n: int, every: int, length: int) -> bool:
    return every > 0 and length > 0 and (n - 1) % (every + length) >= every


class Replica:
    """A running copy of the site: pages on one port, entry files on another."""

    def __init__(
        self,
        seed: int = 1,
        challenges: int = 20,
        entries: int = 12,
        faults: FaultConfig | None = None,
        port: int = 0,
        image_port: int = 0,
        *,
        host: str = "127.0.0.1",
        crawl_delay: float = 0,
        username: str = "tester",
        password: str = "s3cret-pass",
    ) -> None:
        self.site = Site(seed, challenges, entries)
        self.seed = seed
        self.faults = faults or FaultConfig()
        self.crawl_delay = crawl_delay
        self.username = username
        self.password = password
        self._host = host
        self._ports = {PAGES: port, IMAGES: image_port}
        self._servers: dict[str, LocalServer] = {}
        self._log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._sessions: dict[str, str] = {}
        self._counters: dict[str, int] = {PAGES: 0, IMAGES: 0}
        self._served_since_ban: dict[str, int] = {PAGES: 0, IMAGES: 0}
        self._image_pages = 0  # image pages served, for redesign_after
        self._ban_until: dict[str, float] = {PAGES: 0.0, IMAGES: 0.0}
        self._hit_once: set[tuple[str, object]] = set()

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self) -> Replica:
        if self._servers:
            raise RuntimeError("replica already started")
        for kind in (PAGES, IMAGES):
            handler = type(f"{kind.title()}Handler", (_Handler,), {"replica": self, "kind": kind})
            self._servers[kind] = LocalServer((self._host, self._ports[kind]), handler)
        self.site.base_url = self.base_url
        self.site.images_url = self.images_url
        for kind, server in self._servers.items():
            server.start(f"replica-{kind}")
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()

    def __enter__(self) -> Replica:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _url(self, kind: str) -> str:
        server = self._servers.get(kind)
        if server is None:
            raise RuntimeError("replica not started")
        return f"http://{self._host}:{server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self._url(PAGES)

    @property
    def images_url(self) -> str:
        return self._url(IMAGES)

    # ---- request log, sessions, fault state ---------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every request served so far, oldest first."""
        with self._log_lock:
            return list(self._log)

    def page_requests(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.host == PAGES]

    def image_requests(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.host == IMAGES]

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def reset_faults(self, faults: FaultConfig | None = None) -> None:
        """Installs a fault config (default: none) and restarts every fault counter."""
        with self._state_lock:
            self.faults = faults or FaultConfig()
            self._counters = {PAGES: 0, IMAGES: 0}
            self._served_since_ban = {PAGES: 0, IMAGES: 0}
            self._image_pages = 0
            self._ban_until = {PAGES: 0.0, IMAGES: 0.0}
            self._hit_once.clear()

    def new_session(self, username: str | None = None) -> str:
        """A valid SESSION_ID value, as a successful login would set."""
        token = secrets.token_hex(16)
        with self._state_lock:
            self._sessions[token] = username or self.username
        return token

    def session_user(self, cookie_header: str | None) -> str | None:
        if not cookie_header:
            return None
        try:
            morsel = SimpleCookie(cookie_header).get(SESSION_COOKIE)
        except CookieError:
            return None
        if morsel is None:
            return None
        with self._state_lock:
            return self._sessions.get(morsel.value)

    def _end_session(self, cookie_header: str | None) -> None:
        if not cookie_header:
            return
        try:
            morsel = SimpleCookie(cookie_header).get(SESSION_COOKIE)
        except CookieError:
            return
        if morsel is not None:
            with self._state_lock:
                self._sessions.pop(morsel.value, None)

    def _record(self, record: RequestRecord) -> None:
        with self._log_lock:
            self._log.append(record)

    def _first_time(self, fault: str, key: object) -> bool:
        marker = (fault, key)
        if marker in self._hit_once:
            return False
        self._hit_once.add(marker)
        return True

    def _counted_fault(self, kind: str, item_id: int | None) -> tuple[str | None, int]:
        """The fault for the next counted request of this host, and that request's number."""
        faults = self.faults
        with self._state_lock:
            self._counters[kind] += 1
            n = self._counters[kind]
            if kind == PAGES and item_id is not None:
                if item_id in faults.permanent_ban_ids:
                    return "ban", n
                if item_id in faults.ban_ids and self._first_time("ban", item_id):
                    return "ban", n
            if (
                kind == IMAGES
                and item_id in faults.file_ban_ids
                and self._first_time("file_ban", item_id)
            ):
                return "ban", n
            if kind not in faults.fault_hosts:
                return None, n
            if faults.ban_every > 0 and faults.ban_seconds > 0:
                now = time.monotonic()
                if now < self._ban_until[kind]:
                    return "ban", n
                self._served_since_ban[kind] += 1
                if self._served_since_ban[kind] % faults.ban_every == 0:
                    self._ban_until[kind] = now + faults.ban_seconds
            elif _periodic(n, faults.ban_every, faults.ban_length):
                return "ban", n
            if _periodic(n, faults.status_429_every, faults.status_429_length):
                return "429", n
            if _periodic(n, faults.status_503_every, faults.status_503_length):
                return "503", n
            if _periodic(n, faults.truncate_every, faults.truncate_length):
                return "truncated", n
            if item_id in faults.truncate_ids and self._first_time("truncated", (kind, item_id)):
                return "truncated", n
            if item_id in faults.permanent_truncate_ids:
                return "truncated", n
            return None, n

    def _redesigned(self) -> bool:
        with self._state_lock:
            self._image_pages += 1
            return self._image_pages > self.faults.redesign_after

    def _frame_only(self, image_id: int | None) -> bool:
        faults = self.faults
        if image_id in faults.permanent_frame_only_ids:
            return True
        if image_id in faults.frame_only_ids:
            with self._state_lock:
                return self._first_time("frame_only", image_id)
        return False

    def _slow_for(self, kind: str, full_path: str, n: int) -> float:
        faults = self.faults
        if faults.slow_seconds <= 0:
            return 0.0
        if any(part in full_path for part in faults.slow_paths):
            return faults.slow_seconds
        draw = random.Random(f"{self.seed}/slow/{kind}/{n}").random()
        if kind in faults.fault_hosts and draw < faults.slow_fraction:
            return faults.slow_seconds
        return 0.0

    def _corrupt(self, image_id: int, size: int) -> bool:
        faults = self.faults
        if image_id in faults.permanent_corrupt_image_ids:
            return True
        if image_id in faults.corrupt_image_ids:
            with self._state_lock:
                return self._first_time("corrupt", (image_id, size))
        return False

    def robots_txt(self) -> str:
        delay = self.crawl_delay
        shown = int(delay) if float(delay).is_integer() else delay
        return f"User-agent: *\nCrawl-delay: {shown}\nDisallow: /forum.php\n"

    # ---- routing ------------------------------------------------------------------------

    def respond(
        self, kind: str, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> _Response:
        parts = urlsplit(target)
        path = parts.path or "/"
        query = parse_qs(parts.query)
        if path == "/robots.txt":
            return _Response(200, self.robots_txt().encode(), "text/plain; charset=utf-8")
        if kind == IMAGES:
            return self._respond_image(method, path, target)
        cookie = next((v for k, v in headers.items() if k.lower() == "cookie"), None)
        user = self.session_user(cookie)
        if path.startswith("/images/") and path.endswith(".gif"):
            return _Response(200, jpeg.PIXEL_GIF, "image/gif")
        if path == "/login.php" and method == "POST":
            return self._login(body, target)
        if path == "/login.php":
            redirect = query.get("HTTP_REFERER", ["/index.php"])[0]
            return self._html(pages.render_login(self.site, user, target, redirect=redirect))
        if path == "/logout.php":
            self._end_session(cookie)
            return _Response(
                302,
                b"",
                headers=[
                    ("Location", "/index.php"),
                    ("Set-Cookie", f"{SESSION_COOKIE}=deleted; Path=/; Max-Age=0; HttpOnly"),
                ],
            )
        if path in ("/", "/index.php"):
            return self._html(pages.render_index(self.site, user, target))
        if path in DATA_PATHS:
            return self._respond_data_page(path, target, query, user)
        return self._html(pages.render_not_found(self.site, user, target), status=404)

    @staticmethod
    def _html(document: str, status: int = 200, fault: str | None = None) -> _Response:
        return _Response(status, document.encode("utf-8"), fault=fault)

    def _login(self, body: bytes, target: str) -> _Response:
        form = parse_qs(body.decode("utf-8", "replace"))
        username = form.get("USERNAME", [""])[0]
        password = form.get("PASSWORD", [""])[0]
        redirect = form.get("REDIRECT", ["/index.php"])[0]
        if not redirect.startswith("/") or redirect.startswith("//"):
            redirect = "/index.php"
        if username == self.username and password == self.password:
            token = self.new_session(username)
            return _Response(
                302,
                b"",
                headers=[
                    ("Location", redirect),
                    ("Set-Cookie", f"{SESSION_COOKIE}={token}; Path=/; HttpOnly"),
                ],
            )
        document = pages.render_login(
            self.site, None, target, error="Invalid username or password.", redirect=redirect
        )
        return self._html(document)

    def _respond_data_page(
        self, path: str, target: str, query: dict[str, list[str]], user: str | None
    ) -> _Response:
        param = {"/challenge_results.php": "CHALLENGE_ID", "/image.php": "IMAGE_ID"}.get(path)
        item_id = None
        if param:
            raw = query.get(param, [""])[0]
            item_id = int(raw) if raw.isdigit() else None
        fault, n = self._counted_fault(PAGES, item_id)
        slow = self._slow_for(PAGES, target, n)
        faults = self.faults
        if fault == "ban":
            return _Response(faults.ban_status, pages.BAN_PAGE.encode(), "text/html", fault="ban")
        if fault == "429":
            return _Response(
                429,
                pages.render_status_page(429, "Too Many Requests").encode(),
                headers=[("Retry-After", str(faults.retry_after))],
                fault="429",
            )
        if fault == "503":
            return _Response(
                503, pages.render_status_page(503, "Service Unavailable").encode(), fault="503"
            )
        frame_only = False
        if path == "/challenge_history.php":
            document = pages.render_history(self.site, user, target)
            cp1252 = faults.cp1252_history
        elif path == "/challenge_results.php":
            paged = query.get("show_full", [""])[0] != "1" or item_id in faults.paged_results_ids
            raw_page = query.get("page", ["1"])[0]
            document = pages.render_results(
                self.site,
                item_id,
                user,
                target,
                page=(int(raw_page) if raw_page.isdigit() else 1) if paged else None,
                short=item_id in faults.short_results_ids,
                odd_row=item_id in faults.odd_row_ids,
            )
            cp1252 = item_id in faults.cp1252_ids
        elif frame_only := self._frame_only(item_id):
            document = pages.render_frame_only(self.site, user, target)
            cp1252 = False
        else:
            document = pages.render_image(self.site, item_id, user, target)
            if faults.redesign_after and self._redesigned():
                document = without_statistics(document)
            cp1252 = item_id in faults.cp1252_ids
        if cp1252:
            payload = document.replace(pages.META_CHARSET, "").encode("cp1252", "xmlcharrefreplace")
            response = _Response(200, payload, "text/html", fault="cp1252")
        else:
            response = self._html(document, fault="frame_only" if frame_only else None)
        if fault == "truncated":
            response.fault = "truncated"
            response.truncate = faults.truncate_mode
        if slow:
            response.slow = slow
            response.slow_mode = faults.slow_mode
            response.fault = response.fault or "slow"
        return response

    def _respond_image(self, method: str, path: str, target: str) -> _Response:
        match = ENTRY_FILE.match(path)
        not_found = _Response(404, b"Not Found", "text/plain; charset=utf-8")
        if not match or method not in ("GET", "HEAD"):
            return not_found
        low, high, challenge_id, size, image_id = (int(g) for g in match.groups())
        entry = self.site.entry(image_id)
        if (
            entry is None
            or entry.challenge_id != challenge_id
            or low != challenge_id // 1000 * 1000
            or high != low + 999
        ):
            return not_found
        fault, n = self._counted_fault(IMAGES, image_id)
        slow = self._slow_for(IMAGES, target, n)
        faults = self.faults
        if fault == "ban":
            return _Response(faults.ban_status, pages.BAN_PAGE.encode(), "text/html", fault="ban")
        if fault == "429":
            return _Response(
                429,
                b"Too Many Requests",
                "text/plain",
                headers=[("Retry-After", str(faults.retry_after))],
                fault="429",
            )
        if fault == "503":
            return _Response(503, b"Service Unavailable", "text/plain", fault="503")
        if entry.status == "removed" or image_id in faults.placeholder_ids:
            response = _Response(
                200, jpeg.REMOVED_PLACEHOLDER_JPEG, "image/jpeg", fault="placeholder"
            )
        elif self._corrupt(image_id, size):
            response = _Response(
                200,
                jpeg.corrupt_jpeg(image_id, size, faults.corrupt_mode),
                "image/jpeg",
                fault="corrupt",
            )
        else:
            response = _Response(200, jpeg.entry_jpeg(image_id, size), "image/jpeg")
        if fault == "truncated":
            response.fault = "truncated"
            response.truncate = faults.truncate_mode
        if slow:
            response.slow = slow
            response.slow_mode = faults.slow_mode
            response.fault = response.fault or "slow"
        return response


class _Handler(BaseHTTPRequestHandler):
    replica: Replica
    kind: str
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""
    timeout = 30  # idle keep-alive connections end on their own
    # Headers and body go out in two writes; with Nagle on, the second waits for the client's
    # delayed ACK (~40 ms a response on Linux loopback).
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: the request log is the record."""

    def _dispatch(self, method: str) -> None:
        arrived = time.monotonic()
        target = self.path
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = dict(self.headers.items())
        response = self.replica.respond(self.kind, method, target, headers, body)
        cut = len(response.body) // 2 if response.truncate else None
        payload = b"" if method == "HEAD" else response.body[:cut]
        self.replica._record(
            RequestRecord(
                time=arrived,
                host=self.kind,
                method=method,
                path=target,
                headers=headers,
                status=response.status,
                bytes_sent=len(payload),
                fault=response.fault,
            )
        )
        try:
            self._write(response, payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _write(self, response: _Response, payload: bytes) -> None:
        if response.slow and response.slow_mode == "before":
            time.sleep(response.slow)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.truncate == "no_length":
            self.send_header("Connection", "close")
        else:
            self.send_header("Content-Length", str(len(response.body)))
            if response.truncate:
                self.close_connection = True
        self.end_headers()
        if response.slow and response.slow_mode == "within" and payload:
            half = len(payload) // 2
            self.wfile.write(payload[:half])
            self.wfile.flush()
            time.sleep(response.slow)
            self.wfile.write(payload[half:])
        else:
            self.wfile.write(payload)
        self.wfile.flush()


def without_statistics(document: str) -> str:
    """An image page as after a redesign: the table of its Statistics panel gone."""
    heading = document.find(">Statistics</td>")
    if heading < 0:
        return document
    start = document.rfind("<table", 0, heading)
    end = document.find("</table>", heading) + len("</table>")
    return document[:start] + document[end:]
