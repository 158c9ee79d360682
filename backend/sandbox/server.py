"""Run a WSGI app as a real threaded HTTP server on a loopback port, for tests and the demo."""

from __future__ import annotations

import email.utils
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, ThreadedWSGIServer, WSGIRequestHandler

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


@dataclass
class RunningServer:
    """A server started by `serve`; `url` has no trailing slash."""

    server: BaseWSGIServer
    thread: threading.Thread = field(repr=False)

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class _Server(ThreadedWSGIServer):
    """Werkzeug's threaded server, closing its kept-alive connections when it stops.

    Otherwise a client's pooled connection would still reach this stopped app, even after another
    server took over the port.
    """

    def __init__(self, host: str, port: int, app: WSGIApplication) -> None:
        super().__init__(host, port, app)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self._connections_lock:
            open_now, self._connections = list(self._connections), set()
        for connection in open_now:
            with suppress(OSError):  # the handler closed it meanwhile
                connection.shutdown(socket.SHUT_RDWR)


def start(app: WSGIApplication, port: int = 0) -> RunningServer:
    """Start `app` on 127.0.0.1 (port 0 = any free port) in a daemon thread."""
    server = _Server("127.0.0.1", port, app)
    thread = threading.Thread(target=server.serve_forever, name=f"sandbox:{server.server_port}", daemon=True)
    thread.start()
    return RunningServer(server=server, thread=thread)


@contextmanager
def serve(app: WSGIApplication, port: int = 0) -> Iterator[RunningServer]:
    """Context manager form of `start`: the server stops when the block ends."""
    running = start(app, port)
    try:
        yield running
    finally:
        running.stop()


class DeferredApp:
    """A WSGI app filled in after its server starts, so the app can be built knowing its own URL."""

    def __init__(self) -> None:
        self.app: WSGIApplication | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting"]
        return self.app(environ, start_response)


def start_on_clock(app: WSGIApplication, now: Callable[[], float], send_date: Callable[[], bool]) -> RunningServer:
    """Start `app` with its `Date` header read off a sandbox clock (as a platform's reads its own) and
    quiet request logging (tests read the sandbox's own log); `send_date` False leaves the header out."""
    running = start(app)

    class Handler(WSGIRequestHandler):
        def date_time_string(self, timestamp: float | None = None) -> str:
            return email.utils.formatdate(now(), usegmt=True)

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """Quiet."""

        def send_header(self, keyword: str, value: str) -> None:
            if keyword.lower() != "date" or send_date():
                super().send_header(keyword, value)

    running.server.RequestHandlerClass = Handler
    return running
