"""Pipelines as stored: finding one (the built-in default when it was never edited), writing one, the
condition a deal's write puts on its pipeline, and a delete that first makes sure no deal is left.

The `default` pipeline is built in (like the built-in custom fields): it exists without setup, an admin's
PATCH stores an edited copy under the same id, and it cannot be deleted.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from crm.contacts.history import chunks
from crm.deals.rules import built_in_pipeline
from crm.deals.spec import DEFAULT_PIPELINE, DealItem, PipelineDealItem, PipelineItem, pipeline_view
from crm.platform.clock import epoch_seconds
from crm.platform.errors import HttpError
from crm.records.reads import load
from crm.records.table import get_item
from crm.records.writes import Change, create, update_viewed

DELETE_FENCE_SECONDS = 30
BATCH_GET_KEYS = 100
# The stored default sorts before every other pipeline on GSI1 (ids of others follow an ISO time).
DEFAULT_ORDER_KEY = f"0#{DEFAULT_PIPELINE}"


def find_pipeline(pipeline_id: str) -> PipelineItem | None:
    """One consistent GetItem; the built-in default when it was never edited."""
    item = get_item(PipelineItem, PipelineItem.key(pipeline_id), consistent=True)
    if item is None and pipeline_id == DEFAULT_PIPELINE:
        return built_in_pipeline()
    return item


def read_pipeline(pipeline_id: str) -> PipelineItem:
    """The pipeline, or 404; the default always exists."""
    if pipeline_id != DEFAULT_PIPELINE:
        return load(PipelineItem, PipelineItem.key(pipeline_id), "pipeline")
    return find_pipeline(pipeline_id) or built_in_pipeline()


def unchanged_condition(item: PipelineItem) -> Any:
    """A write that relied on this pipeline's stages goes through only if they are still these, and no
    delete is checking it for deals."""
    if int(item.version) == 0:
        return PipelineItem.PK.does_not_exist()
    return (PipelineItem.version == int(item.version)) & (
        PipelineItem.deleting_until.does_not_exist() | (PipelineItem.deleting_until < epoch_seconds()))


def add_pipeline(change: Change, pipeline_id: str, values: dict[str, Any]) -> PipelineItem:
    item = PipelineItem(*PipelineItem.key(pipeline_id), pipeline_id=pipeline_id, created_at=change.at,
                        updated_at=change.at, version=1, GSI1PK=PipelineItem.list_key(),
                        GSI1SK=f"{change.at}#{pipeline_id}", **values)
    create(change, item, pipeline_view(item))
    change.transaction.event("Pipeline Created", {"pipeline_id": pipeline_id})
    return item


def edit_pipeline(change: Change, item: PipelineItem, version: int, values: dict[str, Any]) -> None:
    """Editing the built-in default (version 0) stores the edited copy as version 1; `item` is left as the
    write leaves it."""
    if version == 0:
        for name, value in values.items():
            setattr(item, name, value)
        item.created_at = item.updated_at = change.at
        item.version, item.GSI1PK, item.GSI1SK = 1, PipelineItem.list_key(), DEFAULT_ORDER_KEY
        create(change, item, pipeline_view(item))
    else:
        update_viewed(change, item, version, values, pipeline_view)
    change.transaction.event("Pipeline Updated", {"pipeline_id": item.pipeline_id})


def make_sure_no_deal_is_left(item: PipelineItem) -> None:
    """Before a delete: 412 when the pipeline changed since it was read, 409 when it still has deals. The fence
    stays up for the delete."""
    fence = _fence(item)
    if _deals_in(item.pipeline_id, None):
        _lift(item, fence)
        raise HttpError(409, "pipeline_has_deals", "This pipeline still has deals; move or delete them first.")


def make_sure_no_deal_is_in(item: PipelineItem, stage_ids: set[str]) -> dict[str, Any]:
    """Before an edit that removes `stage_ids`: 412 when the pipeline changed since it was read, 409 naming the
    stages that still have deals. Returns what the edit sets besides its own values: the fence taken down."""
    fence = _fence(item)
    held = _deals_in(item.pipeline_id, stage_ids)
    if held:
        _lift(item, fence)
        names = ", ".join(sorted(held))
        raise HttpError(409, "stage_has_deals", f"Stages still holding deals stay: {names}. Move those deals first.",
                        {"stages": f"Still holding deals: {names}."})
    return {} if fence is None else {"deleting_until": None}


def _fence(item: PipelineItem) -> int | None:
    """Fence first, then look: a deal written before the fence is seen, one written after it is refused (its
    write is conditioned on the pipeline as it was). The built-in default, never stored, has nothing to fence:
    a deal's write there is conditioned on its not being stored, which the edit's write ends."""
    if int(item.version) == 0:
        return None
    fence = epoch_seconds() + DELETE_FENCE_SECONDS
    try:
        item.update(actions=[PipelineItem.deleting_until.set(fence)], condition=unchanged_condition(item))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise HttpError(412, "version_mismatch", "The pipeline changed meanwhile; read it again.") from error
    return fence


def _lift(item: PipelineItem, fence: int | None) -> None:
    if fence is not None:
        item.update(actions=[PipelineItem.deleting_until.remove()], condition=PipelineItem.deleting_until == fence)


def _deals_in(pipeline_id: str, stage_ids: set[str] | None) -> set[str]:
    """Whether the pipeline has deals (a set naming the pipeline), or which of `stage_ids` hold some: its
    memberships read consistently, and the stages of their deals a hundred at a time."""
    pk, _ = PipelineDealItem.key(pipeline_id, "")
    members = PipelineDealItem.query(pk, PipelineDealItem.SK.startswith("DEAL#"), consistent_read=True,
                                     limit=1 if stage_ids is None else None)
    if stage_ids is None:
        return {pipeline_id} if next(iter(members), None) is not None else set()
    held: set[str] = set()
    for chunk in chunks((DealItem.key(m.deal_id) for m in members), BATCH_GET_KEYS):
        held |= {deal.stage for deal in DealItem.batch_get(chunk, consistent_read=True,
                                                            attributes_to_get=["deal_id", "stage"])} & stage_ids
    return held
