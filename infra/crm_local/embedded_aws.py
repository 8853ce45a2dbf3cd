"""The embedded AWS: moto's server on loopback, handling one request at a time.

DynamoDB serializes conflicting transactions; moto's in-memory backends are not thread-safe (a
cancelled transaction restores a copy of every table, losing what other threads wrote meanwhile). The
functions still run concurrently around it, so races in our own code are exercised for real.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server


class OneAtATime:
    """WSGI middleware that lets one request into the wrapped application at a time."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            # Drain the body inside the lock: moto's handlers may produce it lazily.
            return list(self._app(environ, start_response))


class EmbeddedAws:
    def __init__(self, host: str, port: int) -> None:
        self._server: BaseWSGIServer = make_server(
            host, port, OneAtATime(DomainDispatcherApplication(create_backend_app)), threaded=True,
            request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="embedded-aws", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
