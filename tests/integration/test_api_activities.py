"""Activities through the clients' API over moto: CRUD with If-Match, links that must exist, reminders,
timelines of the linked contact and deal, the event lead scoring scores, and support's customers-only rule."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api_client import ApiClient

admin = ApiClient("admin")
sales = ApiClient("sales", user="sales-1")
marketing = ApiClient("marketing", user="marketing-1")
support = ApiClient("support", user="support-1")


def table_items(aws) -> list[dict]:
    from tests.conftest import table_items as dump

    return dump(aws["dynamodb"], aws["settings"].table_name)


def events(aws, detail_type: str) -> list[dict]:
    return [json.loads(i["detail"]["S"]) for i in table_items(aws)
            if i["PK"]["S"].startswith("OUTBOX#") and i["detail_type"]["S"] == detail_type]


def new_contact(stage: str = "lead") -> dict:
    return sales.post("/v1/contacts", {"first_name": "Sara", "lifecycle_stage": stage}).body


def new_activity(client: ApiClient = sales, **fields) -> dict:
    response = client.post("/v1/activities", {"type": "task", "subject": "Call back", **fields})
    assert response.status == 201, response.body
    return response.body


def test_an_activity_is_created_read_updated_and_deleted_with_its_versions(aws):
    # Given a contact
    contact = new_contact()
    # When sales logs a call due in Tehran time with a reminder before it
    created = sales.post("/v1/activities", {"type": "call", "subject": " Pricing call ", "contact_id": contact["id"],
                                            "due_at": "2026-12-01T10:30:00+03:30", "remind_at": "2026-12-01T06:00Z"})
    # Then it is stored in UTC, not done
    assert created.status == 201 and created.headers["etag"] == '"1"'
    activity = created.body
    assert (activity["type"], activity["subject"], activity["due_at"], activity["remind_at"], activity["done"]) == \
        ("call", "Pricing call", "2026-12-01T07:00:00Z", "2026-12-01T06:00:00Z", False)
    path = f"/v1/activities/{activity['id']}"
    assert marketing.get(path).body == activity
    # When it is marked done, then done_at is set; undone clears it
    done = sales.patch(path, {"done": True}, version=1).body
    assert (done["done"], done["version"]) == (True, 2) and done["done_at"]
    undone = sales.patch(path, {"done": False, "body": "Left a message"}, version=2).body
    assert (undone["done"], undone["done_at"], undone["body"]) == (False, None, "Left a message")
    # And a stale version, a moved-past reminder or an unknown id change nothing
    assert sales.patch(path, {"subject": "X"}, version=2).status == 412
    assert sales.patch(path, {"remind_at": "2026-12-02T00:00:00Z"}, version=3).body["error"]["fields"] == \
        {"remind_at": "A reminder is at or before the due time."}
    assert sales.patch("/v1/activities/nope", {"subject": "X"}).status == 404
    assert sales.get(path).body == undone
    # And deleting removes it
    assert sales.delete(path, version=3).status == 204
    assert sales.get(path).status == 404
    assert sorted(e["activity_id"] for e in events(aws, "Activity Updated")) == [activity["id"]] * 2
    assert [e["activity_id"] for e in events(aws, "Activity Deleted")] == [activity["id"]]


def test_logging_an_activity_puts_it_on_the_contact_and_deal_timelines_and_lead_scoring_hears_of_it(aws):
    # Given a contact with a deal
    contact = new_contact()
    deal = sales.post("/v1/deals", {"name": "Licences", "contact_id": contact["id"]}).body
    # When a meeting is logged on both
    activity = new_activity(type="meeting", subject="Demo", contact_id=contact["id"], deal_id=deal["id"])
    # Then both timelines show it, newest first
    deal_timeline = sales.get(f"/v1/deals/{deal['id']}/timeline").body["items"]
    assert [e["type"] for e in deal_timeline] == ["activity_logged", "deal_created"]
    assert (deal_timeline[0]["summary"], deal_timeline[0]["data"]["activity_id"]) == ("Meeting: Demo", activity["id"])
    contact_timeline = sales.get(f"/v1/contacts/{contact['id']}/timeline").body["items"]
    assert [e["type"] for e in contact_timeline] == ["activity_logged", "deal_created", "created"]
    # And `Activity Logged` names the contact and carries an event id, as lead scoring needs
    logged, = events(aws, "Activity Logged")
    assert (logged["contact_id"], logged["deal_id"], logged["activity_type"]) == (contact["id"], deal["id"], "meeting")
    assert logged["event_id"]


def test_an_activity_without_a_contact_is_announced_as_created_not_logged(aws):
    company = sales.post("/v1/companies", {"name": "Acme"}).body
    activity = new_activity(type="note", company_id=company["id"])
    assert events(aws, "Activity Logged") == []
    assert [e["activity_id"] for e in events(aws, "Activity Created")] == [activity["id"]]


@pytest.mark.parametrize("body", [
    {}, {"type": "task", "subject": "No link"}, {"type": "email", "subject": "X", "contact_id": "c"},
    {"subject": "No type", "deal_id": "d"}, {"type": "task", "subject": "", "deal_id": "d"},
    {"type": "task", "subject": "X", "contact_id": "nope"}, {"type": "task", "subject": "X", "deal_id": "nope"},
    {"type": "task", "subject": "X", "company_id": "nope"},
    {"type": "task", "subject": "X", "due_at": "2026-12-01T10:00:00", "company_id": "nope"},
    {"type": "task", "subject": "X", "due_at": "tomorrow"}, {"type": "task", "subject": "X", "due_at": 1700000000},
    {"type": "task", "subject": "X", "remind_at": "2026-12-01T10:00:00Z"},
    {"type": "task", "subject": "X", "done": "yes"}, {"type": "task", "subject": "X", "priority": 1},
    {"type": "task", "subject": "x" * 501}, {"type": "task", "subject": "X", "custom_fields": {"nope": 1}},
])
def test_bad_activities_are_422_and_write_nothing(aws, body):
    before = table_items(aws)
    response = sales.post("/v1/activities", body)
    assert response.status == 422, response.body
    assert response.body["error"]["fields"]
    assert table_items(aws) == before


activity_values = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30),
                            st.sampled_from(["2026-12-01T10:00:00Z", "2026-12-01", "task", "note"]),
                            st.lists(st.integers(), max_size=2))
activity_bodies = st.dictionaries(st.sampled_from(["type", "subject", "body", "due_at", "remind_at", "done", "owner",
                                                   "contact_id", "deal_id", "custom_fields", "extra"]),
                                  activity_values, max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(body=activity_bodies)
def test_any_activity_body_from_support_is_refused_with_a_4xx_that_writes_nothing(aws, body):
    # Support may log only on customers, and these bodies name none that exists
    before = table_items(aws)
    response = support.post("/v1/activities", body)
    assert 400 <= response.status < 500 and "error" in response.body, response.body
    assert table_items(aws) == before


def test_activities_list_by_due_date_or_newest_first_with_filters(aws):
    # Given three activities of two owners, one without a due date, one done
    contact = new_contact()
    new_activity(subject="A", contact_id=contact["id"], owner="u1", due_at="2026-12-03T00:00:00Z")
    second = new_activity(subject="B", contact_id=contact["id"], owner="u2")
    new_activity(type="call", subject="C", contact_id=new_contact()["id"], owner="u2", due_at="2026-12-01T00:00:00Z")
    sales.patch(f"/v1/activities/{second['id']}", {"done": True}, version=1)
    def subjects(response: Any) -> list[str]:
        return [a["subject"] for a in response.body["items"]]

    # Then they list newest first, or by due date (none last), and filter on any ordering
    assert subjects(marketing.get("/v1/activities")) == ["C", "B", "A"]
    assert subjects(sales.get("/v1/activities", sort="due_at")) == ["C", "A", "B"]
    assert subjects(sales.get("/v1/activities", sort="-due_at", owner="u2")) == ["B", "C"]
    assert subjects(sales.get("/v1/activities", sort="due_at", contact_id=contact["id"])) == ["A", "B"]
    assert subjects(sales.get("/v1/activities", contact_id=contact["id"], done="true")) == ["B"]
    assert subjects(sales.get("/v1/activities", type="call")) == ["C"]
    assert subjects(sales.get("/v1/activities", done="false", owner="u2")) == ["C"]
    assert sales.get("/v1/activities", done="maybe").status == 400


def test_support_reads_and_writes_activities_of_customers_only(aws):
    # Given a customer and a lead, each with an activity logged by sales
    customer, lead = new_contact("customer"), new_contact("lead")
    on_customer = new_activity(contact_id=customer["id"])
    on_lead = new_activity(contact_id=lead["id"])
    before = table_items(aws)
    # When support logs on the lead, or on no contact / Then refused, nothing written
    refused = support.post("/v1/activities", {"type": "note", "subject": "X", "contact_id": lead["id"]})
    assert refused.status == 422
    assert refused.body["error"]["fields"] == {"contact_id": "There is no customer with this id."}
    assert support.post("/v1/activities", {"type": "note", "subject": "X", "deal_id": "d"}).status == 422
    assert support.patch(f"/v1/activities/{on_customer['id']}", {"contact_id": lead["id"]}).status == 422
    assert table_items(aws) == before
    # And support sees the lead's activity nowhere
    assert support.get(f"/v1/activities/{on_lead['id']}").status == 404
    assert support.patch(f"/v1/activities/{on_lead['id']}", {"done": True}).status == 404
    assert support.delete(f"/v1/activities/{on_lead['id']}").status == 404
    assert support.get("/v1/activities", contact_id=lead["id"]).status == 400
    assert support.get("/v1/activities").status == 400
    # When support logs on the customer / Then it is written and listed
    mine = new_activity(support, type="call", subject="Invoice question", contact_id=customer["id"])
    assert support.get(f"/v1/activities/{on_customer['id']}").status == 200
    assert support.patch(f"/v1/activities/{mine['id']}", {"done": True}, version=1).body["done"] is True
    assert {a["id"] for a in support.get("/v1/activities", contact_id=customer["id"]).body["items"]} == \
        {on_customer["id"], mine["id"]}
    # And marketing only reads
    note = {"type": "note", "subject": "X", "contact_id": customer["id"]}
    assert marketing.post("/v1/activities", note).status == 403
