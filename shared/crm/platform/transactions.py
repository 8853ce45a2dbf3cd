"""One TransactWriteItems built step by step, with a label per item so a cancellation says which
effect's condition failed (a stale version, a taken email, a payment already recorded)."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from crm.records.outbox import outbox_event
from crm.records.table import transaction_connection

# DynamoDB's limit on the items of one TransactWriteItems.
MAX_TRANSACTION_ITEMS = 100


class LabelledTransaction:
    """PynamoDB sends condition checks, then deletes, then puts, then updates; labels follow that order."""

    def __init__(self) -> None:
        self._checks: list[tuple[str, Any]] = []
        self._deletes: list[tuple[str, Any, Any]] = []
        self._puts: list[tuple[str, Any, Any]] = []
        self._updates: list[tuple[str, Any, list[Any], Any]] = []
        self.labels: list[str] = []

    def __len__(self) -> int:
        return len(self._checks) + len(self._deletes) + len(self._puts) + len(self._updates)

    def put(self, label: str, item: Any, condition: Any = None) -> None:
        self._puts.append((label, item, condition))

    def delete(self, label: str, item: Any, condition: Any = None) -> None:
        self._deletes.append((label, item, condition))

    def update(self, label: str, item: Any, actions: list[Any], condition: Any = None) -> None:
        self._updates.append((label, item, actions, condition))

    def check(self, label: str, model: Any, key: tuple[str, str], condition: Any) -> None:
        self._checks.append((label, (model, key, condition)))

    def event(self, detail_type: str, detail: dict[str, Any]) -> None:
        self._puts.append((f"event:{detail_type}", outbox_event(detail_type, detail), None))

    def commit(self) -> None:
        self.labels = ([label for label, _ in self._checks] + [label for label, _, _ in self._deletes]
                       + [label for label, _, _ in self._puts] + [label for label, _, _, _ in self._updates])
        with TransactWrite(connection=transaction_connection()) as tx:
            for _, (model, key, condition) in self._checks:
                tx.condition_check(model, *key, condition=condition)
            for _, item, condition in self._deletes:
                tx.delete(item, condition=condition, add_version_condition=False)
            for _, item, condition in self._puts:
                tx.save(item, condition=condition)
            for _, item, actions, condition in self._updates:
                tx.update(item, actions, condition=condition, add_version_condition=False)

    def failed_labels(self, exc: TransactWriteError) -> set[str]:
        return {label for label, reason in zip(self.labels, exc.cancellation_reasons or [], strict=False)
                if reason is not None and reason.code == "ConditionalCheckFailed"}
