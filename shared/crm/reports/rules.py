"""Saved reports' pure rules: what a definition may say, and a run's table made in one pass over the records
the API's list served (groups, measures, subtotals under two group-bys, totals over every record).

The totals are counted from the records themselves, never from the groups' figures: an average of averages,
or a sum of rounded group sums, is how grouped reports elsewhere show wrong totals.

Which fields a kind of record may be grouped or measured by (`Fields`) is derived from its spec by
crm.reports.fields; here a field is only a name in the API's items and how its values are grouped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from crm.dashboards.periods import GRAINS, PeriodError, label, zone

ENTITIES = ("contacts", "companies", "deals", "activities")
FUNCTIONS = ("count", "sum", "avg", "min", "max")
MAX_GROUP_BYS = 2
MAX_MEASURES = 10
# A run that would make more groups than this is refused: a table nobody reads, and a request's memory.
MAX_GROUPS = 5_000
CUSTOM_PREFIX = "custom."
# Kinds of grouping: a value as it is, a calendar date, a moment read in the report's time zone.
CATEGORY, DATE, MOMENT = "category", "date", "moment"
_AVERAGE_PLACES = Decimal("0.0001")
Cell = str | int | float | bool | None


class TooManyGroups(ValueError):
    """The run made more groups than MAX_GROUPS; the text says so."""


@dataclass(frozen=True)
class Dimension:
    """How a groupable field's values become groups: `kind`, and a choice's options in their declared order
    (the order its groups are shown in)."""

    kind: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fields:
    """What one kind of record can be reported by, by the names its API items show (custom fields as
    custom.<key>): the fields it may be grouped by, the numeric ones, and every field it has at all."""

    groupable: Mapping[str, Dimension]
    numeric: frozenset[str]
    known: frozenset[str]


@dataclass(frozen=True)
class GroupBy:
    field: str
    grain: str | None = None

    @property
    def column(self) -> str:
        return f"{self.field}:{self.grain}" if self.grain else self.field


@dataclass(frozen=True)
class Measure:
    fn: str
    field: str | None = None

    @property
    def column(self) -> str:
        return "count" if self.fn == "count" else f"{self.fn}({self.field})"


@dataclass(frozen=True)
class Definition:
    """What a report reads (an entity's list with its filters, as the list route's query string) and how it
    sums it up."""

    entity: str
    filters: str
    group_by: tuple[GroupBy, ...]
    measures: tuple[Measure, ...]
    time_zone: str = "UTC"

    @property
    def list_path(self) -> str:
        """The GET of the list the report reads, under /v1."""
        return f"/v1/{self.entity}" + (f"?{self.filters}" if self.filters else "")

    @property
    def columns(self) -> list[str]:
        return [g.column for g in self.group_by] + [m.column for m in self.measures]


def definition_problems(definition: Definition, fields: Fields) -> dict[str, str]:
    """Everything wrong with a definition, by where it is in the body ("group_by.1.field"); empty when it
    can run. An unknown field, a free-text or id field to group by, a grain on a field that is no date (or
    none on one that is), a measure of a field that is no number."""
    problems: dict[str, str] = {}
    if definition.entity not in ENTITIES:
        problems["entity"] = f"One of {', '.join(ENTITIES)}."
    try:
        zone(definition.time_zone)
    except PeriodError as exc:
        problems["time_zone"] = str(exc)
    if len(definition.group_by) > MAX_GROUP_BYS:
        problems["group_by"] = f"At most {MAX_GROUP_BYS} group-bys."
    for index, group in enumerate(definition.group_by):
        problem = _group_problem(group, fields)
        if problem:
            where, message = problem
            problems[f"group_by.{index}.{where}"] = message
    if len({(g.field, g.grain) for g in definition.group_by}) < len(definition.group_by):
        problems.setdefault("group_by", "The same grouping twice.")
    if not definition.measures or len(definition.measures) > MAX_MEASURES:
        problems["measures"] = f"1 to {MAX_MEASURES} measures."
    for index, measure in enumerate(definition.measures):
        wrong = _measure_problem(measure, fields)
        if wrong:
            problems[f"measures.{index}"] = wrong
    if len({m.column for m in definition.measures}) < len(definition.measures):
        problems.setdefault("measures", "The same measure twice.")
    return problems


def _group_problem(group: GroupBy, fields: Fields) -> tuple[str, str] | None:
    """Where in the group-by the problem is (its field or its grain), and what it is."""
    dimension = fields.groupable.get(group.field)
    if dimension is None:
        if group.field not in fields.known:
            return "field", f"{group.field} is not a field of these records."
        return "field", (f"{group.field} cannot be grouped by: it is free text, an id or a number. Group by a "
                         f"choice, an owner, a source, a date or a picklist: {', '.join(sorted(fields.groupable))}.")
    if dimension.kind == CATEGORY and group.grain is not None:
        return "grain", f"{group.field} is not a date: leave out its grain."
    if dimension.kind != CATEGORY and group.grain not in GRAINS:
        return "grain", f"A date is grouped by a grain: one of {', '.join(GRAINS)}."
    return None


def _measure_problem(measure: Measure, fields: Fields) -> str | None:
    if measure.fn not in FUNCTIONS:
        return f"One of {', '.join(FUNCTIONS)}."
    if measure.fn == "count":
        return "count counts records: leave out its field." if measure.field is not None else None
    if measure.field is None:
        return f"{measure.fn} needs a numeric field."
    if measure.field not in fields.numeric:
        if measure.field not in fields.known:
            return f"{measure.field} is not a field of these records."
        return (f"{measure.field} is not a number. Numeric fields: "
                f"{', '.join(sorted(fields.numeric)) or 'none'}.")
    return None


def value_of(item: Mapping[str, Any], name: str) -> Any:
    """A field's value in an API item; a custom field's under custom_fields."""
    if name.startswith(CUSTOM_PREFIX):
        custom = item.get("custom_fields")
        return custom.get(name.removeprefix(CUSTOM_PREFIX)) if isinstance(custom, Mapping) else None
    return item.get(name)


def _number(value: Any) -> Decimal | None:
    """A JSON number as an exact decimal; anything else (text, a flag, null) is no number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _plain(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


@dataclass
class Figures:
    """The measures of one group, or of the totals, added to one record at a time: the count, and for each
    numeric field its sum (exact), how many records had a value, and the least and greatest."""

    count: int = 0
    sums: dict[str, Decimal] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)
    least: dict[str, Decimal] = field(default_factory=dict)
    greatest: dict[str, Decimal] = field(default_factory=dict)

    def add(self, numbers: Mapping[str, Decimal]) -> None:
        self.count += 1
        for name, number in numbers.items():
            self.sums[name] = self.sums.get(name, Decimal(0)) + number
            self.counted[name] = self.counted.get(name, 0) + 1
            self.least[name] = min(self.least.get(name, number), number)
            self.greatest[name] = max(self.greatest.get(name, number), number)

    def value(self, measure: Measure) -> Cell:
        """count; sum (0 when no record had a value); avg, min and max (null when none had)."""
        if measure.fn == "count":
            return self.count
        name = str(measure.field)
        if measure.fn == "sum":
            return _plain(self.sums.get(name, Decimal(0)))
        if name not in self.counted:
            return None
        if measure.fn == "avg":
            return _plain((self.sums[name] / self.counted[name]).quantize(_AVERAGE_PLACES))
        return _plain(self.least[name] if measure.fn == "min" else self.greatest[name])


@dataclass(frozen=True)
class Table:
    """A run's answer: its columns (the group-bys', then the measures'), a row per group in the groups'
    order, under two group-bys a subtotal row per first group (second group null), and the totals over
    every record read (group cells null)."""

    columns: list[str]
    group_columns: int
    rows: list[list[Cell]]
    subtotals: list[list[Cell]]
    totals: list[Cell]
    records: int

    def as_dict(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": self.rows, "subtotals": self.subtotals, "totals": self.totals,
                "records": self.records}


class Aggregation:
    """A definition's table, built record by record in one pass."""

    def __init__(self, definition: Definition, fields: Fields, max_groups: int | None = None) -> None:
        self._definition = definition
        self._dimensions = [fields.groupable[g.field] for g in definition.group_by]
        self._numeric = sorted({str(m.field) for m in definition.measures if m.fn != "count"})
        self._zone = ZoneInfo(definition.time_zone)
        self._max_groups = MAX_GROUPS if max_groups is None else max_groups
        self._groups: dict[tuple[Cell, ...], Figures] = {}
        self._subtotals: dict[Cell, Figures] = {}
        self._totals = Figures()

    def add(self, item: Mapping[str, Any]) -> None:
        key = tuple(self._group_of(group, dimension, item)
                    for group, dimension in zip(self._definition.group_by, self._dimensions, strict=True))
        numbers = {name: number for name in self._numeric if (number := _number(value_of(item, name))) is not None}
        figures = self._groups.get(key)
        if figures is None:
            if len(self._groups) >= self._max_groups:
                raise TooManyGroups(f"The report makes more than {self._max_groups:,} groups. Group by fewer values "
                                    "(a coarser grain, a field with fewer values) or narrow its filters.")
            figures = self._groups[key] = Figures()
        figures.add(numbers)
        if len(key) > 1:
            self._subtotals.setdefault(key[0], Figures()).add(numbers)
        self._totals.add(numbers)

    def add_all(self, items: Iterable[Mapping[str, Any]]) -> None:
        for item in items:
            self.add(item)

    def _group_of(self, group: GroupBy, dimension: Dimension, item: Mapping[str, Any]) -> Cell:
        value = value_of(item, group.field)
        if dimension.kind == CATEGORY:
            return value if isinstance(value, str | bool | int | float) else None
        day = _day_of(value, self._zone if dimension.kind == MOMENT else None)
        return label(day, str(group.grain)) if day is not None else None

    def table(self) -> Table:
        measures = self._definition.measures
        order = [self._sort_key(index) for index in range(len(self._dimensions))]

        def sorted_by(key: tuple[Cell, ...]) -> tuple[Any, ...]:
            return tuple(order[index](value) for index, value in enumerate(key))

        rows = [[*key, *(figures.value(m) for m in measures)]
                for key, figures in sorted(self._groups.items(), key=lambda pair: sorted_by(pair[0]))]
        subtotals = [[first, None, *(figures.value(m) for m in measures)]
                     for first, figures in sorted(self._subtotals.items(), key=lambda pair: order[0](pair[0]))]
        totals = [*(None for _ in self._dimensions), *(self._totals.value(m) for m in measures)]
        return Table(self._definition.columns, len(self._dimensions), rows, subtotals, totals, self._totals.count)

    def _sort_key(self, index: int) -> Any:
        options = self._dimensions[index].options

        def key(value: Cell) -> tuple[bool, int, str]:
            place = options.index(value) if isinstance(value, str) and value in options else len(options)
            return value is None, place, str(value).casefold()

        return key


def _day_of(value: Any, where: ZoneInfo | None) -> date | None:
    """The calendar day of a date, or of a moment in `where` (a moment without an offset is UTC)."""
    if not isinstance(value, str):
        return None
    try:
        if where is None:
            return date.fromisoformat(value[:10])
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return moment.astimezone(where).date()


# Schedules ---------------------------------------------------------------------------------------------------

FORMATS = ("csv", "xlsx")
MAX_RECIPIENTS = 20
_RATE = re.compile(r"rate\((\d{1,4}) (hour|hours|day|days)\)")
_AT = re.compile(r"at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)")
_CRON = re.compile(r"cron\(([^()]{1,200})\)")
_CRON_FIELD = re.compile(r"[0-9A-Za-z*?,/#L W-]{1,60}")


@dataclass(frozen=True)
class Schedule:
    """When a report is emailed (an EventBridge Scheduler expression, read in `time_zone`), to whom, as what."""

    expression: str
    time_zone: str
    recipients: tuple[str, ...]
    format: str

    def as_dict(self) -> dict[str, Any]:
        return {"expression": self.expression, "time_zone": self.time_zone, "recipients": list(self.recipients),
                "format": self.format}


def schedule_problems(schedule: Schedule) -> dict[str, str]:
    """What EventBridge Scheduler would refuse, or what would mail more than once an hour: a rate of hours or
    days, a cron whose minutes field is one minute (and whose day of month or day of week is `?`), or one
    time with at()."""
    problems: dict[str, str] = {}
    expression = schedule.expression.strip()
    problem = _expression_problem(expression)
    if problem:
        problems["expression"] = problem
    try:
        zone(schedule.time_zone)
    except PeriodError as exc:
        problems["time_zone"] = str(exc)
    if not 1 <= len(schedule.recipients) <= MAX_RECIPIENTS:
        problems["recipients"] = f"1 to {MAX_RECIPIENTS} addresses."
    if schedule.format not in FORMATS:
        problems["format"] = f"One of {', '.join(FORMATS)}."
    return problems


def _expression_problem(expression: str) -> str | None:
    rate, at, cron = _RATE.fullmatch(expression), _AT.fullmatch(expression), _CRON.fullmatch(expression)
    if rate:
        return None if int(rate.group(1)) >= 1 else "A rate of at least 1 hour."
    if at:
        try:
            datetime.fromisoformat(at.group(1))
        except ValueError:
            return "at() names a time such as at(2026-12-07T08:00:00)."
        return None
    if cron:
        fields = cron.group(1).split(" ")
        if len(fields) != 6 or not all(_CRON_FIELD.fullmatch(f) for f in fields):
            return "cron() has six fields: minutes hours day-of-month month day-of-week year."
        if not fields[0].isdigit() or int(fields[0]) > 59:
            return "A report is emailed at most once an hour: the minutes field is one minute, such as 0."
        if "?" not in (fields[2], fields[4]):
            return "Either the day of month or the day of week is ?, such as cron(0 8 ? * MON *)."
        return None
    return ("rate(N hours) or rate(N days), cron(minutes hours day-of-month month day-of-week year), or "
            "at(yyyy-mm-ddThh:mm:ss).")
