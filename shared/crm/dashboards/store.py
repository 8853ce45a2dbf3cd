"""Counters from stream records, and the counter items a widget reads.

Each counted record's stream record is applied once: the record's remembered contribution and the
counters change in one transaction, conditioned on what was remembered, so a repeated record, an older
image or two invocations racing on one record cannot count twice."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pynamodb.attributes import NumberAttribute
from pynamodb.expressions.operand import Path

from crm.dashboards.counted import NOW, Cells, counted, difference
from crm.dashboards.spec import CountedItem, CounterItem
from crm.platform.clock import epoch_seconds
from crm.records.table import get_item
from crm.records.transactions import MAX_TRANSACTION_ITEMS, LabelledTransaction

# DynamoDB streams keep records for 24 hours; after two days no late image of a removed record can come.
REMOVED_MARKER_SECONDS = 2 * 24 * 3600


def _value(typed: Mapping[str, Any]) -> Any:
    """One DynamoDB JSON value as Python (boto3's deserializer, without loading boto3 at cold start)."""
    (kind, value), = typed.items()
    if kind == "N":
        return Decimal(value)
    if kind == "M":
        return plain(value)
    if kind == "L":
        return [_value(v) for v in value]
    if kind in ("SS", "NS", "BS"):
        return {_value({kind[0]: v}) for v in value}
    return None if kind == "NULL" else value


def plain(image: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stream image (DynamoDB JSON) as Python values."""
    return {name: _value(value) for name, value in (image or {}).items()}


@dataclass(frozen=True)
class Remembered:
    order: tuple[Any, ...]
    cells: Cells
    removed: bool


def remembered(pk: str, sk: str) -> Remembered | None:
    item = get_item(CountedItem, CountedItem.key(pk, sk), consistent=True)
    if item is None:
        return None
    cells = {(cell[0], cell[1]): cell[2] for cell in json.loads(item.cells or "[]")}
    return Remembered(tuple(json.loads(item.order or "[]")), cells, bool(item.removed))


def count_record(record: Mapping[str, Any]) -> bool:
    """Brings the counters to one stream record's image; True when something was written."""
    stream = record["dynamodb"]
    pk, sk = stream["Keys"]["PK"]["S"], stream["Keys"]["SK"]["S"]
    removing = record.get("eventName") == "REMOVE"
    new = counted(pk, sk, {} if removing else plain(stream.get("NewImage")))
    if new is None:
        return False
    before = remembered(pk, sk)
    if before is not None and (before.removed or (not removing and new.order <= before.order)):
        return False
    cells = {} if removing else new.cells
    _save(pk, sk, difference(before.cells if before else {}, cells), before,
          None if removing else (new.order, cells))
    return True


def _save(pk: str, sk: str, change: Cells, before: Remembered | None,
          now: tuple[tuple[Any, ...], Cells] | None) -> None:
    transaction = LabelledTransaction()
    for (partition, counter_sk), amounts in change.items():
        transaction.update(f"counter:{partition}:{counter_sk}", CounterItem(*CounterItem.key(partition, counter_sk)),
                           [Path(NumberAttribute(attr_name=name)).add(amount) for name, amount in amounts.items()])
    key = CountedItem.key(pk, sk)
    if now is None:
        item = CountedItem(*key, removed=True, expires_at=epoch_seconds() + REMOVED_MARKER_SECONDS)
    else:
        order, cells = now
        item = CountedItem(*key, order=json.dumps(order), cells=json.dumps(
            [[cell[0], cell[1], amounts] for cell, amounts in sorted(cells.items())], separators=(",", ":")))
    condition = (CountedItem.PK.does_not_exist() if before is None
                 else CountedItem.order == json.dumps(list(before.order)))
    transaction.put("counted", item, condition)
    if len(transaction) > MAX_TRANSACTION_ITEMS:
        raise ValueError(f"a record's counters take {len(transaction)} items, more than one transaction holds")
    transaction.commit()


def _number(value: Any) -> int:
    return int(value) if isinstance(value, Decimal) else 0


def _counters(item: Mapping[str, Any]) -> dict[str, int]:
    values = plain(item)
    return {name: _number(value) for name, value in values.items() if name not in ("PK", "SK") and _number(value)}


def read_days(partition: str, first_day: str, last_day: str) -> list[tuple[str, dict[str, int]]]:
    """Every UTC day's counters of a partition from `first_day` to `last_day`, in one Query (more only
    when the days hold over a megabyte)."""
    days, start = [], None
    while True:
        page = CounterItem._get_connection().query(
            partition, range_key_condition=CounterItem.SK.between(f"D#{first_day}", f"D#{last_day}"),
            exclusive_start_key=start)
        days += [(item["SK"]["S"][2:], _counters(item)) for item in page.get("Items", [])]
        start = page.get("LastEvaluatedKey")
        if start is None:
            return days


def read_now(partition: str) -> dict[str, int]:
    """A partition's counters of what is true now, in one GetItem."""
    return _counters(CounterItem._get_connection().get_item(partition, NOW).get("Item") or {})
