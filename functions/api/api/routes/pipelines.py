"""Pipelines: several, each with its open stages in order ({id, name, probability}), and all ending in the
closed stages `won` (probability 100) and `lost` (0), which every pipeline has and none stores.

The `default` pipeline is built in (like the built-in custom fields): it exists without setup, an admin's
PATCH stores an edited copy under the same id, and it cannot be deleted. Admins write pipelines, every role
reads them (the `definitions` resource); the deals in them are the `deals` resource.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.deals.spec import PipelineDealItem, PipelineItem
from crm.platform.clock import epoch_seconds
from crm.platform.config import get_settings
from crm.platform.errors import ClientError
from crm.platform.secrets import cursor_secret
from crm.platform.text import InvalidValue, clean_text
from crm.records.reads import expect_version, list_page, load
from crm.records.table import get_item
from crm.records.writes import Change, create, delete, new_id, update_viewed
from pydantic import BaseModel, ConfigDict, Field
from pynamodb.exceptions import UpdateError

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit, answers
from api.responses import created

router = APIGatewayHttpRouter()
DEFAULT_PIPELINE = "default"
WON, LOST = "won", "lost"
CLOSED_STAGES = ({"id": WON, "name": "Won", "probability": 100}, {"id": LOST, "name": "Lost", "probability": 0})
BUILT_IN_STAGES = (
    {"id": "new", "name": "New", "probability": 10},
    {"id": "qualified", "name": "Qualified", "probability": 25},
    {"id": "proposal", "name": "Proposal", "probability": 50},
    {"id": "negotiation", "name": "Negotiation", "probability": 75},
)
MAX_STAGES = 30
DELETE_FENCE_SECONDS = 30
# The stored default sorts before every other pipeline on GSI1 (ids of others follow an ISO time).
DEFAULT_ORDER_KEY = f"0#{DEFAULT_PIPELINE}"
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


def built_in_pipeline() -> PipelineItem:
    """The default pipeline as it is until an admin edits it: version 0, never stored."""
    return PipelineItem(*PipelineItem.key(DEFAULT_PIPELINE), pipeline_id=DEFAULT_PIPELINE, name="Sales pipeline",
                        stages=[dict(s) for s in BUILT_IN_STAGES], is_default=True, created_at="", updated_at="",
                        version=0)


def stages_of(item: PipelineItem) -> list[dict[str, Any]]:
    """The open stages in order, numbers as ints."""
    return [{"id": str(s["id"]), "name": str(s["name"]), "probability": int(s["probability"])}
            for s in (s.as_dict() if hasattr(s, "as_dict") else s for s in item.stages)]


def stage_probabilities(item: PipelineItem) -> dict[str, int]:
    """Every stage a deal in this pipeline may be in, open ones first, with its probability."""
    return {s["id"]: s["probability"] for s in (*stages_of(item), *CLOSED_STAGES)}


def pipeline_view(item: PipelineItem) -> dict[str, Any]:
    return {"id": item.pipeline_id, "name": item.name, "stages": stages_of(item),
            "closed_stages": [dict(s) for s in CLOSED_STAGES], "is_default": item.pipeline_id == DEFAULT_PIPELINE,
            "built_in": int(item.version) == 0, "created_at": item.created_at or None,
            "updated_at": item.updated_at or None, "version": int(item.version)}


def find_pipeline(pipeline_id: str) -> PipelineItem | None:
    """One consistent GetItem; the built-in default when it was never edited."""
    item = get_item(PipelineItem, PipelineItem.key(pipeline_id), consistent=True)
    if item is None and pipeline_id == DEFAULT_PIPELINE:
        return built_in_pipeline()
    return item


def unchanged_condition(item: PipelineItem) -> Any:
    """A write that relied on this pipeline's stages goes through only if they are still these, and no
    delete is checking it for deals."""
    if int(item.version) == 0:
        return PipelineItem.PK.does_not_exist()
    return (PipelineItem.version == int(item.version)) & (
        PipelineItem.deleting_until.does_not_exist() | (PipelineItem.deleting_until < epoch_seconds()))


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
    return pipeline_view(_load(pipeline_id))


@router.post("/pipelines", responses={201: {"description": "Created"}}, middlewares=[requires("definitions", "write")])
def create_pipeline(body: PipelineFields) -> Response[Pipeline]:
    caller = current_caller()
    values = _checked(body)
    if "name" not in values or "stages" not in values:
        raise ClientError(422, "invalid_fields", "A pipeline needs a name and its stages.",
                          {name: "Required." for name in ("name", "stages") if name not in values})
    pipeline_id = new_id()
    change = Change("pipeline", pipeline_id, "create", caller.user_id)
    item = PipelineItem(*PipelineItem.key(pipeline_id), pipeline_id=pipeline_id, created_at=change.at,
                        updated_at=change.at, version=1, GSI1PK=PipelineItem.list_key(),
                        GSI1SK=f"{change.at}#{pipeline_id}", **values)
    view = pipeline_view(item)
    create(change, item, view)
    change.transaction.event("Pipeline Created", {"pipeline_id": pipeline_id})
    change.commit()
    return created(view, f"/v1/pipelines/{pipeline_id}")


@router.patch("/pipelines/<pipeline_id>", middlewares=[requires("definitions", "write")])
def update_pipeline(pipeline_id: str, body: PipelineFields, if_match: IfMatch = None) -> Pipeline:
    """Editing the built-in default (version 0) stores the edited copy as version 1."""
    caller = current_caller()
    item = _load(pipeline_id)
    version = expect_version(if_match, item, "pipeline")
    values = _checked(body)
    change = Change("pipeline", pipeline_id, "update", caller.user_id)
    if version == 0:
        for name, value in values.items():
            setattr(item, name, value)
        item.created_at = item.updated_at = change.at
        item.version, item.GSI1PK, item.GSI1SK = 1, PipelineItem.list_key(), DEFAULT_ORDER_KEY
        create(change, item, pipeline_view(item))
    else:
        update_viewed(change, item, version, values, pipeline_view)
    change.transaction.event("Pipeline Updated", {"pipeline_id": pipeline_id})
    change.commit()
    return pipeline_view(item)


@router.delete("/pipelines/<pipeline_id>", responses=answers(204, {
    409: "The pipeline still has deals, or it is the default pipeline."}),
        middlewares=[requires("definitions", "write")])
def delete_pipeline(pipeline_id: str, if_match: IfMatch = None) -> Response[None]:
    """Only a pipeline without deals; the default stays."""
    caller = current_caller()
    if pipeline_id == DEFAULT_PIPELINE:
        raise ClientError(409, "default_pipeline", "The default pipeline cannot be deleted; edit it instead.")
    item = _load(pipeline_id)
    version = expect_version(if_match, item, "pipeline")
    # Fence first, then look: a deal added before the fence is seen, one added after it is refused.
    fence = epoch_seconds() + DELETE_FENCE_SECONDS
    try:
        item.update(actions=[PipelineItem.deleting_until.set(fence)], condition=unchanged_condition(item))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise ClientError(412, "version_mismatch", "The pipeline changed meanwhile; read it again.") from error
    pk, _ = PipelineDealItem.key(pipeline_id, "")
    if next(iter(PipelineDealItem.query(pk, PipelineDealItem.SK.startswith("DEAL#"), limit=1,
                                        consistent_read=True)), None) is not None:
        item.update(actions=[PipelineItem.deleting_until.remove()], condition=PipelineItem.deleting_until == fence)
        raise ClientError(409, "pipeline_has_deals", "This pipeline still has deals; move or delete them first.")
    change = Change("pipeline", pipeline_id, "delete", caller.user_id)
    delete(change, item, version, pipeline_view(item))
    change.transaction.event("Pipeline Deleted", {"pipeline_id": pipeline_id})
    change.commit()
    return Response(204)


def _load(pipeline_id: str) -> PipelineItem:
    return load(PipelineItem, PipelineItem.key(pipeline_id), "pipeline") if pipeline_id != DEFAULT_PIPELINE \
        else find_pipeline(pipeline_id)  # type: ignore[return-value]


def _checked(body: PipelineFields) -> dict[str, Any]:
    """The submitted name and stages, cleaned; stage ids distinct and not a closed stage's."""
    submitted = body.model_dump(exclude_unset=True)
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in ("name", "stages"):
        if name in submitted and submitted[name] is None:
            problems[name] = "May not be cleared."
    for name, clean in (("name", _text), ("stages", lambda stages: [{**s, "name": _text(s["name"])} for s in stages])):
        try:
            if submitted.get(name):
                values[name] = clean(submitted[name])
        except InvalidValue as exc:
            problems[name] = str(exc)
    ids = [stage["id"] for stage in values.get("stages", ())]
    if len(set(ids)) != len(ids):
        problems["stages"] = "Stage ids must be distinct."
    elif {WON, LOST} & set(ids):
        problems["stages"] = "won and lost are the closed stages every pipeline ends in; do not list them."
    if problems:
        raise ClientError(422, "invalid_fields", "The pipeline needs attention.", problems)
    return values


def _text(raw: str) -> str:
    value = clean_text(raw, 200)
    if not value:
        raise InvalidValue("Must not be empty.")
    return value
