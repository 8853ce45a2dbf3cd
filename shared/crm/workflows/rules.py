"""What a workflow decides without reading or writing anything: whether a definition holds together, whether
a condition holds for a record, where a branch goes, and until when a wait waits."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from crm.workflows.definition import (
    END,
    BranchStep,
    Condition,
    CreateTaskStep,
    Duration,
    WaitStep,
    WebhookStep,
    WorkflowFields,
)

# The longest wait: a year and a day (a date field's wait may be anywhere ahead: it is bounded by the date).
MAX_WAIT_MINUTES = 366 * 1440
# Read from the record's timeline, not a field: when an activity was last logged or a payment last made.
LAST_ACTIVITY = "last_activity_at"
LISTED = frozenset({"in", "not_in"})
DAYS = frozenset({"older_than_days", "within_days"})
PRESENCE = frozenset({"exists", "missing"})
ORDERED = frozenset({"gt", "gte", "lt", "lte"})


def known_field(name: str, contact_fields: Iterable[str]) -> bool:
    """A contact field, one of its custom fields, the last activity's time, or a key of the event."""
    head, _, rest = name.partition(".")
    if head in ("custom", "event"):
        return bool(rest) and len(rest) <= 64
    return name == LAST_ACTIVITY or name in contact_fields


def condition_problem(condition: Condition, contact_fields: Iterable[str]) -> str | None:
    if not known_field(condition.field, contact_fields):
        return f"Unknown field {condition.field!r}: a contact field, custom.<name>, event.<key> or {LAST_ACTIVITY}."
    value, op = condition.value, condition.op
    if op in LISTED and not isinstance(value, list):
        return f"{op} compares with a list of values."
    if op not in LISTED and isinstance(value, list):
        return f"{op} compares with one value, not a list."
    if op in DAYS and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3660):
        return f"{op} takes a number of days from 0 to 3660."
    if op in PRESENCE and value is not None:
        return f"{op} takes no value."
    if op in ORDERED and (value is None or isinstance(value, bool)):
        return f"{op} compares with a number, a date or a text."
    return None


def _conditions_problems(where: str, conditions: Sequence[Condition], contact_fields: frozenset[str]) -> dict[str, str]:
    problems: dict[str, str] = {}
    for index, condition in enumerate(conditions):
        problem = condition_problem(condition, contact_fields)
        if problem:
            problems[f"{where}.{index}"] = problem
    return problems


def _wait_problem(step: WaitStep, contact_fields: frozenset[str]) -> str | None:
    if (step.duration is None) == (step.until is None):
        return "A wait has either a duration or until (a date field), not both."
    if step.duration is not None and not 0 < step.duration.minutes_total() <= MAX_WAIT_MINUTES:
        return "A wait's duration is more than nothing and at most 366 days."
    if step.until is not None and not known_field(step.until.field, contact_fields):
        return f"Unknown field {step.until.field!r}."
    if step.until is not None and abs(step.until.offset.minutes_total()) > MAX_WAIT_MINUTES:
        return "An offset is at most 366 days either way."
    return None


def webhook_problem(url: str) -> str | None:
    """http(s) with a host, and no credentials in it (they would be sent to wherever it redirects, and shown)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Not a URL."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "An http:// or https:// URL with a host."
    if parts.username or parts.password:
        return "Put no credentials in the URL; the body is signed instead."
    if port == 0 or any(ch.isspace() for ch in url):
        return "Not a URL."
    return None


def _step_problem(step: Any, index: int, ids: Sequence[str], contact_fields: frozenset[str]) -> dict[str, str]:
    where = f"steps.{index}"
    problems: dict[str, str] = {}
    if isinstance(step, WaitStep):
        problem = _wait_problem(step, contact_fields)
        if problem:
            problems[where] = problem
    elif isinstance(step, BranchStep):
        problems |= _conditions_problems(f"{where}.conditions", step.conditions, contact_fields)
        for name, target in (("then", step.then), ("else", step.else_)):
            if target is not None and target != END and target not in ids[index + 1:]:
                problems[f"{where}.{name}"] = f"{target!r} is not a step after this one (or {END!r})."
    elif isinstance(step, CreateTaskStep) and not 0 <= step.due_in.minutes_total() <= MAX_WAIT_MINUTES:
        problems[f"{where}.due_in"] = "Due from now to 366 days ahead."
    elif isinstance(step, WebhookStep):
        problem = webhook_problem(step.url)
        if problem:
            problems[f"{where}.url"] = problem
    return problems


def definition_problems(fields: WorkflowFields, contact_fields: frozenset[str]) -> dict[str, str]:
    """What is wrong across fields, by where it is (`steps.2.then`); empty when the definition holds."""
    problems: dict[str, str] = {}
    ids = [step.id for step in fields.steps]
    for index, step_id in enumerate(ids):
        if step_id == END:
            problems[f"steps.{index}.id"] = f"{END!r} names the end of a run, not a step."
        elif step_id in ids[:index]:
            problems[f"steps.{index}.id"] = f"Step id {step_id!r} is used twice."
    if len(set(fields.trigger.events)) != len(fields.trigger.events):
        problems["trigger.events"] = "Name each event type once."
    if len(set(fields.stop_on)) != len(fields.stop_on):
        problems["stop_on"] = "Name each reason once."
    problems |= _conditions_problems("trigger.conditions", fields.trigger.conditions, contact_fields)
    for index, step in enumerate(fields.steps):
        problems |= _step_problem(step, index, ids, contact_fields)
    return problems


def value_of(name: str, record: Mapping[str, Any], event: Mapping[str, Any]) -> Any:
    """A condition's field: `event.<key>` from the event's detail, `custom.<name>` from the custom fields."""
    head, _, rest = name.partition(".")
    if head == "event" and rest:
        return event.get(rest)
    if head == "custom" and rest:
        custom = record.get("custom_fields")
        return custom.get(rest) if isinstance(custom, Mapping) else None
    return record.get(name)


def moment(value: Any) -> dt.datetime | None:
    """A date or a time (ISO 8601) as an aware UTC datetime; a date is its midnight in UTC."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def _folded(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _ordered(op: str, left: Any, right: Any) -> bool:
    """Numbers with numbers, dates with dates, texts with texts; anything else does not hold."""
    if isinstance(left, bool) or isinstance(right, bool):
        return False
    if isinstance(left, int | float) and isinstance(right, int | float):
        pair: tuple[Any, Any] = (left, right)
        if any(isinstance(side, float) and not math.isfinite(side) for side in pair):
            return False
    elif moment(left) is not None and moment(right) is not None:
        pair = (moment(left), moment(right))
    elif isinstance(left, str) and isinstance(right, str):
        pair = (left.casefold(), right.casefold())
    else:
        return False
    a, b = pair
    return bool({"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op])


def holds(condition: Condition, record: Mapping[str, Any], event: Mapping[str, Any], now: dt.datetime) -> bool:
    """Whether the condition holds; texts compare case-insensitively, and a missing field holds only `missing`,
    `ne` and `not_in`."""
    actual, op, expected = value_of(condition.field, record, event), condition.op, condition.value
    present = actual not in (None, "", [], {})
    if op in PRESENCE:
        return present == (op == "exists")
    if op in DAYS:
        when = moment(actual)
        if when is None or not isinstance(expected, int):
            return op == "older_than_days" and not present  # never active counts as long ago
        return bool(when <= now - dt.timedelta(days=expected)) == (op == "older_than_days")
    if op in LISTED:
        options = [_folded(item) for item in expected] if isinstance(expected, list) else []
        return bool(_folded(actual) in options) == (op == "in")
    if op == "contains":
        if isinstance(actual, list):
            return bool(_folded(expected) in [_folded(item) for item in actual])
        return isinstance(actual, str) and isinstance(expected, str) and expected.casefold() in actual.casefold()
    if op in ORDERED:
        return present and _ordered(op, actual, expected)
    return bool(_folded(actual) == _folded(expected)) == (op == "eq")


def all_hold(conditions: Iterable[Condition], record: Mapping[str, Any], event: Mapping[str, Any],
             now: dt.datetime) -> bool:
    return all(holds(condition, record, event, now) for condition in conditions)


def needs_last_activity(conditions: Iterable[Condition]) -> bool:
    return any(condition.field == LAST_ACTIVITY for condition in conditions)


def after(step_ids: Sequence[str], step_id: str, target: str | None = None) -> str:
    """The step a run goes to from `step_id`: the target when one is named, else the next, else the end."""
    if target is not None:
        return target
    index = step_ids.index(step_id)
    return step_ids[index + 1] if index + 1 < len(step_ids) else END


def branch_target(step: BranchStep, record: Mapping[str, Any], event: Mapping[str, Any],
                  step_ids: Sequence[str], now: dt.datetime) -> tuple[bool, str]:
    taken = all_hold(step.conditions, record, event, now)
    return taken, after(step_ids, step.id, step.then if taken else step.else_)


def shifted(moment_: dt.datetime, duration: Duration) -> dt.datetime:
    return moment_ + dt.timedelta(minutes=duration.minutes_total())


def wait_until(step: WaitStep, record: Mapping[str, Any], event: Mapping[str, Any],
               now: dt.datetime) -> dt.datetime | None:
    """When the wait ends; None when it waits no time (a date already past, or a record without the date)."""
    if step.duration is not None:
        return shifted(now, step.duration)
    if step.until is None:
        return None
    when = moment(value_of(step.until.field, record, event))
    if when is None:
        return None
    end = shifted(when, step.until.offset)
    return end if end > now + dt.timedelta(minutes=1) else None


def describe(condition: Condition) -> str:
    value = "" if condition.op in PRESENCE else f" {condition.value!r}"
    return f"{condition.field} {condition.op}{value}"
