"""Lambda entry: the analytical store's analyses, run by schedule (template.yaml) or on demand (`crm rfm`).
Today one, the RFM segments (crm.analytics.rfm): SQL over the store's payment events, each payer's segment
written back to the contact. Decision 0047."""

from __future__ import annotations

from typing import Any

from crm.analytics.engines import engine_for
from crm.analytics.rfm import run_rfm
from crm.platform.config import get_settings
from crm.platform.observability import count, logger, metrics
from crm.platform.startup import loaded
from crm.records.table import bind_table

bind_table(get_settings())
JOBS = ("rfm",)


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`{"job": "rfm"}` (the schedule's input) runs the RFM analysis; its totals are the answer."""
    job = (event.get("detail") or event).get("job", "rfm") if isinstance(event, dict) else "rfm"
    if job not in JOBS:
        raise ValueError(f"no analytics job {job!r}; there is {', '.join(JOBS)}")
    settings = get_settings()
    # Most of the function's time, less a minute to write the segments back.
    remaining = context.get_remaining_time_in_millis() / 1000 if context is not None else 900.0
    run = run_rfm(engine_for(settings), time_limit=max(10.0, remaining - 60))
    logger.info("rfm analysis done", extra=run.as_dict())
    count("RfmSegmentsChanged", run.changed)
    return {"job": job, **run.as_dict()}


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
