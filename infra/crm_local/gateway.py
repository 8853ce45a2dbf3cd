"""The local API Gateway: exactly the template's HttpApi routes, the JWT authorizer, payload 2.0 events,
and the functions invoked in this process."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from crm_local import log
from crm_local.apigw import HttpRequest, HttpResponse, build_event, json_error, to_http_response
from crm_local.jwt_authorizer import Forbidden, JwtVerifier, Unauthorized
from crm_local.routes import RouteTable

Invoke = Callable[[str, Any], Any]
# What answers a request no route matches (the console's files and sign-in), or None.
Site = Callable[[HttpRequest], HttpResponse | None]


class Gateway:
    def __init__(self, routes: RouteTable, invoke: Invoke, verifier: JwtVerifier, site: Site | None = None) -> None:
        self._routes = routes
        self._invoke = invoke
        self._verifier = verifier
        self._site = site

    def handle(self, request: HttpRequest) -> HttpResponse:
        match = self._routes.match(request.method, request.raw_path)
        if match is None:
            answered = self._site(request) if self._site is not None else None
            return answered if answered is not None else json_error(404, "Not Found")
        authorization = None
        authorizer = match.route.authorizer
        if authorizer is not None:
            try:
                authorization = self._verifier.authorize(authorizer, request.header(authorizer.header),
                                                         match.route.scopes)
            except Unauthorized as refused:
                log.info("401 for %s %s: %s", request.method, request.raw_path, refused)
                return json_error(401, "Unauthorized")
            except Forbidden:
                return json_error(403, "Forbidden")
        request_id = str(uuid.uuid4())
        event = build_event(request, match, request_id,
                            authorization.as_request_context() if authorization else None)
        try:
            return to_http_response(self._invoke(match.route.function_id, event))
        except Exception:  # noqa: BLE001 - a function's failure of any kind is a 500, as API Gateway answers
            log.exception("%s failed on %s (request %s)", match.route.function_id, match.route.route_key,
                          request_id)
            return json_error(500, "Internal Server Error")


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: GatewayServer

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = HttpRequest(
            method=self.command,
            raw_path=url.path,
            raw_query=url.query,
            headers=list(self.headers.items()),
            body=self.rfile.read(length) if length else b"",
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        response = self.server.gateway.handle(request)
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        log.info("%s %s", self.address_string(), format % args)


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    # The standard library's backlog of 5 resets the sixth client that connects at once.
    request_queue_size = 1024

    def __init__(self, gateway: Gateway, host: str, port: int) -> None:
        super().__init__((host, port), _RequestHandler)
        self.gateway = gateway
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name="crm-gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
