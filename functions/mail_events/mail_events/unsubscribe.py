"""Lambda entry of the public one-click unsubscribe (RFC 8058), behind the HTTP API with no authorizer:
- POST /unsubscribe/{token}: what a mail client sends for `List-Unsubscribe-Post: List-Unsubscribe=One-Click`,
  and what the page's button sends. Unsubscribes the token's contact from the token's topic only.
- GET /unsubscribe/{token}: a small page with that button. A GET never unsubscribes: link scanners follow GETs.
The token is the contact and topic signed with a key derived from the cursor secret (crm.outbound.consent); a
token that is not genuine gets 404, and says nothing about whom it names."""

from __future__ import annotations

import html
from typing import Any

from crm.outbound.subscriptions import one_click_unsubscribe, token_target
from crm.platform.config import get_settings
from crm.platform.observability import logger, metrics
from crm.platform.startup import loaded
from crm.records.table import bind_table

bind_table(get_settings())

HEADERS = {"content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-robots-tag": "noindex",
           "referrer-policy": "no-referrer", "x-content-type-options": "nosniff",
           # The page's own form posts to itself; nothing else loads or runs.
           "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                      "frame-ancestors 'none'; base-uri 'none'"}


def _page(status: int, title: str, body: str) -> dict[str, Any]:
    page = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            f"content=\"width=device-width\"><title>{html.escape(title)}</title><style>body{{font-family:system-ui,"
            f"sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}button{{font-size:1rem;padding:.5rem 1rem}}"
            f"</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")
    return {"statusCode": status, "headers": HEADERS, "body": page}


def _not_valid() -> dict[str, Any]:
    return _page(404, "This link is not valid", "<p>The unsubscribe link is incomplete or was altered. Use the link "
                                                "in the most recent email you got from us.</p>")


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    method = str(((event.get("requestContext") or {}).get("http") or {}).get("method") or "").upper()
    token = str((event.get("pathParameters") or {}).get("token") or "")
    if method not in ("GET", "POST"):
        return {"statusCode": 405, "headers": {**HEADERS, "allow": "GET, POST"}, "body": ""}
    if method == "GET":
        target = token_target(token)
        if target is None:
            return _not_valid()
        topic = html.escape(target[1])
        return _page(200, "Unsubscribe", f"<p>Stop receiving <strong>{topic}</strong> emails from us? Other "
                                         f"emails you chose to get are not affected.</p><form method=\"post\">"
                                         f"<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
                                         f"<button type=\"submit\">Unsubscribe</button></form>")
    done = one_click_unsubscribe(token)
    if done is None:
        return _not_valid()
    logger.info("one-click unsubscribe", extra={"topic": done[1]})
    return _page(200, "You are unsubscribed", f"<p>You will get no more <strong>{html.escape(done[1])}</strong> "
                                             f"emails from us.</p>")


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
