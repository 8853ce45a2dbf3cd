"""moto, made fit for a long-lived table, where its costs grow with the table:

- A transaction backs up every table it touches, whole, once per action, to roll a cancelled one back:
  an eight-item transaction on a table of 500 items took a second, and every lead made the next one
  slower. Here it keeps an undo log of the items it touches (and where each table's stream ended).
- Every comparison of two attribute values recomputes their Python value through five type checks, and
  a Query compares every item of the table: a 20-item page of a 500-item index took 200 ms. Strings,
  binaries and booleans, nearly all keys, now answer at once.

Behaviour is moto's own: its code still runs, checks and cancels; only bookkeeping changes. Installed
once per process, by the embedded AWS.
"""

from __future__ import annotations

import base64
import copy
import inspect
import json
import threading
import types
from dataclasses import dataclass
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoResult


def _deepcopy_keeping_tables(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """moto's transaction backs a table up with deepcopy and restores it on failure; handing back the
    live table makes both free, and the undo log below does the restoring."""
    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


@dataclass
class _Touched:
    table: Table
    hash_value: DynamoType
    range_value: DynamoType | None
    before: Item | None


class _UndoLog:
    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        self._touched: list[_Touched] = []
        self._stream_ends: dict[str, tuple[Table, int]] = {}
        for action in transact_items:
            for kind, request in action.items():
                self._remember(backend, kind, request)

    def _remember(self, backend: Any, kind: str, request: dict[str, Any]) -> None:
        table = backend.tables.get(request.get("TableName"))
        if table is None:
            return  # moto refuses the transaction before it changes anything
        key = request.get("Item") if kind == "Put" else request.get("Key")
        key = key or {}
        if table.hash_key_attr not in key or (table.has_range_key and table.range_key_attr not in key):
            return
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.has_range_key else None
        before = table.get_item(hash_value, range_value)
        self._touched.append(_Touched(table, hash_value, range_value, copy.deepcopy(before)))
        if table.stream_shard is not None and table.name not in self._stream_ends:
            self._stream_ends[table.name] = (table, len(table.stream_shard.items))

    def undo(self) -> None:
        for touched in reversed(self._touched):
            _restore(touched)
        for table, end in self._stream_ends.values():
            del table.stream_shard.items[end:]


def _restore(touched: _Touched) -> None:
    items = touched.table.items
    if touched.range_value is None:
        if touched.before is None:
            items.pop(touched.hash_value, None)
        else:
            items[touched.hash_value] = touched.before
        return
    partition = items[touched.hash_value]
    if touched.before is None:
        partition.pop(touched.range_value, None)
        if not partition:
            del items[touched.hash_value]
    else:
        partition[touched.range_value] = touched.before


_AS_IS = frozenset({"S", "B", "BOOL"})


def install() -> None:
    backend_class = dynamodb_models.DynamoDBBackend
    if getattr(backend_class.transact_write_items, "undo_log", False):
        return
    moto_cast_value = DynamoType.cast_value.fget

    def cast_value(self: DynamoType) -> Any:
        # moto's own property returns these types' values unchanged, after four failed checks.
        return self.value if self.type in _AS_IS else moto_cast_value(self)

    DynamoType.cast_value = property(cast_value)  # type: ignore[method-assign,assignment]
    _sort_by_plain_values()
    _answer_reads_as_plain_json()
    moto_transact_write_items = backend_class.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        undo_log = _UndoLog(self, transact_items)
        try:
            moto_transact_write_items(self, transact_items)
        except Exception:
            undo_log.undo()
            raise

    transact_write_items.undo_log = True  # type: ignore[attr-defined]
    backend_class.transact_write_items = transact_write_items
    # Only the transaction code of this module backs tables up; every other deepcopy stays a deepcopy.
    dynamodb_models.copy = types.SimpleNamespace(deepcopy=_deepcopy_keeping_tables)  # type: ignore[attr-defined]


def _plain(value: DynamoType | None) -> Any:
    """A key attribute's Python value, which orders as DynamoDB orders it: a key attribute has one type (S, N
    or B) in every item, so comparing the values is comparing the DynamoTypes, without their Python methods."""
    return None if value is None else value.cast_value


def _sort_by_plain_values() -> None:
    """A Query sorts the whole table by its keys, and an index's matches by the index's keys, comparing
    DynamoTypes pair by pair in Python (two thirds of a 10,000-contact page's 290 ms); the same order by the
    attributes' plain values is C's string and number comparison. A Query of the table itself (not of an
    index) needs only its own partition, which moto keeps by hash key: it no longer sorts the whole table."""

    def sorted_items(self: Table, hash_key_attrs: list[str], range_key_attrs: list[str | None],
                     items: list[Item]) -> list[Item]:
        attrs = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        items.sort(key=lambda x: tuple(_plain(x.attrs[key]) for key in attrs))
        return items

    moto_query = Table.query
    parameters = inspect.signature(moto_query)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        # A Query of the table itself reads one partition, which moto keeps apart: all_items gives only it.
        called = parameters.bind(self, *args, **kwargs).arguments
        _reading.partition = called.get("hash_key") if called.get("index_name") is None else None
        try:
            return moto_query(self, *args, **kwargs)
        finally:
            _reading.partition = None

    def all_items(self: Table) -> list[Item]:
        partition = getattr(_reading, "partition", None)
        if partition is not None:
            hash_sets = [self.items.get(partition, {})]
        else:
            hash_sets = list(self.items.values())
        items: list[Item] = []
        for hash_set in hash_sets:
            if self.range_key_attr:
                items.extend(hash_set.values())
            else:
                items.append(hash_set)  # type: ignore[arg-type]
        if self.range_key_attr:
            return sorted(items, key=lambda x: (_plain(x.hash_key), _plain(x.range_key) if x.range_key else ""))
        return sorted(items, key=lambda x: _plain(x.hash_key))

    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.sorted_items = sorted_items  # type: ignore[method-assign]


# The partition a Query of the table reads, for all_items, per moto server thread.
_reading = threading.local()

# Reads whose answers are items: their JSON is the items' own DynamoDB JSON, with nothing for the model to shape.
_PLAIN_READS = frozenset({"Query", "Scan", "GetItem", "BatchGetItem"})
_JSON_1_0 = {"Content-Type": "application/x-amz-json-1.0"}


def _bytes_as_base64(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON")


def _answer_reads_as_plain_json() -> None:
    """moto writes every answer by walking botocore's model of its shape, value by value: a page of 100
    contacts took 100 ms of a Query's time to write. A read's answer is already DynamoDB JSON (binaries as
    bytes, which the wire carries in base64), so it is written as it is, with the header moto sends."""
    moto_execute_result = DynamoResult.execute_result

    def execute_result(self: DynamoResult, context: Any) -> Any:
        if context.operation_model.name in _PLAIN_READS and isinstance(self.result, dict):
            return 200, dict(_JSON_1_0), json.dumps(self.result, default=_bytes_as_base64)
        return moto_execute_result(self, context)

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]
