"""Payments, read-only: one payment with its refunds, or a contact's payments, for admin and sales."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.payments.spec import PaymentItem, RefundItem
from crm.platform.config import get_settings
from crm.platform.cursor import encode_cursor
from crm.platform.errors import ClientError
from crm.platform.secrets import cursor_secret
from crm.records.paging import page_limit, start_key
from crm.records.table import CrmItem

from api.auth import requires

router = APIGatewayHttpRouter()


def payment_view(payment: PaymentItem, refunds: list[RefundItem]) -> dict[str, Any]:
    refunded = sum(int(r.amount_minor) for r in refunds)
    amount = int(payment.amount_minor) if payment.amount_minor is not None else None
    return {
        "id": payment.payment_key,
        "provider": payment.provider,
        "provider_payment_id": payment.provider_payment_id,
        "contact_id": payment.contact_id,
        "deal_id": payment.deal_id,
        "amount_minor": amount,
        "currency": payment.currency,
        "status": payment_status(payment, refunded, amount),
        "refunded_minor": refunded,
        "refunds": [{"id": r.refund_id, "amount_minor": int(r.amount_minor), "at": r.refunded_at} for r in refunds],
        "succeeded_at": payment.succeeded_at,
        "failed_at": payment.failed_at,
        "failure_reason": payment.failure_reason,
    }


def payment_status(payment: PaymentItem, refunded: int, amount: int | None) -> str:
    """Derived from the facts, so events that arrived in any order read the same."""
    if refunded and amount is not None and refunded >= amount:
        return "refunded"
    if refunded:
        return "partially_refunded"
    if payment.succeeded_at:
        return "succeeded"
    if payment.failed_at:
        return "failed"
    return "pending"


@router.get("/payments/<payment_id>", middlewares=[requires("payments", "read")])
def get_payment(payment_id: str) -> dict[str, Any]:
    pk, _ = PaymentItem.key(payment_id)
    # One Query reads the payment and its refunds, which share its partition.
    raw = CrmItem._get_connection().query(pk, consistent_read=True).get("Items", [])
    payment = next((PaymentItem.from_raw_data(i) for i in raw if i["SK"]["S"] == "PAYMENT"), None)
    if payment is None:
        raise ClientError(404, "not_found", "There is no payment with this id.")
    refunds = [RefundItem.from_raw_data(i) for i in raw if i["SK"]["S"].startswith("REFUND#")]
    return payment_view(payment, refunds)


@router.get("/payments", middlewares=[requires("payments", "read")])
def list_payments() -> dict[str, Any]:
    event = router.current_event
    contact_id = event.get_query_string_value("contact_id")
    if not contact_id:
        raise ClientError(400, "contact_id_required", "List payments of one contact: ?contact_id=…",
                          {"contact_id": "Required."})
    limit = page_limit(event.get_query_string_value("limit"))
    scope = f"payments:{contact_id}"
    secret = cursor_secret(get_settings())
    results = PaymentItem.by_contact.query(PaymentItem.contact_list_key(contact_id), scan_index_forward=False,
                                           limit=limit, page_size=limit,
                                           last_evaluated_key=start_key(event.get_query_string_value("cursor"),
                                                                         secret, scope))
    items = [payment_view(p, []) | {"refunds": None} for p in results]
    last = results.last_evaluated_key
    return {"items": items, "next_cursor": encode_cursor(last, secret, scope) if last else None}
