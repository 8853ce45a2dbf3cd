"""Exports: any list the API serves, with its filters and sort, as CSV or XLSX built in the background
(api.export_worker) and downloaded through a short-lived link. The export reads the list through the API's
own route as the person who asked, so it holds exactly what they would see."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.exports.lists import ListRequest, list_request, refused
from crm.exports.spec import EXPORT, FORMATS, MAX_LIST_LENGTH
from crm.exports.store import export_view, own_exports, read_export, start_export
from pydantic import BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.handler import app, include_routers
from api.pages import page_as
from api.params import Cursor, Limit, answers
from api.routers import routers_for

router = APIGatewayHttpRouter()
Export = EXPORT.output_model
ExportPage = EXPORT.page_model
Format = Literal[FORMATS]
NOT_FOUND = "The list's path names a record that does not exist, or that the caller may not see."


class ExportRequest(BaseModel):
    """What to export: a list's GET path under /v1 with its filters and sort, and the file's format."""

    model_config = ConfigDict(extra="forbid")
    list: Annotated[str, Field(max_length=MAX_LIST_LENGTH, examples=["/v1/contacts?lifecycle_stage=customer"])]
    format: Format


@router.post("/exports", responses=answers(202, {404: NOT_FOUND}), middlewares=[requires("exports", "write")])
def create_export(body: ExportRequest) -> Response[Export]:
    """Reads the list's first page at once, as the caller: a list their role may not read is 403 and bad
    filters 400 now, and nothing is stored. Then the export is queued (202); GET it until it is done."""
    caller = current_caller()
    request = exportable(body.list)
    page_as(caller, request, None)
    item = start_export(caller, body.list, body.format)
    return Response(202, "application/json", export_view(item), headers={"location": f"/v1/exports/{item.export_id}"})


@router.get("/exports/<export_id>", middlewares=[requires("exports", "read")])
def get_export(export_id: str) -> Export:
    """Once done, `download_url` downloads the file for five minutes; GET the export again for a new link."""
    return export_view(read_export(current_caller(), export_id))


@router.get("/exports", middlewares=[requires("exports", "read")])
def list_exports(limit: Limit = None, cursor: Cursor = None) -> ExportPage:
    """The caller's own exports, newest first."""
    return own_exports(current_caller(), limit, cursor).as_dict()


def exportable(text: str) -> ListRequest:
    """A list route's GET: a path that ends in a record's id is one record, and exports are not exported."""
    request = list_request(text)
    if request.resource == "exports":
        raise refused("An export cannot export exports.")
    include_routers(routers_for(request.path))
    route = next((route for route in (*app._static_routes, *app._dynamic_routes)
                  if route.method == "GET" and route.rule.match(request.path)), None)
    if route is None or route.openapi_path.endswith("}"):
        raise refused("The API serves no list at this path: name a list such as /v1/contacts, not one record.")
    return request
