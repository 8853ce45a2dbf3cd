"""Each provider's event, read into one shape: what happened to which payment, and who paid."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_CONTACT_ID = re.compile(r"[0-9a-f]{32}")


class UnreadableEvent(ValueError):
    """A correctly signed body that is not an event we can read."""


@dataclass(frozen=True)
class PaymentEvent:
    provider: str
    event_id: str
    event_type: str
    created: int                      # provider's event time, epoch seconds; orders subscription updates
    # One of: succeeded, failed, refunded, subscription, ignored.
    effect: str
    payment_id: str | None = None     # the provider's id that every event about one payment shares
    amount_minor: int | None = None
    currency: str | None = None
    refunds: dict[str, int] = field(default_factory=dict)
    payer_email: str | None = None
    payer_name: str | None = None
    contact_id: str | None = None
    deal_id: str | None = None
    customer_id: str | None = None    # the provider's customer, remembered to map later subscription events
    subscription: dict[str, Any] | None = None
    failure_reason: str | None = None


STRIPE_EFFECTS = {
    "checkout.session.completed": "succeeded",
    "checkout.session.async_payment_succeeded": "succeeded",
    "checkout.session.async_payment_failed": "failed",
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
    "charge.refunded": "refunded",
    "invoice.paid": "succeeded",
    "invoice.payment_failed": "failed",
    "customer.subscription.created": "subscription",
    "customer.subscription.updated": "subscription",
    "customer.subscription.deleted": "subscription",
}


def read_stripe(data: dict[str, Any]) -> PaymentEvent:
    event_id, event_type = _text(data.get("id")), _text(data.get("type"))
    obj = _object(data.get("data")).get("object")
    if not event_id or not event_type or not isinstance(obj, dict):
        raise UnreadableEvent("A Stripe event has an id, a type and data.object.")
    effect = STRIPE_EFFECTS.get(event_type, "ignored")
    if effect == "succeeded" and event_type == "checkout.session.completed" and obj.get("payment_status") != "paid":
        effect = "ignored"  # an asynchronous payment: its own event says later whether it succeeded
    metadata, details = _object(obj.get("metadata")), _object(obj.get("customer_details"))
    billing = _object(obj.get("billing_details"))
    common = PaymentEvent(
        provider="stripe", event_id=event_id, event_type=event_type, created=_int(data.get("created")) or 0,
        effect=effect, contact_id=_text(metadata.get("crm_contact_id")) or _text(obj.get("client_reference_id")),
        # A customer object (customer.* events, kept but ignored) is the payer itself: known to an erase.
        deal_id=_text(metadata.get("crm_deal_id")),
        customer_id=_text(obj.get("id")) if obj.get("object") == "customer" else _text(obj.get("customer")),
        payer_email=_text(details.get("email")) or _text(obj.get("customer_email"))
        or _text(obj.get("receipt_email")) or _text(billing.get("email"))
        or (_text(obj.get("email")) if obj.get("object") == "customer" else None),
        payer_name=_text(details.get("name")) or _text(billing.get("name")) or _text(obj.get("customer_name")),
        currency=(_text(obj.get("currency")) or "").upper() or None,
    )
    if effect == "subscription":
        items = _list_data(obj.get("items")) or [{}]
        price = _object(_object(items[0]).get("price"))
        return replace(common, subscription={
            "id": _text(obj.get("id")),
            "status": "canceled" if event_type.endswith("deleted") else _text(obj.get("status")),
            "plan": _text(price.get("nickname")) or _text(price.get("id")),
            "current_period_end": _int(obj.get("current_period_end")), "provider": "stripe"})
    payment_id = _text(obj.get("payment_intent")) or _text(obj.get("id"))
    if event_type.startswith("payment_intent."):
        payment_id = _text(obj.get("id"))
    amount = _first_int(obj, "amount_received", "amount_total", "amount_paid", "amount")
    failure_reason = None
    if event_type.endswith("failed"):
        failure_reason = _text(_object(obj.get("last_payment_error")).get("message")) or event_type
    refunds: dict[str, int] = {}
    if effect == "refunded":
        refunds = {r["id"]: _int(r.get("amount")) or 0 for r in _list_data(obj.get("refunds"))
                   if isinstance(r, dict) and _text(r.get("id"))}
        if not refunds and _int(obj.get("amount_refunded")):
            refunds = {f"{payment_id}:total": _int(obj.get("amount_refunded")) or 0}
    return replace(common, payment_id=payment_id, amount_minor=amount, refunds=refunds, failure_reason=failure_reason)


PAYPAL_EFFECTS = {
    "PAYMENT.CAPTURE.COMPLETED": "succeeded",
    "PAYMENT.CAPTURE.REFUNDED": "refunded",
    "PAYMENT.CAPTURE.DENIED": "failed",
    "CHECKOUT.ORDER.APPROVED": "ignored",  # approval is not payment; the capture event follows
}


def read_paypal(data: dict[str, Any]) -> PaymentEvent:
    event_id, event_type = _text(data.get("id")), _text(data.get("event_type"))
    resource = data.get("resource")
    if not event_id or not event_type or not isinstance(resource, dict):
        raise UnreadableEvent("A PayPal event has an id, an event_type and a resource.")
    effect = PAYPAL_EFFECTS.get(event_type, "ignored")
    amount = _object(resource.get("amount"))
    currency = _text(amount.get("currency_code"))
    minor = _minor_units(amount.get("value"), currency)
    payer = _object(resource.get("payer"))
    name = _object(payer.get("name"))
    custom = _text(resource.get("custom_id"))
    payment_id = _text(resource.get("id"))
    refunds: dict[str, int] = {}
    if effect == "refunded":
        refunds = {payment_id or event_id: minor or 0}
        payment_id = _capture_id_of_refund(resource) or payment_id
    return PaymentEvent(
        provider="paypal", event_id=event_id, event_type=event_type, created=_epoch(data.get("create_time")),
        effect=effect, payment_id=payment_id, amount_minor=None if effect == "refunded" else minor,
        currency=currency, refunds=refunds, payer_email=_text(payer.get("email_address")),
        payer_name=" ".join(filter(None, (_text(name.get("given_name")), _text(name.get("surname"))))) or None,
        # Checkout passes the CRM contact id as custom_id when the site knows who is paying.
        contact_id=custom if custom and _CONTACT_ID.fullmatch(custom) else None,
        failure_reason=event_type if effect == "failed" else None,
    )


def read_authorizenet(data: dict[str, Any]) -> PaymentEvent:
    event_id, event_type = _text(data.get("notificationId")), _text(data.get("eventType"))
    payload = data.get("payload")
    if not event_id or not event_type or not isinstance(payload, dict):
        raise UnreadableEvent("An Authorize.Net notification has a notificationId, an eventType and a payload.")
    if event_type == "net.authorize.payment.authcapture.created":
        effect = "succeeded" if _int(payload.get("responseCode")) in (1, None) else "failed"
    elif event_type == "net.authorize.payment.refund.created":
        effect = "refunded"
    elif event_type.startswith("net.authorize.payment.fraud."):
        effect = "failed" if event_type.endswith(("declined", "held")) else "ignored"
    else:
        effect = "ignored"
    transaction_id = _text(payload.get("id"))
    amount = _minor_units(payload.get("authAmount"), "USD")
    return PaymentEvent(
        provider="authorizenet", event_id=event_id, event_type=event_type, created=_epoch(data.get("eventDate")),
        effect=effect,
        payment_id=(_text(payload.get("refTransId")) if effect == "refunded" else None) or transaction_id,
        amount_minor=None if effect == "refunded" else amount, currency="USD",
        refunds={transaction_id or event_id: amount or 0} if effect == "refunded" else {},
        payer_email=_text(payload.get("email")) or _text(_object(payload.get("customer")).get("email")),
        failure_reason=event_type if effect == "failed" else None,
    )


READERS = {"stripe": read_stripe, "paypal": read_paypal, "authorizenet": read_authorizenet}


def _object(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one in place of anything else."""
    return value if isinstance(value, dict) else {}


def _list_data(value: Any) -> list[Any]:
    """The `data` of a Stripe list object ({"object": "list", "data": [...]}), or nothing."""
    data = value.get("data") if isinstance(value, dict) else None
    return data if isinstance(data, list) else []


def _capture_id_of_refund(resource: dict[str, Any]) -> str | None:
    links = resource.get("links")
    for link in links if isinstance(links, list) else ():
        href = _object(link).get("href")
        if _object(link).get("rel") == "up" and isinstance(href, str):
            return href.rstrip("/").rsplit("/", 1)[-1]
    return None


# Amounts of at most this many digits before the point (under 10^13 in major units) are read.
MAX_AMOUNT_DIGITS = 12
# ISO 4217 currencies without minor units (amounts already whole), and those with three decimals.
_ZERO_DECIMAL = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF",
                 "XOF", "XPF", "IRR"}
_THREE_DECIMAL = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}


def _minor_units(value: Any, currency: str | None) -> int | None:
    """Decimal strings ("10.50") to minor units (1050), without floating point."""
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount.adjusted() > MAX_AMOUNT_DIGITS:
        return None  # "1e999999999" overflows the arithmetic below
    code = (currency or "").upper()
    digits = 0 if code in _ZERO_DECIMAL else 3 if code in _THREE_DECIMAL else 2
    return int((amount * (10 ** digits)).to_integral_value())


def _epoch(value: Any) -> int:
    if not isinstance(value, str):
        return 0
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return 0
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def _text(value: Any) -> str | None:
    return value.strip()[:500] or None if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _first_int(obj: dict[str, Any], *names: str) -> int | None:
    return next((v for v in (_int(obj.get(n)) for n in names) if v is not None), None)
