"""What every entry-point property asserts: no 5xx, no unhandled exception, no partial write.

Each example runs against the table as the fixture left it, and its writes are undone after it (the
`fuzz_table` fixture, one watch per test, `with fuzz_table.example():` per example),
so examples are independent (a rate counter or a duplicate from an earlier example never decides the
outcome) and the table stays small over the deep profile's 10,000 examples."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import event

from tests.conftest import table_items


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return item["PK"]["S"], item["SK"]["S"]


class TableWatch:
    """The table as the fixture left it, to compare each example's outcome with and to go back to.
    A scan through moto costs more than most handler calls, so an example scans once: at its end."""

    def __init__(self, aws: dict[str, Any]) -> None:
        self._dynamodb, self._name = aws["dynamodb"], aws["settings"].table_name
        self.before = self._scan()
        self._after: dict[tuple[str, str], dict[str, Any]] | None = None

    def _scan(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {_key(item): item for item in table_items(self._dynamodb, self._name)}

    def after(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The table now; the example's last step, so restoring reuses it."""
        self._after = self._scan()
        return self._after

    @contextmanager
    def example(self) -> Iterator[TableWatch]:
        self._after = None
        try:
            yield self
        finally:
            self._restore(self._after if self._after is not None else self._scan())

    def _restore(self, now: dict[tuple[str, str], dict[str, Any]]) -> None:
        requests = [{"DeleteRequest": {"Key": {"PK": item["PK"], "SK": item["SK"]}}}
                    for key, item in now.items() if key not in self.before]
        requests += [{"PutRequest": {"Item": item}} for key, item in self.before.items() if now.get(key) != item]
        for start in range(0, len(requests), 25):
            self._dynamodb.batch_write_item(RequestItems={self._name: requests[start:start + 25]})
        self._forget_moto_history()

    def _forget_moto_history(self) -> None:
        """Moto keeps every stream record, and every model object it ever made (each transaction deep-copies
        the tables) for its dashboard: over 10,000 examples that is gigabytes, and quadratic time as the
        copies include the stream. No entry point reads either (moto cannot turn the stream off: update_table
        then fails every transaction), so both are dropped after each example."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.core.model_instances import reset_model_data
        from moto.dynamodb.models import dynamodb_backends

        region = self._dynamodb.meta.region_name
        shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables[self._name].stream_shard
        if shard is not None:
            shard.items.clear()
        reset_model_data()


def assert_accepted_or_refused_cleanly(response: dict[str, Any], table: TableWatch) -> None:
    """A handler's catch-all turns any exception into a 503, so "no 5xx" is also "no unhandled exception";
    a refusal is a JSON error that wrote nothing."""
    status = response["statusCode"]
    event(f"HTTP {status}")  # the spread of outcomes, reported by `make fuzz` in RELIABILITY.md
    assert status < 500, response
    if status >= 400:
        assert "error" in json.loads(response["body"]), response
        assert table.after() == table.before, f"refused with {status} but the table changed"
