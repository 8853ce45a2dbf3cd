"""Lambda entry: contact and company profiles from the table stream (filtered in template.yaml) to the
search terms `GET /v1/search` queries. Delivery is at least once and may repeat older records; each
record converges on the terms of the newest image of its record."""

from __future__ import annotations

from typing import Any

from crm.platform.config import get_settings
from crm.platform.observability import count, logger, metrics
from crm.platform.startup import loaded
from crm.records.table import bind_table
from crm.search.store import index_record

bind_table(get_settings())


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    indexed = 0
    for record in event.get("Records", []):
        try:
            indexed += index_record(record)
        except Exception:  # noqa: BLE001 - any failed record is reported for the stream to retry
            # Lambda retries from the first failed record, so the rest of the batch waits for it.
            logger.exception("search indexing failed; the stream will retry",
                             extra={"keys": record.get("dynamodb", {}).get("Keys")})
            count("SearchIndexFailed")
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    count("SearchRecordsIndexed", indexed)
    return {"batchItemFailures": []}


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
