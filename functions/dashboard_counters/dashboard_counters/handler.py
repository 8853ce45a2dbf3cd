"""Lambda entry: counted records (contacts, deals, activities, payments, refunds, emails) from the table
stream (filtered in template.yaml) to the dashboards' counters. Delivery is at least once and may repeat
older records; each record's contribution converges on its newest image."""

from __future__ import annotations

from typing import Any

from crm.dashboards.store import count_record
from crm.platform.config import get_settings
from crm.platform.observability import count, logger, metrics
from crm.platform.startup import loaded
from crm.records.table import bind_table

bind_table(get_settings())


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    counted = 0
    for record in event.get("Records", []):
        try:
            counted += count_record(record)
        except Exception:  # noqa: BLE001 - any failed record is reported for the stream to retry
            # Lambda retries from the first failed record, so the rest of the batch waits for it.
            logger.exception("counting failed; the stream will retry",
                             extra={"keys": record.get("dynamodb", {}).get("Keys")})
            count("DashboardCountFailed")
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    count("DashboardRecordsCounted", counted)
    return {"batchItemFailures": []}


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
