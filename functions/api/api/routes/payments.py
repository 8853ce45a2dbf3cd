"""Payments, read-only: one payment with its refunds, or a contact's payments, for admin and sales."""

from __future__ import annotations

from functools import partial
from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.payments.spec import PaymentItem, RefundItem, payment_view
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.secrets import cursor_secret
from crm.records.reads import list_page
from crm.records.table import CrmItem

from api.auth import requires

router = APIGatewayHttpRouter()


@router.get("/payments/<payment_id>", middlewares=[requires("payments", "read")])
def get_payment(payment_id: str) -> dict[str, Any]:
    pk, _ = PaymentItem.key(payment_id)
    # One Query reads the payment and its refunds, which share its partition.
    raw = CrmItem._get_connection().query(pk, consistent_read=True).get("Items", [])
    payment = next((PaymentItem.from_raw_data(i) for i in raw if i["SK"]["S"] == "PAYMENT"), None)
    if payment is None:
        raise HttpError(404, "not_found", "There is no payment with this id.")
    refunds = [RefundItem.from_raw_data(i) for i in raw if i["SK"]["S"].startswith("REFUND#")]
    return payment_view(payment, refunds)


@router.get("/payments", middlewares=[requires("payments", "read")])
def list_payments() -> dict[str, Any]:
    event = router.current_event
    contact_id = event.get_query_string_value("contact_id")
    if not contact_id:
        raise HttpError(400, "contact_id_required", "List payments of one contact: ?contact_id=…",
                        {"contact_id": "Required."})
    return list_page(partial(PaymentItem.by_contact.query, PaymentItem.contact_list_key(contact_id)),
                     partial(payment_view, refunds=None), scope=f"payments:{contact_id}",
                     secret=cursor_secret(get_settings()), limit=event.get_query_string_value("limit"),
                     cursor=event.get_query_string_value("cursor")).as_dict()
