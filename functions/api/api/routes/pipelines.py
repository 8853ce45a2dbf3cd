"""Pipelines: several, each with its open stages in order ({id, name, probability}), and all ending in the
closed stages `won` (probability 100) and `lost` (0), which every pipeline has and none stores.

The `default` pipeline is built in: it exists without setup, an admin's PATCH stores an edited copy under the
same id, and it cannot be deleted. Admins write pipelines, every role reads them (the `definitions`
resource); the deals in them are the `deals` resource.

Its models are written here, not derived from the stored item (crm.deals.spec.PipelineItem says why).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.deals.pipelines import (
    add_pipeline,
    edit_pipeline,
    make_sure_no_deal_is_in,
    make_sure_no_deal_is_left,
    read_pipeline,
)
from crm.deals.rules import built_in_pipeline, checked_pipeline
from crm.deals.spec import DEFAULT_PIPELINE, MAX_STAGES, PipelineItem, pipeline_view, stages_of
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.secrets import cursor_secret
from crm.records.reads import expect_version, list_page
from crm.records.writes import Change, delete, new_id
from pydantic import BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit, answers
from api.responses import created

router = APIGatewayHttpRouter()
Name = Annotated[str, Field(min_length=1, max_length=200)]


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="won and lost are reserved.")]
    name: Name
    probability: Annotated[int, Field(strict=True, ge=0, le=100, description="Percent chance to close won.")]


class PipelineFields(BaseModel):
    """In a PATCH, absent fields stay as they are; `stages` replaces the list (deals in a removed stage
    keep it until they are moved)."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    stages: Annotated[list[Stage], Field(min_length=1, max_length=MAX_STAGES)] | None = None


class Pipeline(BaseModel):
    id: str
    name: str
    stages: list[Stage]
    closed_stages: list[Stage]
    is_default: bool
    built_in: bool
    created_at: str | None
    updated_at: str | None
    version: int


class PipelinePage(BaseModel):
    items: list[Pipeline]
    next_cursor: str | None


@router.get("/pipelines", middlewares=[requires("definitions", "read")])
def list_pipelines(limit: Limit = None, cursor: Cursor = None) -> PipelinePage:
    """The default first, then the others oldest first."""
    page = list_page(partial(PipelineItem.by_created.query, PipelineItem.list_key()), pipeline_view,
                     scope="pipelines", secret=cursor_secret(get_settings()), limit=limit, cursor=cursor,
                     ascending=True)
    items = page.items
    if not cursor and not (items and items[0]["id"] == DEFAULT_PIPELINE):
        items = [pipeline_view(built_in_pipeline()), *items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.get("/pipelines/<pipeline_id>", middlewares=[requires("definitions", "read")])
def get_pipeline(pipeline_id: str) -> Pipeline:
    return pipeline_view(read_pipeline(pipeline_id))


@router.post("/pipelines", responses={201: {"description": "Created"}}, middlewares=[requires("definitions", "write")])
def create_pipeline(body: PipelineFields) -> Response[Pipeline]:
    values = checked_pipeline(body.model_dump(exclude_unset=True))
    if "name" not in values or "stages" not in values:
        raise HttpError(422, "invalid_fields", "A pipeline needs a name and its stages.",
                        {name: "Required." for name in ("name", "stages") if name not in values})
    pipeline_id = new_id()
    change = Change("pipeline", pipeline_id, "create", current_caller().user_id)
    view = pipeline_view(add_pipeline(change, pipeline_id, values))
    change.commit()
    return created(view, f"/v1/pipelines/{pipeline_id}")


@router.patch("/pipelines/<pipeline_id>", responses=answers(200, {
    409: "A stage the edit leaves out still holds deals."}), middlewares=[requires("definitions", "write")])
def update_pipeline(pipeline_id: str, body: PipelineFields, if_match: IfMatch = None) -> Pipeline:
    """Editing the built-in default (version 0) stores the edited copy as version 1. A stage left out must hold
    no deal (409 names those that do): a deal is never left in a stage its pipeline no longer has."""
    caller = current_caller()
    item = read_pipeline(pipeline_id)
    version = expect_version(if_match, item, "pipeline")
    values = checked_pipeline(body.model_dump(exclude_unset=True))
    removed = {s["id"] for s in stages_of(item)} - {s["id"] for s in values.get("stages", stages_of(item))}
    if removed:
        values |= make_sure_no_deal_is_in(item, removed)
    change = Change("pipeline", pipeline_id, "update", caller.user_id)
    edit_pipeline(change, item, version, values)
    change.commit()
    return pipeline_view(item)


@router.delete("/pipelines/<pipeline_id>", responses=answers(204, {
    409: "The pipeline still has deals, or it is the default pipeline."}),
        middlewares=[requires("definitions", "write")])
def delete_pipeline(pipeline_id: str, if_match: IfMatch = None) -> Response[None]:
    """Only a pipeline without deals; the default stays."""
    caller = current_caller()
    if pipeline_id == DEFAULT_PIPELINE:
        raise HttpError(409, "default_pipeline", "The default pipeline cannot be deleted; edit it instead.")
    item = read_pipeline(pipeline_id)
    version = expect_version(if_match, item, "pipeline")
    make_sure_no_deal_is_left(item)
    change = Change("pipeline", pipeline_id, "delete", caller.user_id)
    delete(change, item, version, pipeline_view(item))
    change.transaction.event("Pipeline Deleted", {"pipeline_id": pipeline_id})
    change.commit()
    return Response(204)
