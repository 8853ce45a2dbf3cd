"""Live dashboards: one widget per request, read from counters the table stream keeps (one read whatever
the data's size), its periods in the time zone the caller names."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.dashboards.board import WIDGETS, show
from crm.dashboards.models import AnyWidget
from crm.dashboards.periods import GRAINS, PeriodError, Periods, zone
from crm.dashboards.widgets import Filters
from crm.platform.errors import HttpError
from pydantic import TypeAdapter

from api.auth import current_caller, requires
from api.params import answers

router = APIGatewayHttpRouter()

Day = Annotated[str | None, Query(description="A local day, YYYY-MM-DD; its period's start is the first.")]


@router.get("/dashboards/<widget>", responses=answers(200, {404: "There is no such widget."}),
            middlewares=[requires("dashboards", "read")])
def get_widget(widget: str, tz: Annotated[str, Query(description="IANA time zone, e.g. Asia/Tehran.")] = "UTC",
               grain: Annotated[str, Query(description=f"One of {', '.join(GRAINS)}.")] = "month",
               from_: Annotated[str | None, Query(alias="from", description="First local day (default a year "
                                                  "before `to`).")] = None,
               to: Day = None,
               owner: Annotated[str | None, Query(description="Only this owner's records (`-`: nobody's).",
                                                  max_length=128)] = None,
               source: Annotated[str | None, Query(description="Contacts widgets: only this source.",
                                                   max_length=200)] = None,
               pipeline: Annotated[str, Query(description="Deal widgets: the pipeline.", max_length=64)] = "default",
               ) -> AnyWidget:
    """A widget (`funnel`, `leads`, `scores`, `pipeline`, `deals`, `activity`, `revenue`): its numbers per
    period of `grain` from `from` to `to` in `tz`, and their total."""
    if widget not in WIDGETS:
        raise HttpError(404, "not_found", f"There is no widget {widget!r}; there are {', '.join(WIDGETS)}.")
    try:
        last = _day("to", to) or datetime.now(zone(tz)).date()
        first = _day("from", from_) or last - timedelta(days=364)
        periods = Periods.of(first, last, grain, tz)
    except (PeriodError, OverflowError) as exc:
        raise HttpError(400, "invalid_period", str(exc)) from exc
    shown = show(current_caller(), widget, periods, Filters(owner=owner, source=source, pipeline=pipeline))
    return TypeAdapter(AnyWidget).validate_python(shown)


def _day(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise PeriodError(f"`{name}` must be a day, YYYY-MM-DD.") from exc
