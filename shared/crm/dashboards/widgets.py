"""The widgets: what a dashboard shows, computed from counter items and the caller's periods."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from crm.dashboards.counted import ALL, COUNTED_ACTIVITIES, SCORE_BANDS, contacts_partition, deals_partition, part
from crm.dashboards.periods import Periods, instant_of

Days = list[tuple[str, dict[str, int]]]
Totals = dict[str, int]
# The lifecycle stages in the order a person moves through them; `other` stands outside the funnel.
LADDER = ("subscriber", "lead", "mql", "sql", "opportunity", "customer")


@dataclass(frozen=True)
class Filters:
    owner: str | None = None
    source: str | None = None
    pipeline: str = "default"


def by_period(days: Days, periods: Periods) -> list[Totals]:
    """Each period's totals per metric and dimensions: the day items' quarter hours that fall in it."""
    totals: list[Totals] = [defaultdict(int) for _ in periods.labels]
    for day, counters in days:
        for name, amount in counters.items():
            metric, _, quarter = name.rpartition("|")
            if not quarter.isdigit():
                continue
            index = periods.index(instant_of(day, int(quarter)))
            if index is not None:
                totals[index][metric] += amount
    return [dict(t) for t in totals]


def _sum(totals: Iterable[Totals]) -> Totals:
    whole: Totals = defaultdict(int)
    for period in totals:
        for name, amount in period.items():
            whole[name] += amount
    return dict(whole)


def _ratio(part_: int, whole: int) -> float | None:
    return round(part_ / whole, 4) if whole else None


def _dimensions(totals: Totals, metric: str) -> dict[str, int]:
    """`metric|a|b` totals as {`a|b`: amount}."""
    prefix = f"{metric}|"
    return {name[len(prefix):]: amount for name, amount in totals.items() if name.startswith(prefix)}


def _per_period(periods: Periods, totals: list[Totals], shape: Callable[[Totals], dict[str, Any]]) -> dict[str, Any]:
    shaped = [{"period": label, **shape(period)} for label, period in zip(periods.labels, totals, strict=True)]
    return {"periods": shaped, "total": shape(_sum(totals))}


def funnel(periods: Periods, days: Days) -> dict[str, Any]:
    """Contacts created in each period by the stage they are in, how many reached each stage of the funnel,
    the conversion from each stage to the next, and the contacts who qualified (MQLs) in the period."""
    def shape(totals: Totals) -> dict[str, Any]:
        stages = _dimensions(totals, "c")
        reached = {stage: sum(stages.get(later, 0) for later in LADDER[i:]) for i, stage in enumerate(LADDER)}
        return {"created": sum(stages.values()), "stages": stages, "reached": reached,
                "conversion": {f"{a}_to_{b}": _ratio(reached[b], reached[a]) for a, b in pairwise(LADDER)},
                "new_mqls": totals.get("m", 0)}
    return _per_period(periods, by_period(days, periods), shape)


def leads(periods: Periods, days: Days) -> dict[str, Any]:
    """Contacts created in each period by source (utm_source, else how they came) and campaign, and how
    many of them are customers now."""
    def shape(totals: Totals) -> dict[str, Any]:
        customers = _dimensions(totals, "w")
        rows = []
        for key, count in sorted(_dimensions(totals, "l").items(), key=lambda kv: (-kv[1], kv[0])):
            source, _, campaign = key.partition("|")
            won = customers.get(key, 0)
            rows.append({"source": source, "campaign": campaign, "leads": count, "customers": won,
                         "conversion": _ratio(won, count)})
        return {"sources": rows}
    return _per_period(periods, by_period(days, periods), shape)


def scores(now: Totals) -> dict[str, Any]:
    """Contacts now by score band (0-9 is `0` … 100 and above is `100`, `-` not scored) and by stage."""
    bands = _dimensions(now, "g")
    order = [str(b) for b in range(0, 101, SCORE_BANDS)] + ["-"]
    return {"contacts": sum(bands.values()),
            "score_bands": [{"band": band, "contacts": bands[band]} for band in order if bands.get(band)],
            "stages": _dimensions(now, "s")}


def _by_currency(values: dict[str, int]) -> dict[str, int]:
    return {currency: amount for currency, amount in sorted(values.items()) if amount}


def pipeline(now: Totals, periods: Periods) -> dict[str, Any]:
    """Open deals and their value by stage, the weighted forecast by expected close month (months the
    periods cover), and the average time deals spent in each stage they left."""
    open_value: dict[str, dict[str, int]] = defaultdict(dict)
    for key, amount in _dimensions(now, "ov").items():
        stage, _, currency = key.partition("|")
        open_value[stage][currency] = amount
    seconds, exits = _dimensions(now, "ts"), _dimensions(now, "tx")
    stages = sorted(set(_dimensions(now, "on")) | set(exits))
    first, last = periods.bounds[0].date().isoformat()[:7], periods.bounds[-1].date().isoformat()[:7]
    forecast: dict[str, dict[str, int]] = defaultdict(dict)
    for key, amount in _dimensions(now, "fv").items():
        month, _, currency = key.partition("|")
        forecast[month][currency] = amount
    months = sorted(m for m in _dimensions(now, "fn") if first <= m <= last)
    return {
        "stages": [{"stage": stage, "open_deals": now.get(f"on|{stage}", 0),
                    "open_value": _by_currency(open_value.get(stage, {})),
                    "deals_left": exits.get(stage, 0),
                    "average_days_in_stage": round(seconds.get(stage, 0) / exits[stage] / 86400, 2)
                    if exits.get(stage) else None} for stage in stages],
        "forecast": [{"month": month, "deals": now.get(f"fn|{month}", 0),
                      "weighted_value": _by_currency(forecast.get(month, {}))} for month in months]}


def closed_deals(periods: Periods, days: Days) -> dict[str, Any]:
    """Deals won and lost in each period, the win rate, the value won and the average sales cycle (days
    from a won deal's creation to its close)."""
    def shape(totals: Totals) -> dict[str, Any]:
        won, lost = totals.get("wn", 0), totals.get("ln", 0)
        return {"won": won, "lost": lost, "win_rate": _ratio(won, won + lost),
                "won_value": _by_currency(_dimensions(totals, "wv")),
                "average_sales_cycle_days": round(totals.get("cy", 0) / won / 86400, 2) if won else None}
    return _per_period(periods, by_period(days, periods), shape)


ACTIVITY_COLUMNS = (*COUNTED_ACTIVITIES, "email")


def activity(periods: Periods, days: Days, owner: str | None) -> dict[str, Any]:
    """Per rep in each period: calls and meetings held (by when they were due), tasks done, emails routed
    to them."""
    def shape(totals: Totals) -> dict[str, Any]:
        reps: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ACTIVITY_COLUMNS, 0))
        for column in ACTIVITY_COLUMNS:
            for rep, count in _dimensions(totals, column).items():
                if owner is None or rep == part(owner):
                    reps[rep][column] += count
        return {"reps": [{"owner": rep, **counts} for rep, counts in sorted(reps.items())]}
    return _per_period(periods, by_period(days, periods), shape)


def revenue(periods: Periods, days: Days) -> dict[str, Any]:
    """Payments succeeded and refunds made in each period, per currency, in minor units, and what is left."""
    def shape(totals: Totals) -> dict[str, Any]:
        paid, refunded = _dimensions(totals, "p"), _dimensions(totals, "r")
        count, refunds = _dimensions(totals, "pn"), _dimensions(totals, "rn")
        return {"currencies": [{"currency": currency, "payments": count.get(currency, 0),
                                "paid_minor": paid.get(currency, 0), "refunds": refunds.get(currency, 0),
                                "refunded_minor": refunded.get(currency, 0),
                                "net_minor": paid.get(currency, 0) - refunded.get(currency, 0)}
                               for currency in sorted(set(paid) | set(refunded) | set(count) | set(refunds))]}
    return _per_period(periods, by_period(days, periods), shape)


def contacts_filter(filters: Filters) -> str:
    return contacts_partition(part(filters.owner) if filters.owner else ALL,
                              part(filters.source) if filters.source else ALL)


def deals_filter(filters: Filters) -> str:
    return deals_partition(part(filters.owner) if filters.owner else ALL, part(filters.pipeline))
