"""Lambda entry: counted records (contacts, deals, activities, payments, refunds, emails) from the table
stream (filtered in template.yaml) to the dashboards' counters. Delivery is at least once and may repeat
older records; each record's contribution converges on its newest image."""

from __future__ import annotations

from typing import Any

from crm.dashboards.store import count_record
from crm.platform.config import get_settings
from crm.platform.observability import metrics
from crm.platform.startup import loaded
from crm.records.stream import apply_batch
from crm.records.table import bind_table

bind_table(get_settings())


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return apply_batch(event, count_record, "DashboardCounters")


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
