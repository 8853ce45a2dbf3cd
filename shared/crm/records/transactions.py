"""One TransactWriteItems built step by step, with a label per item so a cancellation says which
effect's condition failed (a stale version, a taken email, a payment already recorded), and the outbox
events of the change written with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.constants import ALL_OLD
from pynamodb.exceptions import CancellationReason, TransactWriteError
from pynamodb.transactions import TransactWrite

from crm.records.outbox import outbox_event
from crm.records.table import transaction_connection

# DynamoDB's limit on the items of one TransactWriteItems.
MAX_TRANSACTION_ITEMS = 100


class LabelledTransaction:
    """PynamoDB sends condition checks, then deletes, then puts, then updates; labels follow that order.

    A put or update with `return_old` asks DynamoDB for the item as it was when its condition fails
    (`failed_items`): who owns a taken email, say, learnt in the same request."""

    def __init__(self) -> None:
        self._checks: list[tuple[str, Any]] = []
        self._deletes: list[tuple[str, Any, Any]] = []
        self._puts: list[tuple[str, Any, Any, str | None]] = []
        self._updates: list[tuple[str, Any, list[Any], Any, str | None]] = []
        self.labels: list[str] = []

    def __len__(self) -> int:
        return len(self._checks) + len(self._deletes) + len(self._puts) + len(self._updates)

    def put(self, label: str, item: Any, condition: Any = None, return_old: bool = False) -> None:
        self._puts.append((label, item, condition, ALL_OLD if return_old else None))

    def delete(self, label: str, item: Any, condition: Any = None) -> None:
        self._deletes.append((label, item, condition))

    def update(self, label: str, item: Any, actions: list[Any], condition: Any = None,
               return_old: bool = False) -> None:
        self._updates.append((label, item, actions, condition, ALL_OLD if return_old else None))

    def check(self, label: str, model: Any, key: tuple[str, str], condition: Any) -> None:
        self._checks.append((label, (model, key, condition)))

    def event(self, detail_type: str, detail: dict[str, Any]) -> None:
        self._puts.append((f"event:{detail_type}", outbox_event(detail_type, detail), None, None))

    def commit(self) -> None:
        self.labels = ([label for label, _ in self._checks] + [label for label, _, _ in self._deletes]
                       + [label for label, *_ in self._puts] + [label for label, *_ in self._updates])
        with TransactWrite(connection=transaction_connection()) as tx:
            for _, (model, (hash_key, range_key), condition) in self._checks:
                tx.condition_check(model, hash_key, range_key, condition=condition)
            for _, item, condition in self._deletes:
                tx.delete(item, condition=condition, add_version_condition=False)
            for _, item, condition, return_values in self._puts:
                tx.save(item, condition=condition, return_values=return_values)
            for _, item, actions, condition, return_values in self._updates:
                tx.update(item, actions, condition=condition, return_values=return_values, add_version_condition=False)

    def failed_labels(self, exc: TransactWriteError) -> set[str]:
        return {label for label, _ in self._failed(exc)}

    def failed_items(self, exc: TransactWriteError) -> dict[str, dict[str, Any]]:
        """Label -> the item as it was, for each failed condition of a write made with `return_old` on an
        item that existed."""
        return {label: reason.raw_item for label, reason in self._failed(exc) if reason.raw_item}

    def _failed(self, exc: TransactWriteError) -> Iterator[tuple[str, CancellationReason]]:
        for label, reason in zip(self.labels, exc.cancellation_reasons, strict=False):
            if reason is not None and reason.code == "ConditionalCheckFailed":
                yield label, reason
