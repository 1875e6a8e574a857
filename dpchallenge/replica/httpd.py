"""A threaded HTTP server on a local port, served from a thread of its own: start() and stop().

The replica's two servers and the tests' stand-ins (ScraperAPI, Splash) all run on it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 that can drop its open connections when stopped."""

    daemon_threads = True
    # socketserver's default backlog of 5 overflows when a crawler opens many connections at
    # once; the client then waits on TCP retransmits for seconds. Real web servers use ~511.
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """http://host:port, with the port the system chose when asked for port 0."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, name: str) -> LocalServer:
        """Serves from a daemon thread called name until stop()."""
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving, cuts the connections still open (keep-alive ones), frees the port."""
        if self._thread is not None:
            self.shutdown()  # waits for serve_forever, so only once it has started
        self.drop_connections()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def process_request(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:  # type: ignore[no-untyped-def]
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self.connections_lock:
            open_sockets = list(self.connections)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def serve(
    handler: type[BaseHTTPRequestHandler], name: str, host: str = "127.0.0.1", port: int = 0
) -> LocalServer:
    """A LocalServer on host:port (0: any free port), already serving."""
    return LocalServer((host, port), handler).start(name)
