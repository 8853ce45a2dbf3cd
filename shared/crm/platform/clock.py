"""Time in one place, so tests can reason about it."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_seconds() -> int:
    return int(time.time())


def seconds_between(start: object, end: object) -> int | None:
    """Whole seconds from one ISO timestamp to another (0 when the end is earlier); None if either is not one."""
    try:
        elapsed = datetime.fromisoformat(str(end)) - datetime.fromisoformat(str(start))
    except (TypeError, ValueError):
        return None
    return max(int(elapsed.total_seconds()), 0)


def local_time(moment: str, zone: ZoneInfo) -> str:
    """A UTC moment as someone in `zone` reads it: 2026-12-05 09:30 (Asia/Tehran)."""
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(zone)
    return f"{parsed.strftime('%Y-%m-%d %H:%M')} ({zone.key})"
