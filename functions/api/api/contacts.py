"""Contacts: read one, and list them newest first with cursor pagination."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.config import get_settings
from crm.cursor import encode_cursor
from crm.errors import ClientError
from crm.models import ContactItem, get_item
from crm.secret_store import cursor_secret

from api.auth import Caller, caller_from_claims
from api.paging import page_limit, start_key

router = APIGatewayHttpRouter()
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
        "score": int(item.score) if item.score is not None else None,
        "grade": item.grade,
        "score_breakdown": list(item.score_breakdown) if item.score_breakdown is not None else [],
    }


@router.get("/contacts/<contact_id>")
def get_contact(contact_id: str) -> dict[str, Any]:
    caller = current_caller()
    caller.require("contacts", "read")
    item = get_item(ContactItem, ContactItem.key(contact_id))
    if item is None or (caller.customers_only and item.lifecycle_stage != CUSTOMER_STAGE):
        raise ClientError(404, "not_found", "There is no contact with this id.")
    return contact_view(item)


@router.get("/contacts")
def list_contacts() -> dict[str, Any]:
    """Newest first; or by score (`sort=-score` or `sort=score`), optionally for one lifecycle stage
    and one owner, each served by an index so a page is one Query."""
    caller = current_caller()
    caller.require("contacts", "read")
    event = router.current_event
    limit = page_limit(event.get_query_string_value("limit"))
    sort = event.get_query_string_value("sort")
    stage = event.get_query_string_value("lifecycle_stage")
    owner = event.get_query_string_value("owner")
    if sort not in (None, "score", "-score"):
        raise ClientError(400, "invalid_sort", "sort is score or -score.", {"sort": "score or -score"})
    if caller.customers_only:
        if stage not in (None, CUSTOMER_STAGE):
            return {"items": [], "next_cursor": None}
        stage = CUSTOMER_STAGE
    by_score = sort is not None or stage is not None or owner is not None
    scope = f"contacts:{sort}:{stage}:{owner}"
    secret = cursor_secret(get_settings())
    start = start_key(event.get_query_string_value("cursor"), secret, scope)
    paging: dict[str, Any] = {"limit": limit, "page_size": limit, "last_evaluated_key": start,
                              "scan_index_forward": sort == "score"}
    if not by_score:
        results = ContactItem.by_created.query(ContactItem.list_key(), **paging)
    elif owner is not None:
        condition = (ContactItem.lifecycle_stage == stage) if stage else None
        results = ContactItem.by_owner_score.query(ContactItem.owner_key(owner), filter_condition=condition, **paging)
    elif stage is not None:
        results = ContactItem.by_stage_score.query(ContactItem.stage_key(stage), **paging)
    else:
        results = ContactItem.by_score.query(ContactItem.list_key(), **paging)
    items = [contact_view(item) for item in results]
    last_key = results.last_evaluated_key
    return {"items": items, "next_cursor": encode_cursor(last_key, secret, scope) if last_key else None}
