"""Pipelines as stored: finding one (the built-in default when it was never edited), writing one, the
condition a deal's write puts on its pipeline, and a delete that first makes sure no deal is left.

The `default` pipeline is built in (like the built-in custom fields): it exists without setup, an admin's
PATCH stores an edited copy under the same id, and it cannot be deleted.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from crm.deals.rules import built_in_pipeline
from crm.deals.spec import DEFAULT_PIPELINE, PipelineDealItem, PipelineItem, pipeline_view
from crm.platform.clock import epoch_seconds
from crm.platform.errors import HttpError
from crm.records.reads import load
from crm.records.table import get_item
from crm.records.writes import Change, create, update_viewed

DELETE_FENCE_SECONDS = 30
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
    """Fence first, then look: a deal added before the fence is seen, one added after it is refused (its
    write is conditioned on the pipeline as it was). 412 when the pipeline changed since it was read, 409
    (and the fence lifted) when it still has deals."""
    fence = epoch_seconds() + DELETE_FENCE_SECONDS
    try:
        item.update(actions=[PipelineItem.deleting_until.set(fence)], condition=unchanged_condition(item))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise HttpError(412, "version_mismatch", "The pipeline changed meanwhile; read it again.") from error
    pk, _ = PipelineDealItem.key(item.pipeline_id, "")
    if next(iter(PipelineDealItem.query(pk, PipelineDealItem.SK.startswith("DEAL#"), limit=1,
                                        consistent_read=True)), None) is not None:
        item.update(actions=[PipelineItem.deleting_until.remove()], condition=PipelineItem.deleting_until == fence)
        raise HttpError(409, "pipeline_has_deals", "This pipeline still has deals; move or delete them first.")
