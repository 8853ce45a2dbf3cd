"""Payments: provider events, payments, refunds, customer links, deals (webhooks and the API).

Apart from crm.models so that functions which do not use them do not build their classes at cold start.
"""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute

from crm.records.table import ContactListIndex, CrmItem


class WebhookEventItem(CrmItem):
    """A provider's event, recorded once (its id is the key) with its raw body, whatever it did."""

    provider = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    status = UnicodeAttribute()
    raw_body = UnicodeAttribute()
    headers = MapAttribute()
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
    provider = UnicodeAttribute()
    provider_payment_id = UnicodeAttribute()
    contact_id = UnicodeAttribute(null=True)
    deal_id = UnicodeAttribute(null=True)
    amount_minor = NumberAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    succeeded_at = UnicodeAttribute(null=True)
    failed_at = UnicodeAttribute(null=True)
    failure_reason = UnicodeAttribute(null=True)
    first_seen_at = UnicodeAttribute(null=True)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    by_contact = ContactListIndex()

    @staticmethod
    def key(payment_key: str) -> tuple[str, str]:
        return f"PAYMENT#{payment_key}", "PAYMENT"

    @staticmethod
    def contact_list_key(contact_id: str) -> str:
        return f"PAYMENTS#{contact_id}"


class RefundItem(CrmItem):
    payment_key = UnicodeAttribute()
    refund_id = UnicodeAttribute()
    amount_minor = NumberAttribute()
    refunded_at = UnicodeAttribute()

    @staticmethod
    def key(payment_key: str, refund_id: str) -> tuple[str, str]:
        return f"PAYMENT#{payment_key}", f"REFUND#{refund_id}"


class CustomerLinkItem(CrmItem):
    """Which contact a provider's customer is, so events that carry no email can be mapped."""

    contact_id = UnicodeAttribute()

    @staticmethod
    def key(provider: str, customer_id: str) -> tuple[str, str]:
        return f"CUSTOMER#{provider}#{customer_id}", "LINK"
