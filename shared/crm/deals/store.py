"""Writing and listing deals: a write planned against its pipeline, a new deal in its pipeline, an update
that moves it between stages and pipelines, the timelines of a deal and of its contact, and what deals and
activities share (the records they link to, their index keys, the one Query a page of them is)."""

from __future__ import annotations

from typing import Any

from crm.contacts.edits import link_checks
from crm.deals.pipelines import find_pipeline, unchanged_condition
from crm.deals.rules import current, deal_problems, plan_stage, stage_clock
from crm.deals.spec import DEAL, DEFAULT_PIPELINE, LOST, WON, DealItem, PipelineDealItem, PipelineItem
from crm.deals.timeline import on_timelines
from crm.platform.access import Caller
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.records.fields import WriteContext, normalized_values
from crm.records.linked import index_attributes
from crm.records.reads import load
from crm.records.writes import RECORD, Change, create, delete, update_viewed


def read_deal(caller: Caller, deal_id: str) -> DealItem:
    return load(DealItem, DealItem.key(deal_id), "deal", DEAL.viewer(caller))


def planned_deal(submitted: dict[str, Any], existing: DealItem | None, now: str) -> tuple[dict[str, Any], PipelineItem]:
    """The deal's attributes after this write (all of them for a new deal), checked against its
    pipeline, and that pipeline. Anything wrong is one 422 naming every field that needs attention."""
    problems: dict[str, str] = {}
    context = WriteContext(DEAL.name, existing, get_settings().default_phone_region)
    values = normalized_values(DEAL.fields, submitted, context, problems)
    problems.update(deal_problems(values, existing))
    pipeline_id = current(values, existing, "pipeline_id") or DEFAULT_PIPELINE
    pipeline = find_pipeline(pipeline_id)
    if pipeline is None:
        problems["pipeline_id"] = "There is no pipeline with this id."
        raise HttpError(422, "invalid_fields", "Some fields need attention.", problems)
    values["pipeline_id"] = pipeline_id
    plan_stage(submitted, existing, pipeline, values, problems, now)
    if problems:
        raise HttpError(422, "invalid_fields", "Some fields need attention.", problems)
    return values, pipeline


def new_deal(change: Change, submitted: dict[str, Any]) -> dict[str, Any]:
    """A deal from the API's fields (an API create or an import's row): planned against its pipeline,
    its contact and company checked; the view after the caller commits `change`."""
    values, pipeline = planned_deal(submitted, None, change.at)
    link_checks(change, values)
    return DEAL.view(add_deal(change, change.entity_id, values, pipeline))


def edited_deal(change: Change, item: DealItem, version: int, submitted: dict[str, Any]) -> dict[str, Any]:
    values, pipeline = planned_deal(submitted, item, change.at)
    return change_deal(change, item, version, values, pipeline)


def add_deal(change: Change, deal_id: str, values: dict[str, Any], pipeline: PipelineItem,
             label: str = RECORD) -> DealItem:
    """A new deal as part of `change` (alone, or for a qualified contact): the record in its pipeline,
    its audit entry, its first timeline entries and its events."""
    values = {name: value for name, value in values.items() if value is not None}
    attributes = {"order_key": DealItem.close_date_key(None, deal_id), **values,
                  **{name: value for name, value in deal_index_attributes(deal_id, values).items() if value}}
    item = DealItem(*DealItem.key(deal_id), deal_id=deal_id, created_at=change.at, updated_at=change.at, version=1,
                    stage_entered_at=change.at,
                    GSI1PK=DealItem.list_key(), GSI1SK=DealItem.created_key(change.at, deal_id),
                    GSI2PK=DealItem.list_key(), **attributes)
    change.transaction.put("membership", PipelineDealItem(*PipelineDealItem.key(pipeline.pipeline_id, deal_id),
                                                          deal_id=deal_id))
    pipeline_unchanged(change, pipeline)
    create(change, item, DEAL.view(item), label, "deal", deal_id)
    summary = f"Deal {item.name} created in stage {item.stage}"
    on_timelines(change, item, "deal_created", summary, {"by": change.actor})
    change.transaction.event("Deal Created", {"deal_id": deal_id, "contact_id": item.contact_id,
                                              "pipeline_id": item.pipeline_id, "stage": item.stage})
    if item.status in (WON, LOST):
        _closed_event(change, item)
    return item


def change_deal(change: Change, item: DealItem, version: int, values: dict[str, Any],
                pipeline: PipelineItem) -> dict[str, Any]:
    """The planned write of a deal read at `version`, as part of `change`: only what it changes, its
    place in its pipeline, and its stage move or its update announced. Returns the deal's view after."""
    values = {name: value for name, value in values.items() if getattr(item, name) != value}
    link_checks(change, values)
    old_pipeline, old_stage = item.pipeline_id or DEFAULT_PIPELINE, item.stage
    if "pipeline_id" in values:
        change.transaction.delete("membership:old", PipelineDealItem(*PipelineDealItem.key(old_pipeline,
                                                                                            item.deal_id)))
        change.transaction.put("membership", PipelineDealItem(*PipelineDealItem.key(pipeline.pipeline_id,
                                                                                    item.deal_id),
                                                              deal_id=item.deal_id))
    if "pipeline_id" in values or "stage" in values:
        pipeline_unchanged(change, pipeline)
    clock = stage_clock(item, change.at) if "stage" in values else {}
    after = update_viewed(change, item, version, {**values, **deal_index_attributes(item.deal_id, values), **clock},
                          DEAL.view)
    if "stage" in values:
        stage_moved(change, item, old_stage)
    elif values:
        change.transaction.event("Deal Updated", {"deal_id": item.deal_id, "contact_id": item.contact_id,
                                                  "fields": sorted(values)})
    return after


def remove_deal(change: Change, item: DealItem, version: int) -> None:
    """Removes the deal and its place in its pipeline; its timeline entries on its contact stay."""
    change.transaction.delete("membership", PipelineDealItem(*PipelineDealItem.key(
        item.pipeline_id or DEFAULT_PIPELINE, item.deal_id)))
    delete(change, item, version, DEAL.view(item))
    change.transaction.event("Deal Deleted", {"deal_id": item.deal_id, "contact_id": item.contact_id})


def pipeline_unchanged(change: Change, pipeline: PipelineItem) -> None:
    change.transaction.check("pipeline", PipelineItem, PipelineItem.key(pipeline.pipeline_id),
                             unchanged_condition(pipeline))
    change.conflicts["pipeline"] = HttpError(409, "pipeline_changed",
                                             "The pipeline changed meanwhile; read it and try again.")


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
        "deal_id": item.deal_id, "contact_id": item.contact_id,
        "amount_minor": None if item.amount_minor is None else int(item.amount_minor),
        "currency": item.currency, "close_reason": item.close_reason})








def deal_index_attributes(deal_id: str, values: dict[str, Any]) -> dict[str, Any]:
    return index_attributes(DealItem, deal_id, values, "expected_close_date", DealItem.close_date_key)

