"""The cache a warm container keeps values in: each value is read once per age, a full cache never grows,
and a failed read is not remembered."""

from __future__ import annotations

import pytest
from crm.platform import cache
from crm.platform.cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(cache.time, "monotonic", clock)
    return clock


class Loader:
    """Counts its loads and answers a new value each time, so a test sees which load a value came from."""

    def __init__(self) -> None:
        self.loads = 0

    def __call__(self) -> str:
        self.loads += 1
        return f"value {self.loads}"


def holding(*keys: str, max_entries: int = 4, max_age: float = 60) -> tuple[TtlCache[str, str], Loader]:
    """A cache with each key loaded once, in order, and the loader that counts the loads."""
    kept: TtlCache[str, str] = TtlCache(max_entries=max_entries)
    load = Loader()
    for key in keys:
        kept.get(key, load, max_age)
    return kept, load


def test_a_value_is_read_once_and_kept_until_its_age_runs_out(clock):
    # Given a form's configuration read once, to be kept 60 seconds
    kept, load = holding("form")
    # When it is read again at 30 and at 60 seconds
    clock.now += 30
    at_30 = kept.get("form", load, max_age=60)
    clock.now += 30
    at_60 = kept.get("form", load, max_age=60)
    # Then both reads answer the first load
    assert (at_30, at_60, load.loads) == ("value 1", "value 1", 1)
    # When its age has run out / Then the next read loads it again
    clock.now += 0.001
    assert kept.get("form", load, max_age=60) == "value 2"


def test_each_value_keeps_the_age_it_was_loaded_with(clock):
    # Given a model loaded to be kept an hour (a setting raised while the container runs)
    kept, load = holding("model", max_entries=1, max_age=3600)
    # When it is read after a minute, by a caller whose age is a minute
    clock.now += 61
    # Then it is still the value loaded first
    assert kept.get("model", load, max_age=60) == "value 1"


def test_a_full_cache_is_emptied_before_a_new_key_is_kept(clock):
    # Given a cache of two entries, full
    kept, load = holding("a", "b", max_entries=2)
    # When a third key is read
    kept.get("c", load, max_age=60)
    # Then the newest is kept and the earlier keys are loaded again
    assert kept.get("c", load, max_age=60) == "value 3"
    assert kept.get("a", load, max_age=60) == "value 4"


def test_a_load_that_fails_is_not_remembered(clock):
    # Given a cache whose first load fails (an AWS fault)
    kept: TtlCache[str, str] = TtlCache(max_entries=1)

    def failing() -> str:
        raise ConnectionError("table unreachable")

    with pytest.raises(ConnectionError):
        kept.get("mailboxes", failing, max_age=60)
    # When the key is read again / Then it is loaded again, not answered from the failure
    assert kept.get("mailboxes", Loader(), max_age=60) == "value 1"


def test_a_cleared_cache_loads_every_key_again(clock):
    # Given a cache holding two values
    kept, load = holding("form", "other form")
    # When it is cleared (a test's own table, a change to see at once)
    kept.clear()
    # Then the next read of each loads it again
    assert [kept.get(key, load, max_age=60) for key in ("form", "other form")] == ["value 3", "value 4"]
