"""A workflow's webhook step: a JSON POST to an outside URL, signed the way Stripe signs its own.

`X-CRM-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the workflow's secret>`: the
receiver recomputes it over the raw body and refuses an old `t` (a replayed request). `X-CRM-Delivery` is the
same for every retry of one step of one run, so a receiver can drop a repeat: a step retried after the
receiver answered but before the run moved on is POSTed again (delivery is at least once). Redirects are not
followed (a signed body goes only where it was configured to); a 2xx is done, anything else fails the step.

A URL whose host is, or resolves to, a private, loopback, link-local or otherwise non-public address is
refused before anything is sent (a workflow's author must not reach the CRM's own network through it), unless
the settings allow private targets (the local stack and the tests). The check resolves the name once before
the request does; a name whose answer changes between the two (DNS rebinding) is not caught."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-CRM-Signature"
DELIVERY_HEADER = "X-CRM-Delivery"


class WebhookFailed(RuntimeError):
    """The URL did not answer with a 2xx in time."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does (and the tests): the signature matches and is recent."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def public_target(url: str) -> str | None:
    """Why `url` may not be posted to (its host is or resolves to a non-public address), or None."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        answers = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                     type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return f"{host} does not resolve"
    for *_, address in answers:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return f"{host} is a non-public address ({ip})"
    return None


def post(url: str, secret: str, payload: dict[str, Any], delivery: str, *, private_targets: bool = False) -> int:
    """POSTs the payload, signed; returns the 2xx status, raises WebhookFailed otherwise (a non-public target
    included, unless `private_targets`)."""
    refused = None if private_targets else public_target(url)
    if refused is not None:
        raise WebhookFailed(f"refused: {refused}")
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "serverless-crm-workflows/1",
               SIGNATURE_HEADER: signature(secret, int(time.time()), body), DELIVERY_HEADER: delivery}
    # http(s) only: the URL was checked when the workflow was saved.
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        raise WebhookFailed(f"{url} answered {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise WebhookFailed(f"{url} could not be reached: {getattr(exc, 'reason', exc)}") from None
    if not 200 <= status < 300:
        raise WebhookFailed(f"{url} answered {status}")
    return status
