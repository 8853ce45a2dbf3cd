"""Payments: provider events, payments, refunds, customer links (webhooks and the API).

A payment and its refunds are shown, never taken: their items declare each field the API shows once
(crm.records.fields, `writable=False`), PAYMENT and REFUND are derived from them, and a payment's status
from its facts (`payment_status`).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, UnicodeAttribute

from crm.records.fields import Integer, Text
from crm.records.table import ByCreatedIndex, CrmItem
from crm.records.views import Many, RecordView, shown_as


class WebhookEventItem(CrmItem):
    """A provider's event, recorded once (its id is the key) with its raw body, whatever it did."""

    provider = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    status = UnicodeAttribute()
    raw_body = UnicodeAttribute()
    headers: MapAttribute[str, Any] = MapAttribute()
    payment_key = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute()

    @staticmethod
    def key(provider: str, event_id: str) -> tuple[str, str]:
        return f"WEBHOOK#{provider}#{event_id}", "EVENT"


class ContactWebhookItem(CrmItem):
    """A provider event kept about a contact, under the contact: what an erase strips, including the events
    that left no timeline entry (a stale subscription update, an event type the CRM ignores). Its sort key
    follows PROFILE, so timeline pages never hold it."""

    provider = UnicodeAttribute()
    event_id = UnicodeAttribute()

    PREFIX = "WEBHOOK#"

    @staticmethod
    def key(contact_id: str, provider: str, event_id: str) -> tuple[str, str]:
        return f"CONTACT#{contact_id}", f"{ContactWebhookItem.PREFIX}{provider}#{event_id}"


class PaymentItem(CrmItem):
    """One payment at one provider; every event about it (paid, failed, refunded) lands here."""

    payment_key = UnicodeAttribute()
    provider = Text(writable=False, required=True, null=False)
    provider_payment_id = Text(writable=False, required=True, null=False)
    contact_id = Text(writable=False)
    deal_id = Text(writable=False)
    amount_minor = Integer(writable=False, description="In minor units (cents).")
    currency = Text(writable=False)
    succeeded_at = Text(writable=False)
    failed_at = Text(writable=False)
    failure_reason = Text(writable=False)
    first_seen_at = UnicodeAttribute(null=True)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    by_contact = ByCreatedIndex()

    @staticmethod
    def key(payment_key: str) -> tuple[str, str]:
        return f"PAYMENT#{payment_key}", "PAYMENT"

    @staticmethod
    def contact_list_key(contact_id: str) -> str:
        return f"PAYMENTS#{contact_id}"


class RefundItem(CrmItem):
    payment_key = UnicodeAttribute()
    refund_id = UnicodeAttribute()
    amount_minor = Integer(writable=False, required=True, null=False)
    refunded_at = shown_as("at", Text(writable=False, required=True, null=False))
    # The payment's currency when the refund was recorded, so the refund counts on its own (dashboards).
    currency = UnicodeAttribute(null=True)

    @staticmethod
    def key(payment_key: str, refund_id: str) -> tuple[str, str]:
        return f"PAYMENT#{payment_key}", f"REFUND#{refund_id}"


class CustomerLinkItem(CrmItem):
    """Which contact a provider's customer is, so events that carry no email can be mapped."""

    contact_id = UnicodeAttribute()

    @staticmethod
    def key(provider: str, customer_id: str) -> tuple[str, str]:
        return f"CUSTOMER#{provider}#{customer_id}", "LINK"


REFUND = RecordView("Refund", RefundItem, "refund_id")
# A list shows no refunds (null): they are read with the payment.
PAYMENT = RecordView("Payment", PaymentItem, "payment_key", computed_after="currency", computed={
    "status": str, "refunded_minor": int, "refunds": Many(REFUND, nullable=True)})


def payment_view(payment: PaymentItem, refunds: list[RefundItem] | None) -> dict[str, Any]:
    """The payment with its refunds; None when they were not read (a list), which counts none."""
    refunded = sum(int(r.amount_minor) for r in refunds or ())
    return PAYMENT.view(payment, status=payment_status(payment, refunded), refunded_minor=refunded,
                        refunds=None if refunds is None else [REFUND.view(r) for r in refunds])


def payment_status(payment: PaymentItem, refunded: int) -> str:
    """Derived from the facts, so events that arrived in any order read the same."""
    amount = int(payment.amount_minor) if payment.amount_minor is not None else None
    if refunded and amount is not None and refunded >= amount:
        return "refunded"
    if refunded:
        return "partially_refunded"
    if payment.succeeded_at:
        return "succeeded"
    if payment.failed_at:
        return "failed"
    return "pending"
