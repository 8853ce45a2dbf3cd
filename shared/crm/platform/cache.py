"""What a warm container keeps between invocations (a form's configuration, the scoring model, the saved
mailboxes, PayPal's certificates): a warm invocation reads nothing, and a change made elsewhere is seen
once the value it replaced has aged out."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Up to `max_entries` values, each loaded on a miss and kept for the age given with its load. A load
    into a full cache empties it first: a container needs a handful of keys, so a stranger's stream of
    new ones (unknown form ids) costs reads, never memory."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K, load: Callable[[], V], max_age: float) -> V:
        """The value kept for `key`, or else `load()`'s, kept `max_age` seconds. The age is read at each load,
        so a setting changed while the container runs applies from the next one; a load that raises keeps
        nothing, and the next call loads again."""
        hit = self._entries.get(key)
        if hit is not None and hit[0] >= time.monotonic():
            return hit[1]
        value = load()
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + max_age, value)
        return value

    def clear(self) -> None:
        """Forgets every value, so each key is loaded again (a test's own table, a change to see at once)."""
        self._entries.clear()
