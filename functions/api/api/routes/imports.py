"""Imports: start one (a presigned upload), read it, dry-run it with a mapping, run it, revert it, and
download its results and errors; saved mappings. The work happens in the import function
(crm.imports.jobs); these routes check what is asked and start each step."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.imports.jobs import load_job
from crm.imports.requests import (
    file_link,
    import_view,
    mapping_view,
    readable_job,
    save_mapping,
    start_check,
    start_import,
    start_revert,
    start_run,
)
from crm.imports.spec import IMPORT, STARTED_IMPORT, ImportItem, MappingItem
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.secrets import cursor_secret
from crm.records.reads import list_page
from pydantic import BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.params import Cursor, Limit, answers
from api.responses import accepted, created

router = APIGatewayHttpRouter()
Entity = Literal["contacts", "companies", "deals", "activities"]
Step = Literal["check", "run", "revert"]
Header = Annotated[str, Field(min_length=1, max_length=500)]
Target = Annotated[str, Field(max_length=200)]


class NewImport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entity: Entity
    file_name: Annotated[str, Field(min_length=1, max_length=255)]
    sheet: Annotated[str | None, Field(max_length=255, description="An XLSX sheet; default the first.")] = None


class CheckRequest(BaseModel):
    """A dry run: every row's outcome and the totals, nothing written. Without `mapping` (header to
    target; null leaves a column out) the suggested or the saved mapping (`mapping_name`) is used."""

    model_config = ConfigDict(extra="forbid")
    mapping: Annotated[dict[Header, Target | None] | None, Field(max_length=500)] = None
    mapping_name: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    mode: Literal["create", "create_or_update", "update"] = "create_or_update"
    match_on: Annotated[list[Literal["email", "phone", "external_id", "domain"]] | None, Field(max_length=4)] = None
    default_region: Annotated[str | None, Field(pattern=r"^[A-Za-z]{2}$", description="For phones without a "
                                                "country code, e.g. IR.")] = None
    empty_cells: Literal["keep", "clear"] = "keep"


class SavedMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entity: Entity
    columns: Annotated[dict[Header, Target], Field(min_length=1, max_length=500)]


ImportView = IMPORT.output_model
NewImportView = STARTED_IMPORT.output_model
ImportPage = IMPORT.page_model


class FileLink(BaseModel):
    url: str
    expires_in: int


class MappingView(BaseModel):
    name: str
    entity: str
    columns: dict[str, str]
    saved_by: str
    saved_at: str


@router.post("/imports", responses=answers(201), middlewares=[requires("imports", "write")])
def create_import(body: NewImport) -> Response[NewImportView]:
    view = start_import(current_caller(), body.entity, body.file_name, body.sheet)
    return created(view, f"/v1/imports/{view['id']}")


@router.get("/imports", middlewares=[requires("imports", "read")])
def list_imports(limit: Limit = None, cursor: Cursor = None) -> ImportPage:
    """Your imports, newest first."""
    caller = current_caller()
    scope = f"imports:{caller.user_id}"

    def query(**kwargs: Any) -> Any:
        return ImportItem.by_created.query(ImportItem.list_key(caller.user_id), **kwargs)
    return list_page(query, import_view, scope=scope, secret=cursor_secret(get_settings()), limit=limit,
                     cursor=cursor).as_dict()


@router.get("/imports/<import_id>", middlewares=[requires("imports", "read")])
def get_import(import_id: str) -> ImportView:
    """Its status, what was read from the file, the mapping, and the progress of its step."""
    return import_view(readable_job(current_caller(), import_id))


@router.post("/imports/<import_id>/check", responses=answers(202, {409: "Not ready for a dry run."}),
             middlewares=[requires("imports", "write")])
def check_import(import_id: str, body: CheckRequest) -> Response[ImportView]:
    caller = current_caller()
    job = start_check(caller, readable_job(caller, import_id), body.model_dump())
    return accepted(import_view(load_job(str(job.import_id)) or job))


@router.post("/imports/<import_id>/run", responses=answers(202, {409: "Not checked, or run already."}),
             middlewares=[requires("imports", "write")])
def run_import(import_id: str) -> Response[ImportView]:
    caller = current_caller()
    job = start_run(caller, readable_job(caller, import_id))
    return accepted(import_view(load_job(str(job.import_id)) or job))


@router.post("/imports/<import_id>/revert", responses=answers(202, {409: "Not completed, or reverted already."}),
             middlewares=[requires("imports", "write")])
def revert_import(import_id: str) -> Response[ImportView]:
    caller = current_caller()
    job = start_revert(caller, readable_job(caller, import_id))
    return accepted(import_view(load_job(str(job.import_id)) or job))


@router.get("/imports/<import_id>/results", middlewares=[requires("imports", "read")])
def import_results(import_id: str, step: Annotated[Step, Query()] = "check") -> FileLink:
    """A CSV of every row's outcome in a step (row, action, record_id, reason)."""
    return file_link(readable_job(current_caller(), import_id), step, "results")


@router.get("/imports/<import_id>/errors", middlewares=[requires("imports", "read")])
def import_errors(import_id: str, step: Annotated[Step, Query()] = "run") -> FileLink:
    """A CSV of the rows that failed, as they were in the file plus an `error` column: fix and import it."""
    return file_link(readable_job(current_caller(), import_id), step, "errors")


@router.put("/import-mappings/<name>", middlewares=[requires("imports", "write")])
def put_mapping(name: str, body: SavedMapping) -> MappingView:
    """A mapping saved for the next file of the same shape (`mapping_name` of a dry run)."""
    if not 0 < len(name) <= 100:
        raise HttpError(422, "invalid_fields", "A name of 1 to 100 characters.")
    return save_mapping(current_caller(), body.entity, name, dict(body.columns))


@router.get("/import-mappings", middlewares=[requires("imports", "read")])
def list_mappings(entity: Annotated[Entity, Query()]) -> list[MappingView]:
    return [MappingView(**mapping_view(item)) for item in MappingItem.query(MappingItem.key(entity, "")[0])]
