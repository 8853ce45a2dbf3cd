"""The analytical store on the in-process local stack: every event on the bus lands as Parquet in the
analytics bucket under its UTC day, with the events table's columns only, and a person's personal data never
reaches it, so a GDPR erase has nothing to remove there (decision 0046)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from tests.conftest import sample_event
from tests.support.api_client import ApiClient
from tests.support.local_stack import drain
from tests.support.signing import stripe_header

admin = ApiClient("admin", "admin-1")
sales = ApiClient("sales", "sales-1")


def run(stack: Any) -> None:
    drain(stack.pollers(stack.functions.invoke))


def objects(stack: Any) -> dict[str, bytes]:
    """Every object in the analytics bucket, by key."""
    s3, bucket = stack.client("s3"), stack.name("AnalyticsBucket")
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in page.get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def read(body: bytes) -> Any:
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(body))


def put_on_bus(stack: Any, detail_type: str, detail: dict[str, Any], time: str | None = None) -> None:
    entry: dict[str, Any] = {"Source": "crm", "DetailType": detail_type, "Detail": json.dumps(detail),
                             "EventBusName": stack.name("CrmEventBus")}
    if time:
        entry["Time"] = time
    assert stack.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def strings(value: Any) -> Iterator[str]:
    """Every text value inside a decoded row."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_an_event_on_the_bus_lands_as_parquet_under_its_day_and_reads_back(in_process_stack, tmp_path):
    import duckdb
    from crm.analytics.schema import DETAIL, EVENT_COLUMNS

    stack = in_process_stack
    # Given a deal's stage change announced on the bus just before midnight UTC
    put_on_bus(stack, "Deal Stage Changed", {"event_id": "e-1", "deal_id": "d-1", "contact_id": "c-1",
                                             "pipeline_id": "default", "from": "demo", "to": "proposal"},
               time="2026-03-15T23:59:30Z")
    # When the stack dispatches it
    run(stack)
    # Then one Parquet file holds it, under that day's partition of the analytics bucket
    stored = objects(stack)
    [key] = stored
    assert key.startswith("events/dt=2026-03-15/") and key.endswith(".parquet")
    # And it reads back with the table's columns and the event's values
    table = read(stored[key])
    assert table.column_names == [name for name, _ in EVENT_COLUMNS] + ["detail"]
    [row] = table.to_pylist()
    assert (row["detail_type"], row["source"], str(row["time"])) == ("Deal Stage Changed", "crm", "2026-03-15 23:59:30")
    assert set(row["detail"]) == {name for name, _ in DETAIL}
    assert {k: v for k, v in row["detail"].items() if v is not None} == {
        "event_id": "e-1", "deal_id": "d-1", "contact_id": "c-1", "pipeline_id": "default", "from": "demo",
        "to": "proposal"}
    # And DuckDB reads the bucket's layout as the table, its partition included (a string, as in Glue)
    (tmp_path / key).parent.mkdir(parents=True)
    (tmp_path / key).write_bytes(stored[key])
    files = f"{tmp_path}/events/*/*.parquet"
    found = duckdb.execute("SELECT dt, detail_type, detail.\"to\", time FROM read_parquet(?, hive_partitioning = true, "
                           "hive_types = {'dt': VARCHAR})", [files]).fetchall()
    assert [(d, t, to, str(at)) for d, t, to, at in found] == [
        ("2026-03-15", "Deal Stage Changed", "proposal", "2026-03-15 23:59:30")]


def test_a_detail_key_outside_the_schema_never_reaches_the_file(in_process_stack):
    stack = in_process_stack
    # Given an event whose detail smuggles a person's email address and name beside the contact's id
    put_on_bus(stack, "Contact Updated", {"event_id": "e-2", "contact_id": "c-2",
                                          "email": "smuggled.person@example.org", "full_name": "Smuggled Person"})
    # When it is dispatched
    run(stack)
    # Then the file holds the event and its id, and neither the address nor the name, decoded or as bytes
    [body] = objects(stack).values()
    [row] = read(body).to_pylist()
    assert (row["detail_type"], row["detail"]["contact_id"]) == ("Contact Updated", "c-2")
    assert not any("smuggled" in text.lower() for text in strings(row))
    assert b"muggled" not in body and b"example.org" not in body


# Her name typed into `source` too: staff may type anything there, and the store must not keep it.
PERSON = {"first_name": "Leyla", "last_name": "Ahmadi-Rostami", "email": "Leyla.Ahmadi@Example.ir",
          "phone": "+98 912 345 6789", "source": "Leyla Ahmadi's cousin"}
UPDATED = {"last_name": "Rostamizadeh", "job_title": "Procurement Lead", "company": "Tabriz Textiles"}
# Every form in which the person's data could appear: as typed, normalized, in part.
PERSONAL = ("Leyla", "leyla", "Ahmadi", "Rostami", "Rostamizadeh", "Leyla.Ahmadi@Example.ir",
            "leyla.ahmadi@example.ir", "example.ir", "+989123456789", "9123456789", "912 345 6789",
            "Procurement Lead", "Tabriz Textiles")


def stripe_payment(email: str) -> dict[str, Any]:
    from crm.platform.config import get_settings

    raw = json.dumps({"id": "evt_analytics_1", "object": "event", "type": "payment_intent.succeeded",
                      "created": 1_795_521_600, "data": {"object": {
                          "id": "pi_analytics_1", "object": "payment_intent", "amount_received": 129_000,
                          "currency": "eur", "receipt_email": email, "description": "Leyla Ahmadi's licences",
                          "metadata": {}}}})
    event = sample_event("payment_webhook_stripe.json", body=raw)
    event["headers"]["stripe-signature"] = stripe_header(raw, get_settings().stripe_webhook_secret)
    return event


def test_after_an_erase_no_parquet_file_holds_anything_of_the_person(in_process_stack):
    from crm.analytics.schema import DETAIL, EVENT_COLUMNS

    stack = in_process_stack
    # Given a contact created with a known name, email and phone, then updated
    created = sales.post("/v1/contacts", PERSON)
    assert created.status == 201, created.body
    contact_id = created.body["id"]
    updated = sales.patch(f"/v1/contacts/{contact_id}", UPDATED, version=created.body["version"])
    assert updated.status == 200, updated.body
    # And given a deal and a call named after them, the deal moved on, and their payment by Stripe
    deal = sales.post("/v1/deals", {"name": "Leyla Ahmadi's licences", "contact_id": contact_id})
    assert deal.status == 201, deal.body
    moved = sales.patch(f"/v1/deals/{deal.body['id']}", {"stage": "proposal"}, version=deal.body["version"])
    assert moved.status == 200, moved.body
    assert sales.post("/v1/activities", {"type": "call", "subject": "Call Leyla Ahmadi about the licences",
                                         "contact_id": contact_id}).status == 201
    paid = stack.functions.invoke("PaymentWebhookFunction", stripe_payment(PERSON["email"]))
    assert paid["statusCode"] == 200, paid
    run(stack)
    # When the person is erased through the API, and what that announces is dispatched
    assert admin.post(f"/v1/contacts/{contact_id}/erase", None).status == 200
    run(stack)
    # Then the store holds their history, by id: each of these events is in a Parquet file
    stored = objects(stack)
    assert stored and all(key.startswith("events/dt=") and key.endswith(".parquet") for key in stored)
    rows = [row for body in stored.values() for row in read(body).to_pylist()]
    about_them = {row["detail_type"] for row in rows if contact_id in (row["detail"] or {}).values()}
    assert {"Contact Created", "Contact Updated", "Deal Stage Changed", "Activity Logged", "Payment Succeeded",
            "Contact Erased"} <= about_them
    assert any(row["detail"]["amount_minor"] == 129_000 for row in rows)
    # And every file holds only the whitelisted columns and keys
    whitelist = {name for name, _ in DETAIL}
    for body in stored.values():
        table = read(body)
        assert table.column_names == [name for name, _ in EVENT_COLUMNS] + ["detail"]
        assert {field.name for field in table.schema.field("detail").type} == whitelist
    # And no file holds any of their personal data: not in its decoded values, not in its bytes
    values = [text.casefold() for row in rows for text in strings(row)]
    for personal in PERSONAL:
        assert not any(personal.casefold() in value for value in values), personal
        assert all(personal.encode() not in body for body in stored.values()), personal


def test_an_event_of_another_source_is_not_stored(in_process_stack):
    stack = in_process_stack
    # Given an event on the bus from a source other than the CRM's
    entry = {"Source": "partner.app", "DetailType": "Contact Created", "Detail": json.dumps({"contact_id": "x"}),
             "EventBusName": stack.name("CrmEventBus")}
    assert stack.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0
    # When the stack dispatches / Then the rule's pattern, as template.yaml declares it, keeps it out of the store
    run(stack)
    assert objects(stack) == {}
