"""Counting the records that were written before the counters existed (or after they were lost): each
counted record is read from the table and applied as if the stream had brought it. A one-off maintenance
job, never a request path, so it reads with a parallel Scan.

Running it beside the live stream is safe: a record already counted at the same image changes nothing,
and whichever of the two sees the older image is ignored."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from crm.dashboards.counted import counted
from crm.dashboards.spec import CounterItem
from crm.dashboards.store import count_record


def recount_segment(segment: int, segments: int) -> tuple[int, int]:
    """Applies every counted record of one Scan segment; returns (counted records read, records that changed a
    counter). Which records count is `counted`'s to say, by their keys, as for the stream; a filter on the Scan
    would cost the same read units and say it a second time."""
    connection = CounterItem._get_connection()
    read = changed = 0
    start: dict[str, Any] | None = None
    while True:
        # PynamoDB annotates the start key as a string; it passes the LastEvaluatedKey map through as is.
        page = connection.scan(segment=segment, total_segments=segments,
                               exclusive_start_key=start)  # type: ignore[arg-type]
        for item in page.get("Items", []):
            if counted(item["PK"]["S"], item["SK"]["S"], {}) is None:
                continue
            keys = {"PK": item["PK"], "SK": item["SK"]}
            changed += count_record({"eventName": "INSERT", "dynamodb": {"Keys": keys, "NewImage": item}})
            read += 1
        start = page.get("LastEvaluatedKey")
        if start is None:
            return read, changed


def recount(segments: int = 4) -> tuple[int, int]:
    """Every counted record, `segments` Scan segments at once."""
    with ThreadPoolExecutor(max_workers=segments) as pool:
        results = list(pool.map(lambda s: recount_segment(s, segments), range(segments)))
    return sum(r for r, _ in results), sum(c for _, c in results)
