"""What one record counts for on the dashboards, as a pure function of its newest image.

A record's contribution is derived from its image alone (a deal carries its time in each stage, a contact
when it qualified), so the counters are the sum of every record's newest contribution, whatever order and
however often the stream delivers images. The store keeps each record's last contribution and adds only
the difference.

Counter items: `DASH#<family>#<filter>…` partitions, `D#<UTC day>` items holding `<metric>|<dims>|<quarter
hour>` attributes, and a `NOW` item holding what is true now (`<metric>|<dims>`). The filters a widget
offers (owner, source, pipeline) are partitions of their own, each with an all (`*`) rollup, so a widget is
one read whatever it filters on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from crm.dashboards.periods import bucket_of
from crm.platform.clock import seconds_between

ALL = "*"
NONE = "-"
NOW = "NOW"
# Separators of counter keys and attribute names; a value holding one has it replaced.
_RESERVED = str.maketrans({"|": "/", "#": "/"})
_MAX_PART = 100

Cell = tuple[str, str]
Cells = dict[Cell, dict[str, int]]


@dataclass(frozen=True)
class Counted:
    """A record's contribution, and the order of the image it was computed from (newer compares greater)."""

    order: tuple[Any, ...]
    cells: Cells


def part(value: Any) -> str:
    """A dimension's value as it may appear in a key or an attribute name."""
    text = "" if value is None else str(value)
    return text.translate(_RESERVED)[:_MAX_PART] or NONE


def day_key(day: str) -> str:
    return f"D#{day}"


def contacts_partition(owner: str, source: str) -> str:
    return f"DASH#contacts#{owner}#{source}"


def deals_partition(owner: str, pipeline: str) -> str:
    return f"DASH#deals#{owner}#{pipeline}"


ACTIVITIES_PARTITION = "DASH#activities"
REVENUE_PARTITION = "DASH#revenue"


class _Tally:
    def __init__(self) -> None:
        self.cells: Cells = defaultdict(dict)

    def add(self, partitions: list[str], sk: str, attribute: str, amount: int) -> None:
        for pk in partitions:
            cell = self.cells[(pk, sk)]
            cell[attribute] = cell.get(attribute, 0) + amount

    def at(self, partitions: list[str], at: Any, metric: str, amount: int = 1) -> None:
        """Adds to the quarter hour of `at`; a record without that time counts for nothing here."""
        bucket = bucket_of(at) if isinstance(at, str) else None
        if bucket is not None:
            day, quarter = bucket
            self.add(partitions, day_key(day), f"{metric}|{quarter}", amount)

    def done(self) -> Cells:
        return {cell: dict(values) for cell, values in self.cells.items()}


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | Decimal | float) else 0


def _order(image: Mapping[str, Any], *names: str) -> tuple[Any, ...]:
    return (*(_int(image.get(name)) for name in names), str(image.get("updated_at") or ""))


SCORE_BANDS = 10


def score_band(score: Any) -> str:
    """Scores in bands of ten: 0, 10 … 90, and 100 for 100 and above; `-` for not scored."""
    if not isinstance(score, int | Decimal | float):
        return NONE
    return str(min(max(int(score) // SCORE_BANDS * SCORE_BANDS, 0), 100))


def contact(image: Mapping[str, Any]) -> Counted:
    """A person counts where they came from, the stage they are in and when they qualified; one merged
    away or erased no longer counts (the winner does, and an erased person is gone from the CRM)."""
    # Version and score revision only grow, and every write grows one of them.
    order = _order(image, "version", "score_rev")
    tally = _Tally()
    if image.get("merged_into") or image.get("erased_at"):
        return Counted(order, {})
    owner, source = part(image.get("owner")), part(image.get("source"))
    partitions = [contacts_partition(o, s) for o in (owner, ALL) for s in (source, ALL)]
    stage = part(image.get("lifecycle_stage") or "lead")
    touch = image.get("first_touch") or {}
    lead_source = part(touch.get("utm_source") or image.get("source"))
    campaign = part(touch.get("utm_campaign"))
    created = image.get("created_at")
    tally.at(partitions, created, f"c|{stage}")
    tally.at(partitions, created, f"l|{lead_source}|{campaign}")
    if stage == "customer":
        tally.at(partitions, created, f"w|{lead_source}|{campaign}")
    if image.get("qualified"):
        tally.at(partitions, image.get("qualified_at"), "m")
    tally.add(partitions, NOW, f"s|{stage}", 1)
    tally.add(partitions, NOW, f"g|{score_band(image.get('score'))}", 1)
    return Counted(order, tally.done())


def deal(image: Mapping[str, Any]) -> Counted:
    """An open deal counts its value in its stage and, weighted by its probability, in its expected close
    month; a closed one counts as won or lost when it closed; every deal counts the time it spent in each
    stage it left."""
    tally = _Tally()
    pipeline = part(image.get("pipeline_id") or "default")
    partitions = [deals_partition(o, pipeline) for o in (part(image.get("owner")), ALL)]
    stage, currency, amount = part(image.get("stage")), part(image.get("currency")), _int(image.get("amount_minor"))
    status = image.get("status") or "open"
    if status == "open":
        tally.add(partitions, NOW, f"on|{stage}", 1)
        tally.add(partitions, NOW, f"ov|{stage}|{currency}", amount)
        closing = str(image.get("expected_close_date") or "")[:7]
        if closing:
            weighted = int((Decimal(amount) * Decimal(image.get("probability") or 0) / 100).to_integral_value())
            tally.add(partitions, NOW, f"fn|{closing}", 1)
            tally.add(partitions, NOW, f"fv|{closing}|{currency}", weighted)
    for left, seconds in (image.get("stage_seconds") or {}).items():
        tally.add(partitions, NOW, f"ts|{part(left)}", _int(seconds))
    for left, exits in (image.get("stage_exits") or {}).items():
        tally.add(partitions, NOW, f"tx|{part(left)}", _int(exits))
    closed_at = image.get("closed_at")
    if status == "won":
        tally.at(partitions, closed_at, "wn")
        tally.at(partitions, closed_at, f"wv|{currency}", amount)
        tally.at(partitions, closed_at, "cy", seconds_between(image.get("created_at"), closed_at) or 0)
    elif status == "lost":
        tally.at(partitions, closed_at, "ln")
    return Counted(_order(image, "version"), tally.done())


COUNTED_ACTIVITIES = ("call", "meeting", "task")


def activity(image: Mapping[str, Any]) -> Counted:
    """A call or meeting counts when it is due (or was logged); a task when it was done; notes do not."""
    tally = _Tally()
    kind = image.get("activity_type")
    at = (image.get("done_at") if image.get("done") else None) if kind == "task" \
        else image.get("due_at") or image.get("created_at")
    if kind in COUNTED_ACTIVITIES:
        tally.at([ACTIVITIES_PARTITION], at, f"{kind}|{part(image.get('owner'))}")
    return Counted(_order(image, "version"), tally.done())


def email(image: Mapping[str, Any]) -> Counted:
    """A received email counts for the rep its mailbox routed it to (`-` when it went to a queue)."""
    tally = _Tally()
    owner = (image.get("routed_to") or {}).get("owner")
    tally.at([ACTIVITIES_PARTITION], image.get("received_at"), f"email|{part(owner)}")
    return Counted((0,), tally.done())


def payment(image: Mapping[str, Any]) -> Counted:
    """A payment counts when it succeeded, in its currency (a failed one does not)."""
    tally = _Tally()
    succeeded_at, currency = image.get("succeeded_at"), part(image.get("currency"))
    if succeeded_at:
        tally.at([REVENUE_PARTITION], succeeded_at, f"p|{currency}", _int(image.get("amount_minor")))
        tally.at([REVENUE_PARTITION], succeeded_at, f"pn|{currency}")
    # A payment's image only ever gains its outcome: succeeded after failed is newer, never the reverse.
    return Counted((1 if succeeded_at else 0, str(succeeded_at or ""), str(image.get("failed_at") or "")),
                   tally.done())


def refund(image: Mapping[str, Any]) -> Counted:
    tally = _Tally()
    currency, at = part(image.get("currency")), image.get("refunded_at")
    tally.at([REVENUE_PARTITION], at, f"r|{currency}", _int(image.get("amount_minor")))
    tally.at([REVENUE_PARTITION], at, f"rn|{currency}")
    return Counted((0,), tally.done())


def counted(pk: str, sk: str, image: Mapping[str, Any]) -> Counted | None:
    """The contribution of the record under these keys, or None for a record the dashboards do not count."""
    prefix = pk.partition("#")[0]
    if sk == "PROFILE":
        rule = {"CONTACT": contact, "DEAL": deal, "ACTIVITY": activity}.get(prefix)
        return rule(image) if rule else None
    if prefix == "PAYMENT":
        return payment(image) if sk == "PAYMENT" else refund(image) if sk.startswith("REFUND#") else None
    if prefix == "EMAIL" and sk == "EMAIL":
        return email(image)
    return None


def difference(old: Cells, new: Cells) -> Cells:
    """What to add to the counters to go from one contribution to the other; nothing for what is equal."""
    change: Cells = {}
    for cell in sorted(set(old) | set(new)):
        before, after = old.get(cell, {}), new.get(cell, {})
        amounts = {name: after.get(name, 0) - before.get(name, 0) for name in sorted(set(before) | set(after))}
        amounts = {name: amount for name, amount in amounts.items() if amount}
        if amounts:
            change[cell] = amounts
    return change
