"""Deals: create, read, update (If-Match), delete, list, and each deal's timeline. What a write does to a
deal's stage, status, probability and close is crm.deals.rules."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.deals.spec import DEAL, DEAL_STATUSES, DealItem
from crm.deals.store import edited_deal, new_deal, read_deal, remove_deal
from crm.platform.config import get_settings
from crm.platform.secrets import cursor_secret
from crm.records.linked import linked_query
from crm.records.reads import all_of, expect_version, history_page, history_view, list_page
from crm.records.writes import Change, new_id
from pydantic import BaseModel

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit
from api.responses import created

router = APIGatewayHttpRouter()
DealStatus = Literal[DEAL_STATUSES]
# Built at run time from the spec: to the checker a body of this model has no methods (attr-defined below).
DealFields = DEAL.input_model
Deal = DEAL.output_model
DealPage = DEAL.page_model


class TimelineEntry(BaseModel):
    type: str
    summary: str
    at: str
    data: dict[str, Any]


class Timeline(BaseModel):
    items: list[TimelineEntry]
    next_cursor: str | None


@router.get("/deals/<deal_id>", middlewares=[requires("deals", "read")])
def get_deal(deal_id: str) -> Deal:
    return DEAL.view(read_deal(current_caller(), deal_id))


@router.get("/deals", middlewares=[requires("deals", "read")])
def list_deals(limit: Limit = None, cursor: Cursor = None,
               sort: Annotated[Literal["created_at", "-created_at", "expected_close_date", "-expected_close_date"]
                               | None, Query(description="Default -created_at (newest first).")] = None,
               pipeline_id: Annotated[str | None, Query(max_length=64)] = None,
               stage: Annotated[str | None, Query(max_length=63)] = None,
               status: Annotated[DealStatus | None, Query()] = None,
               owner: Annotated[str | None, Query(max_length=128)] = None,
               contact_id: Annotated[str | None, Query(max_length=64)] = None,
               company_id: Annotated[str | None, Query(max_length=64)] = None) -> DealPage:
    """A pipeline's board is `?pipeline_id=...` (optionally `&stage=...`)."""
    filters = all_of(*(getattr(DealItem, name) == value for name, value in (
        ("pipeline_id", pipeline_id), ("stage", stage), ("status", status), ("company_id", company_id))
        if value is not None))
    query, ascending = linked_query(DealItem, sort, "expected_close_date", filters, contact_id, owner)
    scope = f"deals:{sort}:{pipeline_id}:{stage}:{status}:{owner}:{contact_id}:{company_id}"
    return list_page(query, DEAL.view, scope=scope, secret=cursor_secret(get_settings()), limit=limit,
                     cursor=cursor, ascending=ascending).as_dict()


@router.get("/deals/<deal_id>/timeline", middlewares=[requires("deals", "read")])
def deal_timeline(deal_id: str, limit: Limit = None, cursor: Cursor = None) -> Timeline:
    """Newest first: created, stage changes, won and lost, activities logged on it, payments that won it."""
    entries, next_cursor = history_page(DealItem.key(deal_id), "deal", lambda _: True, scope=f"deal-timeline:{deal_id}",
                                        secret=cursor_secret(get_settings()), limit=limit, cursor=cursor)
    return {"items": [history_view(e) for e in entries], "next_cursor": next_cursor}


@router.post("/deals", responses={201: {"description": "Created"}}, middlewares=[requires("deals", "write")])
def create_deal(body: DealFields) -> Response[Deal]:
    change = Change("deal", new_id(), "create", current_caller().user_id)
    view = new_deal(change, body.model_dump(exclude_unset=True))  # type: ignore[attr-defined]
    change.commit()
    return created(view, f"/v1/deals/{change.entity_id}")


@router.patch("/deals/<deal_id>", middlewares=[requires("deals", "write")])
def update_deal(deal_id: str, body: DealFields, if_match: IfMatch = None) -> Deal:
    caller = current_caller()
    item = read_deal(caller, deal_id)
    version = expect_version(if_match, item, "deal")
    change = Change("deal", deal_id, "update", caller.user_id)
    after = edited_deal(change, item, version, body.model_dump(exclude_unset=True))  # type: ignore[attr-defined]
    change.commit()
    return after


@router.delete("/deals/<deal_id>", responses={204: {"description": "Deleted"}},
               middlewares=[requires("deals", "write")])
def delete_deal(deal_id: str, if_match: IfMatch = None) -> Response[None]:
    """Removes the deal and its place in its pipeline; its timeline entries on its contact stay."""
    caller = current_caller()
    item = read_deal(caller, deal_id)
    version = expect_version(if_match, item, "deal")
    change = Change("deal", deal_id, "delete", caller.user_id)
    remove_deal(change, item, version)
    change.commit()
    return Response(204)
