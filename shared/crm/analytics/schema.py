"""The events table of the analytical store, declared once: the Glue table in template.yaml (which
Firehose converts each bus event to Parquet by), the local stack's writer and the tests read it from here
(`tests/unit/test_analytics_schema.py` holds template.yaml to it).

Only these columns are kept: an event's top-level keys and `detail` keys outside them are dropped on
conversion. None of them is a person's personal data (names, addresses, phones, message text): a contact
is its random id, which after a GDPR erase leads to nothing, so the store never holds what an erase must
remove. No free text is kept: a contact's origin is its `channel` from a closed list (crm.contacts.spec.CHANNELS),
never its `source` or a link's utm tags, which staff or a stranger may type anything into (decision 0046)."""

from __future__ import annotations

# (column, Glue/Hive type) of the top level of an EventBridge event; `detail-type` is `detail_type`.
EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "string"),
    ("detail_type", "string"),
    ("source", "string"),
    ("time", "timestamp"),
)
# (key, Glue/Hive type) of `detail`, the struct column: ids, stages, amounts, channels; never personal data.
DETAIL: tuple[tuple[str, str], ...] = (
    ("event_id", "string"),
    ("contact_id", "string"),
    ("company_id", "string"),
    ("deal_id", "string"),
    ("activity_id", "string"),
    ("pipeline_id", "string"),
    ("payment_key", "string"),
    ("email_id", "string"),
    ("form_id", "string"),
    ("submission_id", "string"),
    ("winner_id", "string"),
    ("loser_id", "string"),
    ("channel", "string"),
    ("stage", "string"),
    ("from", "string"),
    ("to", "string"),
    ("provider", "string"),
    ("amount_minor", "bigint"),
    ("currency", "string"),
    ("score", "int"),
    ("by", "string"),
    ("activity_type", "string"),
    ("created_contact", "boolean"),
)
# Columns whose JSON key differs from the column's name (Firehose's ColumnToJsonKeyMappings).
JSON_KEYS: dict[str, str] = {"detail_type": "detail-type"}
# Hive-style date partitions under this prefix of the analytics bucket: events/dt=2026-12-04/….parquet
EVENTS_PREFIX = "events/"
PARTITION = ("dt", "string")
TABLE = "events"


def detail_struct() -> str:
    """The Glue type of the `detail` column."""
    return "struct<" + ",".join(f"{name}:{kind}" for name, kind in DETAIL) + ">"


def columns() -> tuple[tuple[str, str], ...]:
    """Every column of a file, in order, with its Glue type (the partition `dt` is the file's folder)."""
    return (*EVENT_COLUMNS, ("detail", detail_struct()))
