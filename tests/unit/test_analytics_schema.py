"""The analytical store's table is declared once (shared/crm/analytics/schema.py): template.yaml's Glue table,
its Firehose conversion and the local Firehose's Parquet files all hold exactly those columns, and whatever
else an event carries never reaches a file."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
GLUE_TO_ARROW = {"string": "string", "bigint": "int64", "int": "int32", "boolean": "bool", "timestamp": "timestamp[ms]"}


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse((ROOT / "template.yaml").read_text())["Resources"]


def table_input(resources: dict[str, Any]) -> dict[str, Any]:
    return resources["EventsTable"]["Properties"]["TableInput"]


def destination(resources: dict[str, Any]) -> dict[str, Any]:
    return resources["EventArchiveStream"]["Properties"]["ExtendedS3DestinationConfiguration"]


class FakeS3:
    """What the local Firehose puts, by key."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:
        self.objects[Key] = Body


def stream() -> Any:
    from crm_local.firehose import DeliveryStream

    return DeliveryStream("EventArchiveStream", "crm-test-stream", "analytics", "events/dt=!{timestamp:yyyy-MM-dd}/",
                          "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/", ".parquet", 900, 128)


def deliver(*events: Any) -> FakeS3:
    """The events through a local Firehose, flushed; the objects it wrote."""
    from crm_local.firehose import LocalFirehose

    s3 = FakeS3()
    firehose = LocalFirehose(stream(), s3)
    for event in events:
        firehose.put(event if isinstance(event, bytes) else json.dumps(event).encode())
    firehose.flush()
    return s3


def read(body: bytes) -> Any:
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(body))


def bus_event(detail: dict[str, Any], detail_type: str = "Contact Created", time: str = "2026-12-04T15:39:26Z",
              **envelope: Any) -> dict[str, Any]:
    return {"version": "0", "id": "0f6c3e1d-58a4-4d05-9a07-1b1c2b0d4e5f", "detail-type": detail_type,
            "source": "crm", "account": "123456789012", "time": time, "region": "us-east-1",
            "resources": [], "detail": detail, **envelope}


def test_the_glue_table_has_exactly_the_schema_modules_columns(resources):
    from crm.analytics.schema import EVENTS_PREFIX, PARTITION, TABLE, columns

    # Given the Glue table template.yaml declares
    table = table_input(resources)
    # Then its columns, partition key, name and location are the schema module's
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == list(columns())
    assert [(k["Name"], k["Type"]) for k in table["PartitionKeys"]] == [PARTITION]
    assert table["Name"] == TABLE
    assert table["StorageDescriptor"]["Location"] == {"Fn::Sub": f"s3://${{AnalyticsBucket}}/{EVENTS_PREFIX}"}
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith(".ParquetHiveSerDe")


def test_athena_finds_the_partitions_firehose_writes_without_a_crawler(resources):
    from crm.analytics.schema import EVENTS_PREFIX, PARTITION

    # Given the table's partition projection and the stream's prefix
    parameters = table_input(resources)["Parameters"]
    name = PARTITION[0]
    # Then the projection is a daily date in Firehose's yyyy-MM-dd, at the folders the stream writes
    assert parameters["projection.enabled"] == "true"
    assert (parameters[f"projection.{name}.type"], parameters[f"projection.{name}.format"]) == ("date", "yyyy-MM-dd")
    assert parameters["storage.location.template"] == {
        "Fn::Sub": f"s3://${{AnalyticsBucket}}/{EVENTS_PREFIX}{name}=${{!{name}}}/"}
    assert destination(resources)["Prefix"] == f"{EVENTS_PREFIX}{name}=!{{timestamp:yyyy-MM-dd}}/"


def test_firehose_converts_by_the_events_table_with_the_schemas_key_mapping(resources):
    from crm.analytics.schema import JSON_KEYS

    # Given the delivery stream's format conversion
    conversion = destination(resources)["DataFormatConversionConfiguration"]
    # Then it reads JSON by the schema module's key mapping, writes Parquet, by the events table's schema
    assert conversion["Enabled"] is True
    deserializer = conversion["InputFormatConfiguration"]["Deserializer"]
    assert deserializer["OpenXJsonSerDe"]["ColumnToJsonKeyMappings"] == JSON_KEYS
    assert "ParquetSerDe" in conversion["OutputFormatConfiguration"]["Serializer"]
    assert conversion["SchemaConfiguration"]["TableName"] == {"Ref": "EventsTable"}
    assert conversion["SchemaConfiguration"]["DatabaseName"] == {"Ref": "AnalyticsDatabase"}


def test_the_archive_rule_takes_every_event_the_outbox_publishes(resources):
    from crm.records.outbox import EVENT_SOURCE
    from crm_local.patterns import matches

    # Given the rule whose target is the delivery stream
    rule = resources["EventArchiveRule"]["Properties"]
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["EventArchiveStream", "Arn"]}
    assert rule["Targets"][0]["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["EventArchiveDLQ", "Arn"]}
    # Then any event the outbox publishes, whatever its type and detail, matches it; another source's does not
    for detail_type in ("Contact Created", "Payment Succeeded", "Contact Erased", "A Type Added Next Year"):
        assert matches(rule["EventPattern"], bus_event({"contact_id": "c1"}, detail_type, source=EVENT_SOURCE))
    assert not matches(rule["EventPattern"], bus_event({}, source="aws.s3"))


def test_the_local_firehose_writes_exactly_the_tables_columns():
    from crm.analytics.schema import DETAIL, EVENT_COLUMNS

    # Given an event with every whitelisted key
    detail = {name: {"string": "x", "bigint": 12, "int": 3, "boolean": True}[kind] for name, kind in DETAIL}
    # When the local Firehose writes it
    [(key, body)] = deliver(bus_event(detail)).objects.items()
    # Then the file's columns and types are the Glue table's, and every value is there
    schema = read(body).schema
    assert [(f.name, str(f.type)) for f in schema][:len(EVENT_COLUMNS)] == [
        (name, GLUE_TO_ARROW[kind].replace("[ms]", "[ns]")) for name, kind in EVENT_COLUMNS]
    struct = schema.field("detail").type
    assert [(struct.field(i).name, str(struct.field(i).type)) for i in range(struct.num_fields)] == [
        (name, GLUE_TO_ARROW[kind]) for name, kind in DETAIL]
    [row] = read(body).to_pylist()
    assert row["detail"] == detail
    assert (row["detail_type"], row["time"]) == ("Contact Created", dt.datetime(2026, 12, 4, 15, 39, 26))
    assert key.startswith("events/dt=2026-12-04/crm-test-stream-1-") and key.endswith(".parquet")


def test_a_file_goes_under_the_utc_day_of_its_events_time():
    # Given events a second before and after midnight UTC, one stamped in Tehran's offset
    events = [bus_event({}, time="2026-03-15T23:59:59Z"), bus_event({}, time="2026-03-16T00:00:01Z"),
              bus_event({}, time="2026-03-16T02:00:00+03:30")]
    # When they are written
    objects = deliver(*events).objects
    # Then each day's are under its own partition, by UTC
    days = sorted((key.split("/")[1], read(body).num_rows) for key, body in objects.items())
    assert days == [("dt=2026-03-15", 2), ("dt=2026-03-16", 1)]


def test_keys_outside_the_whitelist_never_reach_the_file():
    # Given an event whose detail carries a person's name, email and phone beside its ids, and an extra envelope key
    detail = {"contact_id": "c-42", "email": "leyla.ahmadi@example.com", "first_name": "Leyla",
              "Phone": "+989123456789", "fields": ["email"], "nested": {"name": "Leyla Ahmadi"}}
    # When it is written
    [body] = deliver(bus_event(detail, note="Leyla Ahmadi")).objects.values()
    # Then the id is kept and none of the rest is in the file, decoded or in its bytes
    [row] = read(body).to_pylist()
    assert row["detail"]["contact_id"] == "c-42"
    assert "note" not in row and set(row["detail"]) >= {"contact_id"}
    for secret in (b"leyla", b"Leyla", b"9123456789", b"nested"):
        assert secret not in body


def test_a_record_that_does_not_fit_the_schema_goes_to_the_error_prefix_not_the_table():
    # Given an event whose amount is text and one that is not JSON, beside a good one
    good = bus_event({"amount_minor": 4900})
    # When they are written
    objects = deliver(bus_event({"amount_minor": "forty-nine"}), b"not json", good).objects
    # Then the good one is in the table, the two others are error records with their raw data
    parquet = [key for key in objects if key.startswith("events/")]
    errors = [key for key in objects if key.startswith("errors/format-conversion-failed/dt=")]
    assert len(parquet) == 1 and read(objects[parquet[0]]).num_rows == 1
    [error_file] = errors
    records = [json.loads(line) for line in objects[error_file].decode().splitlines()]
    assert len(records) == 2 and all("rawData" in r and r["lastErrorMessage"] for r in records)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 40), 2 ** 40), st.text(max_size=30))
detail_keys = st.one_of(st.sampled_from(["contact_id", "deal_id", "stage", "email", "first_name", "phone",
                                         "name", "message", "Contact_ID", "address"]),
                        st.text(min_size=1, max_size=12))


@given(details=st.lists(st.dictionaries(detail_keys, st.one_of(json_scalars, st.dictionaries(
    st.text(max_size=5), json_scalars, max_size=2)), max_size=8), min_size=1, max_size=5))
def test_random_event_details_produce_files_with_only_whitelisted_keys(details):
    from crm.analytics.schema import DETAIL, EVENT_COLUMNS

    # Given events with random details (whitelisted keys among them, of any value, and any other key)
    # When they are written
    objects = deliver(*(bus_event(detail) for detail in details)).objects
    # Then every file holds the table's columns and nothing else, and no value of a key outside the
    # whitelist is in a file's decoded values
    whitelist = {name for name, _ in DETAIL}
    outside = {str(value) for detail in details for key, value in detail.items()
               if key.lower() not in whitelist and isinstance(value, str) and len(value) >= 4}
    inside = {str(value) for detail in details for key, value in detail.items() if key.lower() in whitelist}
    rows = 0
    for key, body in objects.items():
        if key.startswith("errors/"):
            continue
        table = read(body)
        assert table.column_names == [name for name, _ in EVENT_COLUMNS] + ["detail"]
        for row in table.to_pylist():
            rows += 1
            assert set(row["detail"]) == whitelist
            values = {str(v) for v in row["detail"].values() if v is not None}
            assert not (outside - inside) & values
    assert rows + sum(len(body.splitlines()) for key, body in objects.items() if key.startswith("errors/")) == len(
        details)


def test_every_event_the_bench_represents_converts_into_the_table():
    from bench.analytics_store import MIX, representative_events, write_in_files

    # Given the bench's representative events, every type the product publishes in its mix
    events = representative_events(600, monthly=100_000)
    assert {json.loads(e)["detail-type"] for e in events} == {kind for kind, _ in MIX}
    # When they are written in files of 100 events / Then every one converts (a failure would be an error record)
    files, size = write_in_files(events, 100)
    assert files >= 6 and size > 0
