"""A table stream batch applied record by record, for the functions that keep a view from the stream."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from crm.platform.observability import count, logger


def apply_batch(event: Mapping[str, Any], apply: Callable[[dict[str, Any]], bool], view: str) -> dict[str, Any]:
    """Applies each record in order; the first that fails is reported as the batch's failure, so Lambda
    retries from it and the records after it wait (each view converges, so a retried record is safe).
    Counts `<view>Applied` and `<view>Failed`."""
    applied = 0
    for record in event.get("Records", []):
        try:
            applied += apply(record)
        except Exception:  # noqa: BLE001 - any failed record is reported for the stream to retry
            logger.exception(f"{view} failed on a stream record; the stream will retry",
                             extra={"keys": record.get("dynamodb", {}).get("Keys")})
            count(f"{view}Failed")
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    count(f"{view}Applied", applied)
    return {"batchItemFailures": []}
