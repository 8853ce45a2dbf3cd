"""Contacts: read one, and list them newest first with cursor pagination."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.config import get_settings
from crm.cursor import InvalidCursor, decode_cursor, encode_cursor
from crm.errors import ClientError
from crm.models import ContactItem
from crm.secret_store import cursor_secret

from api.auth import Caller, caller_from_claims

router = APIGatewayHttpRouter()
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CUSTOMER_STAGE = "customer"


def current_caller() -> Caller:
    claims = router.current_event.request_context.authorizer.jwt_claim or {}
    return caller_from_claims(claims)


def contact_view(item: ContactItem) -> dict[str, Any]:
    return {
        "id": item.contact_id,
        "email": item.email,
        "emails": sorted(item.emails or ()),
        "phone": item.phone,
        "phones": sorted(item.phones or ()),
        "first_name": item.first_name,
        "last_name": item.last_name,
        "company": item.company,
        "job_title": item.job_title,
        "owner": item.owner,
        "lifecycle_stage": item.lifecycle_stage,
        "lead_status": item.lead_status,
        "source": item.source,
        "custom_fields": item.custom_fields.as_dict() if item.custom_fields else {},
        "first_touch": item.first_touch.as_dict() if item.first_touch else None,
        "last_touch": item.last_touch.as_dict() if item.last_touch else None,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "version": int(item.version),
    }


def _support_only_customers(caller: Caller) -> bool:
    return caller.roles == frozenset({"support"})


@router.get("/contacts/<contact_id>")
def get_contact(contact_id: str) -> dict[str, Any]:
    caller = current_caller()
    caller.require("contacts", "read")
    try:
        item = ContactItem.get(*ContactItem.key(contact_id))
    except ContactItem.DoesNotExist:
        item = None
    if item is None or (_support_only_customers(caller) and item.lifecycle_stage != CUSTOMER_STAGE):
        raise ClientError(404, "not_found", "There is no contact with this id.")
    return contact_view(item)


@router.get("/contacts")
def list_contacts() -> dict[str, Any]:
    caller = current_caller()
    caller.require("contacts", "read")
    event = router.current_event
    limit = _limit(event.get_query_string_value("limit"))
    secret = cursor_secret(get_settings())
    start = None
    raw_cursor = event.get_query_string_value("cursor")
    if raw_cursor:
        try:
            start = decode_cursor(raw_cursor, secret, scope="contacts")
        except InvalidCursor as exc:
            raise ClientError(400, "invalid_cursor", str(exc), {"cursor": str(exc)}) from exc
    condition = (ContactItem.lifecycle_stage == CUSTOMER_STAGE) if _support_only_customers(caller) else None
    results = ContactItem.by_created.query(
        ContactItem.list_key(), scan_index_forward=False, limit=limit, page_size=limit,
        last_evaluated_key=start, filter_condition=condition,
    )
    items = [contact_view(item) for item in results]
    last_key = results.last_evaluated_key
    return {"items": items, "next_cursor": encode_cursor(last_key, secret, scope="contacts") if last_key else None}


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ClientError(400, "invalid_limit", f"limit is a whole number from 1 to {MAX_LIMIT}.",
                          {"limit": f"A whole number from 1 to {MAX_LIMIT}."})
    return int(raw)
