"""Lambda entry for payment webhooks: verify the raw body, parse, record exactly once, answer fast."""

from __future__ import annotations

import json
from typing import Any

from crm.payments import store
from crm.payments.certificates import cached_certificate
from crm.payments.providers import READERS, UnreadableEvent
from crm.payments.verify import SignatureError, verify_authorizenet, verify_paypal, verify_stripe
from crm.platform.config import get_settings
from crm.platform.errors import HttpError, answered, json_response
from crm.platform.http_event import HttpEvent
from crm.platform.observability import count, metrics
from crm.platform.secrets import secret_value
from crm.platform.startup import loaded
from crm.records.table import bind_table

MAX_BODY_BYTES = 256 * 1024
KEPT_HEADERS = ("content-type", "user-agent", "stripe-signature", "x-anet-signature", "paypal-transmission-id",
                "paypal-transmission-time", "paypal-transmission-sig", "paypal-cert-url", "paypal-auth-algo")
ROUTES = {
    "POST /webhooks/stripe": "stripe",
    "POST /webhooks/paypal": "paypal",
    "POST /webhooks/authorizenet": "authorizenet",
}

bind_table(get_settings())


def verify(provider: str, http: HttpEvent) -> None:
    settings = get_settings()
    if provider == "stripe":
        secrets = secret_value(settings.stripe_webhook_secret_arn, settings.stripe_webhook_secret).split(",")
        verify_stripe(http.body, http.headers.get("stripe-signature"), [s.strip() for s in secrets])
    elif provider == "authorizenet":
        key = secret_value(settings.authorizenet_signature_key_arn, settings.authorizenet_signature_key)
        verify_authorizenet(http.body, http.headers.get("x-anet-signature"), key)
    else:
        verify_paypal(http.body, http.headers, settings.paypal_webhook_id or "", cached_certificate)


def receive(provider: str, http: HttpEvent) -> dict[str, Any]:
    if len(http.body) > MAX_BODY_BYTES:
        raise HttpError(413, "body_too_large", f"Webhook bodies are at most {MAX_BODY_BYTES} bytes.")
    try:
        verify(provider, http)
    except SignatureError as error:
        count("WebhookSignatureRejected")
        raise HttpError(400, error.code, error.message) from error
    try:
        data = json.loads(http.body)
    except ValueError as exc:
        raise HttpError(400, "invalid_json", "The body is not JSON.") from exc
    if not isinstance(data, dict):
        raise HttpError(400, "invalid_event", "The body is not an event object.")
    try:
        event = READERS[provider](data)
    except UnreadableEvent as exc:
        raise HttpError(400, "invalid_event", str(exc)) from exc
    headers = {name: http.headers[name][:2048] for name in KEPT_HEADERS if name in http.headers}
    try:
        outcome = store.record(event, http.body.decode("utf-8", "replace"), headers)
    except store.Duplicate:
        count("WebhookDuplicate")
        return json_response(200, {"status": "duplicate", "event_id": event.event_id})
    count(f"Webhook_{outcome.status}")
    return json_response(200, {"status": outcome.status, "event_id": event.event_id,
                               "payment_key": outcome.payment_key, "contact_id": outcome.contact_id})


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    # An AWS fault or a bug is a 503, so the provider delivers again; nothing was recorded.
    return answered(lambda: _route(event), failed="webhook failed", metric="WebhookFailed",
                    message="Please deliver again later.", retry_after=30)


def _route(event: dict[str, Any]) -> dict[str, Any]:
    http = HttpEvent.from_event(event)
    provider = ROUTES.get(http.route_key)
    if provider is None:
        raise HttpError(404, "not_found", "No such webhook.")
    return receive(provider, http)


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
