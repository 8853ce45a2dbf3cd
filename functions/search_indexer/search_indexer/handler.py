"""Lambda entry: contact and company profiles from the table stream (filtered in template.yaml) to the
search terms `GET /v1/search` queries. Delivery is at least once and may repeat older records; each
record converges on the terms of the newest image of its record."""

from __future__ import annotations

from typing import Any

from crm.platform.config import get_settings
from crm.platform.observability import metrics
from crm.platform.startup import loaded
from crm.records.stream import apply_batch
from crm.records.table import bind_table
from crm.search.store import index_record

bind_table(get_settings())


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return apply_batch(event, index_record, "SearchIndex")


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
