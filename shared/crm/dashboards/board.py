"""Each widget: the entity whose read it needs, the one counter read it makes, and its view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crm.dashboards import widgets
from crm.dashboards.counted import ACTIVITIES_PARTITION, REVENUE_PARTITION
from crm.dashboards.periods import Periods, zone
from crm.dashboards.store import read_days, read_now
from crm.dashboards.widgets import Filters
from crm.platform.access import Caller
from crm.platform.errors import HttpError


def _days(partition: str, periods: Periods) -> widgets.Days:
    return read_days(partition, *periods.utc_days())


@dataclass(frozen=True)
class Widget:
    # The entity a widget counts: the caller needs its read permission, and all of its records.
    entity: str
    show: Callable[[Periods, Filters], dict[str, Any]]


WIDGETS: dict[str, Widget] = {
    "funnel": Widget("contacts", lambda p, f: widgets.funnel(p, _days(widgets.contacts_filter(f), p))),
    "leads": Widget("contacts", lambda p, f: widgets.leads(p, _days(widgets.contacts_filter(f), p))),
    "scores": Widget("contacts", lambda p, f: widgets.scores(read_now(widgets.contacts_filter(f)))),
    "pipeline": Widget("deals", lambda p, f: widgets.pipeline(read_now(widgets.deals_filter(f)), p)),
    "deals": Widget("deals", lambda p, f: widgets.closed_deals(p, _days(widgets.deals_filter(f), p))),
    "activity": Widget("activities", lambda p, f: widgets.activity(p, _days(ACTIVITIES_PARTITION, p), f.owner)),
    "revenue": Widget("payments", lambda p, f: widgets.revenue(p, _days(REVENUE_PARTITION, p))),
}


def show(caller: Caller, name: str, periods: Periods, filters: Filters) -> dict[str, Any]:
    widget = WIDGETS.get(name)
    if widget is None:
        raise HttpError(404, "not_found", f"There is no widget {name!r}; there are {', '.join(WIDGETS)}.")
    caller.require(widget.entity, "read")
    if caller.customers_only:
        # The counters count every record; a role that sees customers only may not see them summed.
        raise HttpError(403, "forbidden", f"The {name} widget counts every {widget.entity} record; your role "
                        "sees customers only.")
    return {"widget": name, "timezone": periods.tz, "grain": periods.grain,
            "starts_at": periods.bounds[0].astimezone(zone(periods.tz)).isoformat(),
            "ends_at": periods.bounds[-1].astimezone(zone(periods.tz)).isoformat(),
            **widget.show(periods, filters)}
