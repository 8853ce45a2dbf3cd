"""Lambda entry: contact and company profiles from the table stream (filtered in template.yaml) to the
search terms `GET /v1/search` queries. Delivery is at least once and may repeat older records; each
record converges on the terms of the newest image of its record."""

from __future__ import annotations

from typing import Any

from crm.config import get_settings
from crm.models import bind_table
from crm.observability import count, logger, metrics

from search_indexer import store
from search_indexer.index import ENTITIES, entry_of, writes

bind_table(get_settings())


def index_record(record: dict[str, Any]) -> bool:
    """Brings one record's search items up to its stream image; True when something was written."""
    stream = record["dynamodb"]
    prefix, _, entity_id = stream["Keys"]["PK"]["S"].partition("#")
    entity = ENTITIES[prefix]
    # REMOVE records carry the keys only; a deleted record loses all its terms.
    image = stream.get("NewImage") if record.get("eventName") != "REMOVE" else None
    before = store.remembered(entity, entity_id)
    change = writes(entry_of(entity, image), before)
    if change is None:
        return False
    store.save(entity, entity_id, change, before)
    return True


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    indexed = 0
    for record in event.get("Records", []):
        try:
            indexed += index_record(record)
        except Exception:
            # Lambda retries from the first failed record, so the rest of the batch waits for it.
            logger.exception("search indexing failed; the stream will retry",
                             extra={"keys": record.get("dynamodb", {}).get("Keys")})
            count("SearchIndexFailed")
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    count("SearchRecordsIndexed", indexed)
    return {"batchItemFailures": []}
