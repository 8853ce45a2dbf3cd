"""Periods in the caller's time zone over counters kept in UTC quarter hours.

Counters are bucketed by UTC day and quarter hour: every zone's offset is a whole number of quarter hours
(Tehran +03:30, Kathmandu +05:45), so a local day, week, month, quarter or year is an exact run of
buckets, and two viewers who name the same zone see the same numbers."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

GRAINS = ("day", "week", "month", "quarter", "year")
QUARTERS_PER_DAY = 96
# A widget answers at most this many periods: ten years by month, three by day.
MAX_PERIODS = 1200
MIN_YEAR, MAX_YEAR = 1970, 2200


class PeriodError(ValueError):
    """A period the caller asked for that cannot be answered; its text says why."""


def bucket_of(at: str) -> tuple[str, int] | None:
    """The UTC day and quarter hour of an ISO timestamp (naive means UTC); None when it is not one."""
    try:
        moment = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.date().isoformat(), (moment.hour * 60 + moment.minute) // 15


def instant_of(day: str, quarter: int) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(minutes=15 * quarter)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PeriodError(f"{name!r} is not an IANA time zone such as Asia/Tehran or Europe/Moscow.") from exc


def _start_of(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if grain == "year":
        return day.replace(month=1, day=1)
    return day


def _after(start: date, grain: str) -> date:
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    month = start.month - 1 + months
    return start.replace(year=start.year + month // 12, month=month % 12 + 1, day=1)


def label(start: date, grain: str) -> str:
    """How a period is named: 2026-12-04, 2026-W49, 2026-12, 2026-Q4, 2026."""
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{start:%Y-%m}"
    if grain == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if grain == "year":
        return str(start.year)
    return start.isoformat()


@dataclass(frozen=True)
class Periods:
    """The periods of a grain covering the local days `first`..`last` in `tz`, as UTC instants."""

    grain: str
    tz: str
    labels: tuple[str, ...]
    # The start of every period and, last, the end of the final one.
    bounds: tuple[datetime, ...]

    @classmethod
    def of(cls, first: date, last: date, grain: str, tz: str) -> Periods:
        if grain not in GRAINS:
            raise PeriodError(f"grain must be one of {', '.join(GRAINS)}.")
        if last < first:
            raise PeriodError("`to` must not be before `from`.")
        if first.year < MIN_YEAR or last.year > MAX_YEAR:
            raise PeriodError(f"Periods lie between {MIN_YEAR} and {MAX_YEAR}.")
        where = zone(tz)
        starts = list(_starts(_start_of(first, grain), last, grain))
        if len(starts) > MAX_PERIODS:
            raise PeriodError(f"That is {len(starts)} periods; ask for at most {MAX_PERIODS} (a coarser grain).")
        ends = [*starts, _after(starts[-1], grain)]
        bounds = tuple(datetime(d.year, d.month, d.day, tzinfo=where).astimezone(UTC) for d in ends)
        return cls(grain, tz, tuple(label(s, grain) for s in starts), bounds)

    def index(self, moment: datetime) -> int | None:
        """The period a UTC instant falls in, or None outside them all."""
        if not self.bounds[0] <= moment < self.bounds[-1]:
            return None
        return bisect.bisect_right(self.bounds, moment) - 1

    def utc_days(self) -> tuple[str, str]:
        """The first and last UTC day whose buckets may fall in the periods."""
        return self.bounds[0].date().isoformat(), (self.bounds[-1] - timedelta(microseconds=1)).date().isoformat()


def _starts(start: date, last: date, grain: str) -> Iterator[date]:
    count = 0
    while start <= last and count <= MAX_PERIODS:
        yield start
        start, count = _after(start, grain), count + 1
