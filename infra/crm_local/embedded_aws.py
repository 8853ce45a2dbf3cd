"""The embedded AWS: moto's server on loopback, handling one request at a time.

DynamoDB serializes conflicting transactions; moto's in-memory backends are not thread-safe (a
cancelled transaction restores a copy of every table, losing what other threads wrote meanwhile). The
functions still run concurrently around it, so races in our own code are exercised for real.

Nothing waits inside the lock: the dispatcher's pollers ask without waiting and are woken by what each
request may have changed (`crm_local.wakeups`), instead of long-polling while every function's request
queues behind them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from crm_local import moto_speedups
from crm_local.wakeups import changes

Changed = Callable[[tuple[str, ...]], None]


class OneAtATime:
    """WSGI middleware that lets one request into the wrapped application at a time, and tells
    `on_change` what the request may have changed once the lock is free again."""

    def __init__(self, app: Callable[..., Iterable[bytes]], on_change: Changed | None = None) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._on_change = on_change

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            # Drain the body inside the lock: moto's handlers may produce it lazily.
            body = list(self._app(environ, start_response))
        if self._on_change is not None and (changed := changes(environ)):
            self._on_change(changed)
        return body


class EmbeddedAws:
    def __init__(self, host: str, port: int, on_change: Changed | None = None) -> None:
        moto_speedups.install()
        self._server: BaseWSGIServer = make_server(
            host, port, OneAtATime(DomainDispatcherApplication(create_backend_app), on_change), threaded=True,
            request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="embedded-aws", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
