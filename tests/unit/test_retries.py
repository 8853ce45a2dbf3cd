"""How a write that lost a race to another transaction is told apart and tried again: the same number of
tries and the same back-off for every store."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from crm.platform import transactions
from crm.platform.transactions import MAX_ATTEMPTS, back_off, conflicted, retrying
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError


def cancelled(*codes: str | None) -> TransactWriteError:
    """A TransactWriteItems cancelled with one reason per item, as PynamoDB raises it."""
    reasons = [CancellationReason(code) if code else None for code in codes]
    cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
                               "TransactWriteItems", cancellation_reasons=reasons)
    return TransactWriteError("Failed to write transaction items", cause=cause)


def test_a_write_that_keeps_losing_races_is_tried_six_times_then_gives_up():
    # Given a write that loses every race
    tries = []
    # When it is tried until the policy gives up
    with pytest.raises(RuntimeError, match="lead could not be saved"):
        for attempt in retrying("lead could not be saved after repeated transaction conflicts"):
            tries.append(attempt)
    # Then it was tried six times, numbered from the first
    assert tries == [0, 1, 2, 3, 4, 5]
    assert MAX_ATTEMPTS == 6


def test_a_write_that_succeeds_is_not_tried_again():
    # Given a write that succeeds at its second try
    def save() -> int:
        for attempt in retrying("never said"):
            if attempt == 1:
                return attempt
        raise AssertionError("retrying ended without an error")

    # When it is saved / Then it returns what that try returned, and nothing gives up
    assert save() == 1


def test_the_back_off_after_each_try_is_at_most_20_ms_doubled_per_try(monkeypatch):
    # Given the longest wait the jitter can draw
    slept = []
    monkeypatch.setattr(transactions.time, "sleep", slept.append)
    monkeypatch.setattr(transactions.random, "uniform", lambda low, high: high)
    # When a write backs off after each of its six tries
    for attempt in range(MAX_ATTEMPTS):
        back_off(attempt)
    # Then each wait doubles from 20 ms
    assert slept == pytest.approx([0.02, 0.04, 0.08, 0.16, 0.32, 0.64])


def test_the_back_off_is_drawn_at_random_from_nothing_up_to_its_ceiling(monkeypatch):
    # Given the jitter's draws recorded
    drawn = []

    def uniform(low: float, high: float) -> float:
        drawn.append((low, high))
        return low

    monkeypatch.setattr(transactions.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(transactions.random, "uniform", uniform)
    # When a write backs off after its third try
    back_off(2)
    # Then the wait is drawn between nothing and 80 ms, so writers that collided spread out
    assert drawn == [(0, pytest.approx(0.08))]


@pytest.mark.parametrize(("codes", "lost_a_race"), [
    ((None, "TransactionConflict", None), True),
    (("ConditionalCheckFailed", None), False),
    (("ConditionalCheckFailed", "TransactionConflict"), True),
    ((None, None), False),
])
def test_a_lost_race_is_told_apart_from_a_failed_condition(codes, lost_a_race):
    # Given a transaction cancelled for these reasons, one per item
    # When it is asked whether another transaction got in the way / Then only a conflict says so
    assert conflicted(cancelled(*codes)) is lost_a_race


def test_a_failure_that_is_no_cancellation_is_no_lost_race():
    # Given a transaction that failed for another cause (throttled, say)
    cause = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "TransactWriteItems")
    # When it is asked whether another transaction got in the way / Then it is not
    assert not conflicted(TransactWriteError("Failed to write transaction items", cause=cause))
