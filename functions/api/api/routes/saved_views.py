"""Saved views: a named list with its filters and sort, the caller's own or shared with the team (shared by
admins). Listing gives the caller's and the team's; opening one is the console's GET of its list, read as the
caller, so a view never shows more than the caller's role lets them see."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.saved_views.spec import MAX_LIST, MAX_NAME, SAVED_VIEW
from crm.saved_views.store import delete_view, save_view, views_of
from pydantic import BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.params import answers

router = APIGatewayHttpRouter()
SavedView = SAVED_VIEW.output_model


class SavedViewList(BaseModel):
    items: list[SavedView]


class NewSavedView(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
    list: Annotated[str, Field(min_length=4, max_length=MAX_LIST,
                               examples=["/v1/contacts?lifecycle_stage=lead&sort=-score"])]
    shared: bool = False


@router.get("/saved-views", middlewares=[requires("saved_views", "read")])
def list_saved_views(resource: Annotated[str | None, Query(
        max_length=64, description="Only views of this list (contacts).")] = None) -> SavedViewList:
    return SavedViewList(items=views_of(current_caller(), resource))


@router.post("/saved-views", responses=answers(201, {409: "Too many views here already."}),
             middlewares=[requires("saved_views", "write")])
def create_saved_view(body: NewSavedView) -> Response[SavedView]:
    view = save_view(current_caller(), body.name.strip(), body.list, body.shared)
    return Response(201, "application/json", view, headers={"location": f"/v1/saved-views/{view['id']}"})


@router.delete("/saved-views/<view_id>", responses=answers(204), middlewares=[requires("saved_views", "write")])
def delete_saved_view(view_id: str) -> Response[None]:
    delete_view(current_caller(), view_id)
    return Response(204)
