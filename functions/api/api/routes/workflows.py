"""Workflows and sequences, for admins and marketing (crm.workflows, decision 0051): a JSON definition checked as
a whole, its runs, a dry run against a contact, and the built-in workflows to start from.

A new workflow's webhook secret is in the 201 response alone (`webhook_secret`): it signs the webhook steps'
bodies and is never shown again."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.secrets import cursor_secret
from crm.records.reads import expect_version, list_page
from crm.workflows.builtin import BUILTINS, builtin_view
from crm.workflows.definition import WorkflowFields
from crm.workflows.dryrun import dry_run
from crm.workflows.spec import RunItem
from crm.workflows.store import (
    add_workflow,
    read_workflow,
    remove_workflow,
    replace_workflow,
    stored,
    workflow_items,
    workflow_view,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit
from api.responses import created

router = APIGatewayHttpRouter()
Id = Annotated[str, Field(min_length=1, max_length=64)]


class Workflow(BaseModel):
    id: str
    name: str
    description: str | None
    status: str
    trigger: dict[str, Any]
    steps: list[dict[str, Any]]
    re_entry: str
    stop_on: list[str]
    created_by: str | None
    created_at: str
    updated_at: str
    version: int


class NewWorkflow(Workflow):
    webhook_secret: str = Field(description="Signs the webhook steps' bodies (X-CRM-Signature); shown this once.")


class WorkflowList(BaseModel):
    items: list[Workflow]


class FromBuiltin(BaseModel):
    """The email template the built-in workflow sends, and its parameters (see GET /v1/workflows/templates)."""

    model_config = ConfigDict(extra="forbid")
    email_template_id: Id
    parameters: Annotated[dict[Annotated[str, Field(max_length=64)], Annotated[int, Field(ge=0, le=366)]],
                          Field(max_length=10)] = {}


class DryRun(BaseModel):
    """The contact to run it against, and optionally the triggering event's detail (for `event.*` conditions)."""

    model_config = ConfigDict(extra="forbid")
    contact_id: Id
    event: Annotated[dict[Annotated[str, Field(max_length=64)], str | int | float | bool | None],
                     Field(max_length=50)] = {}


def _run_view(item: RunItem) -> dict[str, Any]:
    return {"run_id": item.run_id, "contact_id": item.contact_id, "status": item.status, "position": item.position,
            "wait_until": item.wait_until, "steps_taken": int(item.steps_taken or 0), "error": item.error,
            "outcome": item.outcome, "started_at": item.started_at, "updated_at": item.updated_at}


def _created(view: dict[str, Any], secret: str) -> Response[NewWorkflow]:
    return created({**view, "webhook_secret": secret}, f"/v1/workflows/{view['id']}")


@router.get("/workflows", middlewares=[requires("workflows", "read")])
def list_workflows() -> WorkflowList:
    """Every workflow, newest first."""
    return WorkflowList.model_validate({"items": [workflow_view(item) for item in workflow_items()]})


@router.post("/workflows", responses={201: {"description": "Created"}}, middlewares=[requires("workflows", "write")])
def create_workflow(body: WorkflowFields) -> Response[NewWorkflow]:
    view, secret = add_workflow(current_caller().user_id, stored(body))
    return _created(view, secret)


@router.get("/workflows/templates", middlewares=[requires("workflows", "read")])
def list_builtin_workflows() -> dict[str, Any]:
    """The built-in workflows, ready to switch on: POST /v1/workflows/templates/{key} makes one, paused."""
    return {"items": [builtin_view(builtin) for builtin in BUILTINS.values()]}


@router.post("/workflows/templates/<key>", responses={201: {"description": "Created"}},
             middlewares=[requires("workflows", "write")])
def create_from_builtin(key: str, body: FromBuiltin) -> Response[NewWorkflow]:
    builtin = BUILTINS.get(key)
    if builtin is None:
        raise HttpError(404, "not_found", "There is no built-in workflow with this key.")
    unknown = sorted(set(body.parameters) - set(builtin.parameters))
    if unknown:
        raise HttpError(422, "invalid_fields", "Unknown parameters.",
                        {f"parameters.{name}": "Not a parameter of this workflow." for name in unknown})
    try:
        fields = WorkflowFields.model_validate(builtin.definition(body.email_template_id, body.parameters))
    except ValidationError as exc:
        raise HttpError(422, "invalid_fields", "The parameters do not make a valid workflow.",
                        {".".join(str(p) for p in error["loc"]): error["msg"] for error in exc.errors()}) from exc
    view, secret = add_workflow(current_caller().user_id, stored(fields))
    return _created(view, secret)


@router.get("/workflows/<workflow_id>", middlewares=[requires("workflows", "read")])
def get_workflow(workflow_id: str) -> Workflow:
    return Workflow.model_validate(workflow_view(read_workflow(workflow_id)))


@router.put("/workflows/<workflow_id>", middlewares=[requires("workflows", "write")])
def replace_workflow_route(workflow_id: str, body: WorkflowFields, if_match: IfMatch = None) -> Workflow:
    """The workflow as sent, whole (its status too: active, paused or draft); its webhook secret stays."""
    item = read_workflow(workflow_id)
    version = expect_version(if_match, item, "workflow")
    return Workflow.model_validate(replace_workflow(current_caller().user_id, item, version, stored(body)))


@router.delete("/workflows/<workflow_id>", responses={204: {"description": "Deleted"}},
               middlewares=[requires("workflows", "write")])
def delete_workflow(workflow_id: str, if_match: IfMatch = None) -> Response[None]:
    item = read_workflow(workflow_id)
    remove_workflow(current_caller().user_id, item, expect_version(if_match, item, "workflow"))
    return Response(204)


@router.post("/workflows/<workflow_id>/dry-run", middlewares=[requires("workflows", "read")])
def dry_run_workflow(workflow_id: str, body: DryRun) -> dict[str, Any]:
    """The path the contact would take now (conditions, branches, each step, the email's subject); it writes and
    sends nothing."""
    return dry_run(read_workflow(workflow_id), body.contact_id, dict(body.event))


@router.get("/workflows/<workflow_id>/runs", middlewares=[requires("workflows", "read")])
def list_workflow_runs(workflow_id: str, limit: Limit = None, cursor: Cursor = None) -> dict[str, Any]:
    """The workflow's runs, newest first, and where each is."""
    read_workflow(workflow_id)
    query = partial(RunItem.by_created.query, RunItem.list_key(workflow_id))
    return list_page(query, _run_view, scope=f"workflow-runs:{workflow_id}", secret=cursor_secret(get_settings()),
                     limit=limit, cursor=cursor).as_dict()
