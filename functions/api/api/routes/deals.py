"""Deals: create, read, update (If-Match), delete, list, and each deal's timeline.

A deal is in one stage of one pipeline. Its `status` follows the stage: the closed stages `won` and `lost`
are status won and lost, every other stage is open. Moving a deal to `won` or `lost` (by `stage` or by
`status`) sets `closed_at`; `lost` needs a `close_reason` (won may have one); reopening clears both. The
probability is the stage's unless the caller sets one; a stage change without one takes the new stage's.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.companies.spec import CompanyItem
from crm.contacts.spec import CUSTOMER_STAGE, ContactItem
from crm.custom_fields.rules import FieldDefinition, coerce
from crm.custom_fields.store import checked_custom_fields
from crm.deals.spec import DealItem, PipelineDealItem, PipelineItem
from crm.platform.config import get_settings
from crm.platform.errors import ClientError
from crm.platform.secrets import cursor_secret
from crm.platform.text import InvalidValue, clean_text
from crm.records.fields import plain_numbers
from crm.records.history import HistoryItem, history_entry
from crm.records.reads import all_of, expect_version, history_page, history_view, list_page, load
from crm.records.writes import RECORD, Change, create, delete, must_exist, new_id, update_viewed
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit
from api.responses import created
from api.routes.pipelines import (
    DEFAULT_PIPELINE,
    LOST,
    WON,
    find_pipeline,
    stage_probabilities,
    stages_of,
    unchanged_condition,
)

router = APIGatewayHttpRouter()
DealStatus = Literal["open", "won", "lost"]
Id = Annotated[str, Field(min_length=1, max_length=64)]
Owner = Annotated[str, Field(min_length=1, max_length=128)]


_CLOSE_DATE = FieldDefinition("deal", "expected_close_date", "Expected close date", "date")


def iso_date(value: str) -> str:
    """2026-11-24, checked as a custom date field is."""
    return coerce(_CLOSE_DATE, value)


class DealFields(BaseModel):
    """A deal's editable fields. In a PATCH, absent fields stay as they are and null clears one."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(max_length=200)] | None = None
    pipeline_id: Id | None = Field(None, description=f"Default `{DEFAULT_PIPELINE}`.")
    stage: Annotated[str, Field(max_length=63)] | None = Field(None, description="Default the pipeline's first.")
    status: DealStatus | None = Field(None, description="won or lost moves the deal to that closed stage.")
    amount_minor: Annotated[int, Field(strict=True, ge=0, le=10**15,
                                       description="In minor units (cents).")] | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. EUR.")] | None = None
    probability: Annotated[int, Field(strict=True, ge=0, le=100)] | None = Field(
        None, description="Percent; default the stage's.")
    expected_close_date: Annotated[str, Field(max_length=10), AfterValidator(iso_date)] | None = None
    close_reason: Annotated[str, Field(max_length=1000)] | None = Field(None, description="Required for lost.")
    owner: Owner | None = None
    contact_id: Id | None = None
    company_id: Id | None = None
    custom_fields: dict[str, Any] | None = None


class Deal(BaseModel):
    id: str
    name: str | None
    pipeline_id: str
    stage: str
    status: str
    amount_minor: int | None
    currency: str | None
    probability: int | None
    expected_close_date: str | None
    close_reason: str | None
    closed_at: str | None
    owner: str | None
    contact_id: str | None
    company_id: str | None
    custom_fields: dict[str, Any]
    created_at: str
    updated_at: str
    version: int


class DealPage(BaseModel):
    items: list[Deal]
    next_cursor: str | None


class TimelineEntry(BaseModel):
    type: str
    summary: str
    at: str
    data: dict[str, Any]


class Timeline(BaseModel):
    items: list[TimelineEntry]
    next_cursor: str | None


def deal_view(item: DealItem) -> dict[str, Any]:
    return {"id": item.deal_id, "name": item.name, "pipeline_id": item.pipeline_id or DEFAULT_PIPELINE,
            "stage": item.stage, "status": item.status or "open",
            "amount_minor": _int(item.amount_minor), "currency": item.currency,
            "probability": _int(item.probability), "expected_close_date": item.expected_close_date,
            "close_reason": item.close_reason, "closed_at": item.closed_at, "owner": item.owner,
            "contact_id": item.contact_id, "company_id": item.company_id,
            "custom_fields": plain_numbers(item.custom_fields.as_dict()) if item.custom_fields else {},
            "created_at": item.created_at, "updated_at": item.updated_at, "version": int(item.version)}


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def read_deal(deal_id: str) -> DealItem:
    return load(DealItem, DealItem.key(deal_id), "deal")


@router.get("/deals/<deal_id>", middlewares=[requires("deals", "read")])
def get_deal(deal_id: str) -> Deal:
    return deal_view(read_deal(deal_id))


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
    return list_page(query, deal_view, scope=scope, secret=cursor_secret(get_settings()), limit=limit,
                     cursor=cursor, ascending=ascending).as_dict()


def linked_query(model: Any, sort: str | None, order_field: str, filters: Any, contact_id: str | None,
                 owner: str | None) -> tuple[Any, bool]:
    """The one Query a page of deals or activities is, and its direction: newest first on GSI1, or in
    `order_field` order on GSI3 (a contact's), GSI4 (an owner's) or GSI2 (all); the rest are filters."""
    by_contact = (model.contact_id == contact_id) if contact_id is not None else None
    by_owner = (model.owner == owner) if owner is not None else None
    if sort not in (order_field, f"-{order_field}"):
        query = partial(model.by_created.query, model.list_key())
        filters = all_of(filters, by_contact, by_owner)
    elif contact_id is not None:
        query = partial(model.by_group_order.query, model.contact_partition(contact_id))
        filters = all_of(filters, by_owner)
    elif owner is not None:
        query = partial(model.by_owner_order.query, model.owner_partition(owner))
    else:
        query = partial(model.by_order.query, model.list_key())
    return partial(query, filter_condition=filters), sort in ("created_at", order_field)


@router.get("/deals/<deal_id>/timeline", middlewares=[requires("deals", "read")])
def deal_timeline(deal_id: str, limit: Limit = None, cursor: Cursor = None) -> Timeline:
    """Newest first: created, stage changes, won and lost, activities logged on it, payments that won it."""
    entries, next_cursor = history_page(DealItem.key(deal_id), "deal", lambda _: True, scope=f"deal-timeline:{deal_id}",
                                        secret=cursor_secret(get_settings()), limit=limit, cursor=cursor)
    return {"items": [history_view(e) for e in entries], "next_cursor": next_cursor}


@router.post("/deals", responses={201: {"description": "Created"}}, middlewares=[requires("deals", "write")])
def create_deal(body: DealFields) -> Response[Deal]:
    caller = current_caller()
    deal_id = new_id()
    change = Change("deal", deal_id, "create", caller.user_id)
    values, pipeline = planned_deal(body.model_dump(exclude_unset=True), None, change.at)
    link_checks(change, values)
    item = add_deal(change, deal_id, values, pipeline)
    change.commit()
    return created(deal_view(item), f"/v1/deals/{deal_id}")


@router.patch("/deals/<deal_id>", middlewares=[requires("deals", "write")])
def update_deal(deal_id: str, body: DealFields, if_match: IfMatch = None) -> Deal:
    caller = current_caller()
    item = read_deal(deal_id)
    version = expect_version(if_match, item, "deal")
    change = Change("deal", deal_id, "update", caller.user_id)
    values, pipeline = planned_deal(body.model_dump(exclude_unset=True), item, change.at)
    values = {name: value for name, value in values.items() if getattr(item, name) != value}
    link_checks(change, values)
    old_pipeline, old_stage = item.pipeline_id or DEFAULT_PIPELINE, item.stage
    if "pipeline_id" in values:
        change.transaction.delete("membership:old", PipelineDealItem(*PipelineDealItem.key(old_pipeline, deal_id)))
        change.transaction.put("membership", PipelineDealItem(*PipelineDealItem.key(pipeline.pipeline_id, deal_id),
                                                              deal_id=deal_id))
    if "pipeline_id" in values or "stage" in values:
        _pipeline_unchanged(change, pipeline)
    after = update_viewed(change, item, version, {**values, **deal_index_attributes(deal_id, values)}, deal_view)
    if "stage" in values:
        stage_moved(change, item, old_stage)
    elif values:
        change.transaction.event("Deal Updated", {"deal_id": deal_id, "contact_id": item.contact_id,
                                                  "fields": sorted(values)})
    change.commit()
    return after


@router.delete("/deals/<deal_id>", responses={204: {"description": "Deleted"}},
               middlewares=[requires("deals", "write")])
def delete_deal(deal_id: str, if_match: IfMatch = None) -> Response[None]:
    """Removes the deal and its place in its pipeline; its timeline entries on its contact stay."""
    caller = current_caller()
    item = read_deal(deal_id)
    version = expect_version(if_match, item, "deal")
    change = Change("deal", deal_id, "delete", caller.user_id)
    change.transaction.delete("membership", PipelineDealItem(*PipelineDealItem.key(
        item.pipeline_id or DEFAULT_PIPELINE, deal_id)))
    delete(change, item, version, deal_view(item))
    change.transaction.event("Deal Deleted", {"deal_id": deal_id, "contact_id": item.contact_id})
    change.commit()
    return Response(204)


def planned_deal(submitted: dict[str, Any], existing: DealItem | None, now: str) -> tuple[dict[str, Any], PipelineItem]:
    """The deal's attributes after this write (all of them for a new deal), checked against its
    pipeline, and that pipeline. Anything wrong is one 422 naming every field that needs attention."""
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, value in submitted.items():
        if name == "custom_fields":
            values[name] = checked_custom_fields("deal", value or {}, existing.custom_fields.as_dict()
                                                 if existing is not None and existing.custom_fields else {}, problems,
                                                     get_settings().default_phone_region)
        elif isinstance(value, str) and name in ("name", "close_reason", "owner"):
            try:
                values[name] = clean_text(value, 1000) or None
            except InvalidValue as exc:
                problems[name] = str(exc)
        elif name not in ("stage", "status", "probability"):
            values[name] = value
    def current(name: str) -> Any:
        return values[name] if name in values else getattr(existing, name) if existing else None

    if not current("name"):
        problems["name"] = "A deal needs a name."
    if current("amount_minor") is not None and not current("currency"):
        problems["currency"] = "Give the currency of the amount."
    pipeline_id = current("pipeline_id") or DEFAULT_PIPELINE
    pipeline = find_pipeline(pipeline_id)
    if pipeline is None:
        problems["pipeline_id"] = "There is no pipeline with this id."
        raise ClientError(422, "invalid_fields", "Some fields need attention.", problems)
    values["pipeline_id"] = pipeline_id
    _plan_stage(submitted, existing, pipeline, values, problems, now)
    if problems:
        raise ClientError(422, "invalid_fields", "Some fields need attention.", problems)
    return values, pipeline


def _plan_stage(submitted: dict[str, Any], existing: DealItem | None, pipeline: PipelineItem,
                values: dict[str, Any], problems: dict[str, str], now: str) -> None:
    """Stage, status, probability, closed_at and close_reason, which follow one another."""
    probabilities = stage_probabilities(pipeline)
    first = stages_of(pipeline)[0]["id"]
    old_stage = existing.stage if existing else None
    old_status = (existing.status or "open") if existing else None
    moved_pipeline = existing is not None and values["pipeline_id"] != (existing.pipeline_id or DEFAULT_PIPELINE)
    status = submitted.get("status")
    stage = submitted.get("stage")
    if stage is None:
        if status in (WON, LOST):
            stage = status
        elif existing is None or (status == "open" and old_status != "open") \
                or (moved_pipeline and old_status == "open"):
            stage = first
        else:
            stage = old_stage
    if stage not in probabilities and (stage != old_stage or moved_pipeline):
        problems["stage"] = f"One of {', '.join(probabilities)}."
        return
    new_status = stage if stage in (WON, LOST) else "open"
    if status is not None and status != new_status:
        problems["status"] = f"The stage {stage} is {new_status}."
    values["stage"], values["status"] = stage, new_status
    if submitted.get("probability") is not None:
        if new_status != "open":
            problems["probability"] = "A closed deal's probability is its stage's."
        values["probability"] = submitted["probability"]
    elif stage != old_stage or "probability" in submitted:
        values["probability"] = probabilities.get(stage)
    reason = values.get("close_reason", existing.close_reason if existing else None)
    if new_status == "open":
        if values.get("close_reason"):
            problems["close_reason"] = "Only a won or lost deal has a close reason."
        values["close_reason"] = values["closed_at"] = None
    else:
        if new_status == LOST and not reason:
            problems["close_reason"] = "Say why the deal was lost."
        if new_status != old_status:
            values["closed_at"] = now


def index_attributes(model: Any, record_id: str, values: dict[str, Any], order_field: str,
                     order_key: Any) -> dict[str, Any]:
    """Index keys of a deal or an activity that follow its order field, its contact and its owner."""
    attributes: dict[str, Any] = {}
    if order_field in values:
        attributes["score_key"] = order_key(values[order_field], record_id)
    if "contact_id" in values:
        attributes["GSI3PK"] = model.contact_partition(values["contact_id"]) if values["contact_id"] else None
    if "owner" in values:
        attributes["GSI4PK"] = model.owner_partition(values["owner"]) if values["owner"] else None
    return attributes


def deal_index_attributes(deal_id: str, values: dict[str, Any]) -> dict[str, Any]:
    return index_attributes(DealItem, deal_id, values, "expected_close_date", DealItem.close_date_key)


def link_checks(change: Change, values: dict[str, Any], customers_only: bool = False) -> None:
    """The contact (a customer, for support) and the company a deal or an activity names must exist
    when it is written."""
    if values.get("contact_id"):
        condition = ContactItem.merged_into.does_not_exist() & ContactItem.erased_at.does_not_exist()
        if customers_only:
            condition &= ContactItem.lifecycle_stage == CUSTOMER_STAGE
        must_exist(change, "contact_id", ContactItem, ContactItem.key(values["contact_id"]),
                   "customer" if customers_only else "contact", condition)
    if values.get("company_id"):
        must_exist(change, "company_id", CompanyItem, CompanyItem.key(values["company_id"]), "company")


def _pipeline_unchanged(change: Change, pipeline: PipelineItem) -> None:
    change.transaction.check("pipeline", PipelineItem, PipelineItem.key(pipeline.pipeline_id),
                             unchanged_condition(pipeline))
    change.conflicts["pipeline"] = ClientError(409, "pipeline_changed",
                                               "The pipeline changed meanwhile; read it and try again.")


def add_deal(change: Change, deal_id: str, values: dict[str, Any], pipeline: PipelineItem,
             label: str = RECORD) -> DealItem:
    """A new deal as part of `change` (alone, or for a qualified contact): the record in its pipeline,
    its audit entry, its first timeline entries and its events."""
    values = {name: value for name, value in values.items() if value is not None}
    attributes = {"score_key": DealItem.close_date_key(None, deal_id), **values,
                  **{name: value for name, value in deal_index_attributes(deal_id, values).items() if value}}
    item = DealItem(*DealItem.key(deal_id), deal_id=deal_id, created_at=change.at, updated_at=change.at, version=1,
                    GSI1PK=DealItem.list_key(), GSI1SK=DealItem.created_key(change.at, deal_id),
                    GSI2PK=DealItem.list_key(), **attributes)
    change.transaction.put("membership", PipelineDealItem(*PipelineDealItem.key(pipeline.pipeline_id, deal_id),
                                                          deal_id=deal_id))
    _pipeline_unchanged(change, pipeline)
    create(change, item, deal_view(item), label, "deal", deal_id)
    summary = f"Deal {item.name} created in stage {item.stage}"
    on_timelines(change, item, "deal_created", summary, {"by": change.actor})
    change.transaction.event("Deal Created", {"deal_id": deal_id, "contact_id": item.contact_id,
                                              "pipeline_id": item.pipeline_id, "stage": item.stage})
    if item.status in (WON, LOST):
        _closed_event(change, item)
    return item


def stage_moved(change: Change, item: DealItem, old_stage: str | None) -> None:
    """A stage change on the deal's and its contact's timelines, and announced."""
    entry_type = {WON: "deal_won", LOST: "deal_lost"}.get(item.stage or "", "deal_stage_changed")
    on_timelines(change, item, entry_type, f"Deal {item.name} moved from {old_stage} to {item.stage}",
                 {"by": change.actor, "from": old_stage, "to": item.stage, "close_reason": item.close_reason})
    change.transaction.event("Deal Stage Changed", {"deal_id": item.deal_id, "contact_id": item.contact_id,
                                                    "pipeline_id": item.pipeline_id, "from": old_stage,
                                                    "to": item.stage})
    if item.status in (WON, LOST):
        _closed_event(change, item)


def _closed_event(change: Change, item: DealItem) -> None:
    change.transaction.event("Deal Won" if item.status == WON else "Deal Lost", {
        "deal_id": item.deal_id, "contact_id": item.contact_id, "amount_minor": _int(item.amount_minor),
        "currency": item.currency, "close_reason": item.close_reason})


def on_timelines(change: Change, item: Any, entry_type: str, summary: str, data: dict[str, Any]) -> None:
    """One entry on the timeline of the deal `item` is (or names), and one on its contact's."""
    data = {**data, "deal_id": item.deal_id}
    if getattr(item, "deal_id", None):
        change.transaction.put(f"history:deal:{entry_type}", history_entry(
            DealItem.history_key(item.deal_id, change.at, new_id()), entry_type, summary, data, change.at))
    if item.contact_id:
        change.transaction.put(f"history:contact:{entry_type}", history_entry(
            HistoryItem.key(item.contact_id, change.at, new_id()), entry_type, summary, data, change.at))
