"""The one way a write that lost a race to another transaction is told apart and tried again (the
transaction itself is crm.records.transactions)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

from pynamodb.exceptions import TransactWriteError

# Tries of one write before it gives up (a lost race, or a failed condition the next try works around, takes
# one), and the first back-off's ceiling, doubled per try: six back-offs sleep 1.26 s at the most.
MAX_ATTEMPTS = 6
BACK_OFF_SECONDS = 0.02


def conflicted(exc: TransactWriteError) -> bool:
    """Another transaction wrote the same items at the same moment: no condition failed, so the same write
    may succeed when tried again."""
    return any(reason is not None and reason.code == "TransactionConflict" for reason in exc.cancellation_reasons)


def retrying(gave_up: str, attempts: int = MAX_ATTEMPTS) -> Iterator[int]:
    """Numbers the tries of a write whose loop returns once it succeeds and goes round again after a lost
    race; after the last try the loop ends in RuntimeError(gave_up), which the entry point treats as a fault
    (a 503, a message left on its queue) so the whole request comes again."""
    yield from range(attempts)
    raise RuntimeError(gave_up)


def back_off(attempt: int) -> None:
    """Sleeps a random time up to BACK_OFF_SECONDS doubled per try (full jitter), so writers that collided
    spread out instead of colliding again."""
    time.sleep(random.uniform(0, BACK_OFF_SECONDS * 2 ** attempt))  # noqa: S311 - back-off jitter, not a secret
