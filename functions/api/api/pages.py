"""A list's page read through the API's own route, in process, as a given caller: how exports and reports
read rows, so that what they hold is exactly what the caller would be shown."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from crm.exports.lists import ListRequest, page_from
from crm.platform.access import Caller

from api.handler import app, include_routers
from api.routers import routers_for


def page_as(caller: Caller, request: ListRequest, cursor: str | None) -> dict[str, Any]:
    """One page of the list, served by the API's own route to `caller`, or the error it answered them."""
    include_routers(routers_for(request.path))
    context: Any = vars(BaseRouter).get("lambda_context")
    with own_request_kept():
        return page_from(app.resolve(request.page_event(caller, cursor), context))


@contextmanager
def own_request_kept() -> Iterator[None]:
    """The resolver keeps the request it serves on itself and clears it when done; a request served inside
    another (a first page read while answering a POST, a report's run) must leave the outer one as it found it."""
    # Neither is set before the resolver's first request (the export function's first page).
    request = {name: value for name, value in vars(BaseRouter).items() if name in ("current_event", "lambda_context")}
    kept = dict(app.context)
    try:
        yield
    finally:
        for name, value in request.items():
            setattr(BaseRouter, name, value)
        app.context.clear()
        app.context.update(kept)
