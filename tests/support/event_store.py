"""The analytical store as Firehose leaves it, for tests: bus events written as Parquet files under
events/dt=<UTC day>/ of the analytics bucket, with the columns of crm.analytics.schema."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from crm.analytics.schema import EVENTS_PREFIX, columns


def arrow_type(glue: str) -> Any:
    import pyarrow as pa
    from crm.analytics.engines import _split_fields

    if glue.startswith("struct<"):
        return pa.struct([(name, arrow_type(kind)) for name, kind in _split_fields(glue[len("struct<"):-1])])
    return {"string": pa.string(), "timestamp": pa.timestamp("ms"), "bigint": pa.int64(), "int": pa.int32(),
            "boolean": pa.bool_()}[glue]


def bus_event(detail_type: str, detail: Mapping[str, Any], at: datetime, source: str = "crm") -> dict[str, Any]:
    """An event as EventBridge delivers it; `detail` keys outside the schema are dropped when written."""
    return {"id": str(uuid.uuid4()), "detail-type": detail_type, "source": source, "time": at,
            "detail": {"event_id": uuid.uuid4().hex, **detail}}


def parquet_bytes(events: Iterable[Mapping[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(name, arrow_type(kind)) for name, kind in columns()])
    struct_fields = {field.name for field in schema.field("detail").type}
    rows = [{"id": e["id"], "detail_type": e["detail-type"], "source": e["source"],
             "time": e["time"].astimezone(UTC).replace(tzinfo=None),
             "detail": {name: value for name, value in e["detail"].items() if name in struct_fields}}
            for e in events]
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), buffer, compression="snappy")
    return buffer.getvalue()


def write_events(s3: Any, bucket: str, events: Iterable[Mapping[str, Any]]) -> list[str]:
    """One Parquet file per UTC day of the events' times, as Firehose would buffer them; the keys written."""
    by_day: dict[str, list[Mapping[str, Any]]] = {}
    for event in events:
        by_day.setdefault(event["time"].astimezone(UTC).date().isoformat(), []).append(event)
    keys = []
    for day, day_events in sorted(by_day.items()):
        key = f"{EVENTS_PREFIX}dt={day}/crm-events-{uuid.uuid4().hex}.parquet"
        s3.put_object(Bucket=bucket, Key=key, Body=parquet_bytes(day_events))
        keys.append(key)
    return keys
