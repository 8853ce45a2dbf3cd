"""Operations on a contact as a whole, through the clients' API over moto: reassign it with its open deals
and activities, merge a duplicate into it (resuming after a crash), and erase the person (GDPR)."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import table_items
from tests.integration.test_email_ingest import INBOUND_BUCKET, receive
from tests.integration.test_lead_capture import body, submit_json
from tests.integration.test_payment_webhook import deliver_stripe, paid, stripe_event
from tests.support.api_client import ApiClient
from tests.support.mail import message, with_attachment

admin = ApiClient("admin", user="admin-1")
sales = ApiClient("sales", user="sales-1")
CLOSE = "2026-12-31"


def dump(aws: dict[str, Any]) -> list[dict[str, Any]]:
    return table_items(aws["dynamodb"], aws["settings"].table_name)


def new_contact(**fields: Any) -> dict[str, Any]:
    created = sales.post("/v1/contacts", fields)
    assert created.status == 201, created.body
    return created.body


def related(kind: str, contact_id: str, owner: str, **state: Any) -> str:
    """A deal or an activity keyed the way the deals/activities API keys them (their routes come later)."""
    from crm.activities.spec import ActivityItem
    from crm.deals.spec import DealItem

    model, group, prefix = (DealItem, "DEALS", "DEAL_OWNER") if kind == "deal" else \
        (ActivityItem, "ACTIVITIES", "ACTIVITY_OWNER")
    record_id = f"{kind}-{uuid.uuid4().hex}"
    extra = {"deal_id": record_id, "name": "Deal"} if kind == "deal" else \
        {"activity_id": record_id, "activity_type": "call", "subject": "Call back"}
    model(*model.key(record_id), contact_id=contact_id, owner=owner, created_at="2026-11-24T00:00:00Z",
          updated_at="2026-11-24T00:00:00Z", version=1, order_key=f"{CLOSE}#{record_id}",
          GSI3PK=f"CONTACT#{contact_id}#{group}", GSI4PK=f"{prefix}#{owner}", **extra, **state).save()
    return record_id


def record(kind: str, record_id: str) -> Any:
    from crm.activities.spec import ActivityItem
    from crm.deals.spec import DealItem

    model = DealItem if kind == "deal" else ActivityItem
    return model.get(*model.key(record_id), consistent_read=True)


def audit_of(entity: str, entity_id: str) -> list[dict[str, Any]]:
    return admin.get("/v1/audit", entity=f"{entity}:{entity_id}").body["items"]


def outbox(aws: dict[str, Any], detail_type: str) -> list[dict[str, Any]]:
    return [json.loads(i["detail"]["S"]) for i in dump(aws)
            if i["PK"]["S"].startswith("OUTBOX#") and i["detail_type"]["S"] == detail_type]


def reassign(contact_id: str, owner: Any, client: ApiClient = sales, version: int | None = None,
             **flags: bool) -> Any:
    headers = {"if-match": f'"{version}"'} if version is not None else None
    return client.call("POST", f"/v1/contacts/{contact_id}/reassign", {"owner": owner, **flags}, headers=headers)


# ---------------------------------------------------------------------------------------------- reassign


def test_reassigning_moves_the_contact_with_its_open_deals_and_activities_in_one_change(aws):
    # Given a contact owned by sales-1 with an open and a won deal, a pending and a done activity
    contact = new_contact(first_name="Ali", owner="sales-1")
    cid = contact["id"]
    open_deal, won_deal = related("deal", cid, "sales-1", status="open"), related("deal", cid, "sales-1", status="won")
    todo, done = related("activity", cid, "sales-1", done=False), related("activity", cid, "sales-1", done=True)
    # When it is reassigned to sales-2 with the version read
    response = reassign(cid, "sales-2", version=1)
    # Then the contact, the open deal and the pending activity belong to sales-2; the closed ones stay
    assert response.status == 200, response.body
    assert response.body["contact"]["owner"] == "sales-2" and response.body["contact"]["version"] == 2
    assert response.body["moved"] == {"deals": [open_deal], "activities": [todo]}
    assert [record("deal", open_deal).owner, record("deal", won_deal).owner] == ["sales-2", "sales-1"]
    assert [record("activity", todo).owner, record("activity", done).owner] == ["sales-2", "sales-1"]
    assert record("deal", open_deal).GSI4PK == "DEAL_OWNER#sales-2"
    assert record("activity", todo).GSI4PK == "ACTIVITY_OWNER#sales-2"
    # And the contact lists under its new owner
    listed = sales.get("/v1/contacts", owner="sales-2").body["items"]
    assert [c["id"] for c in listed] == [cid]
    # And history is kept: the timeline says who changed what, each record is audited, one event tells it
    entry = sales.get(f"/v1/contacts/{cid}/timeline").body["items"][0]
    assert entry["summary"] == "Owner changed from sales-1 to sales-2" and entry["data"]["by"] == "sales-1"
    assert audit_of("contact", cid)[0]["changes"]["owner"] == {"before": "sales-1", "after": "sales-2"}
    assert audit_of("deal", open_deal)[0]["changes"] == {"owner": {"before": "sales-1", "after": "sales-2"}}
    assert audit_of("activity", todo)[0]["action"] == "reassign"
    assert audit_of("deal", won_deal) == []
    [event] = outbox(aws, "Contact Reassigned")
    assert (event["from"], event["to"], event["deals"], event["activities"]) == \
        ("sales-1", "sales-2", [open_deal], [todo])


def test_reassigning_can_leave_deals_and_activities_where_they_are(aws):
    cid = new_contact(first_name="Sara", owner="sales-1")["id"]
    deal = related("deal", cid, "sales-1", status="open")
    response = reassign(cid, "marketing-1", include_open_deals=False, include_open_activities=False)
    assert response.status == 200 and response.body["moved"] == {}
    assert record("deal", deal).owner == "sales-1"


def test_reassigning_more_records_than_one_transaction_holds_moves_them_all(aws):
    # Given a contact with more open deals than one transaction holds
    cid = new_contact(first_name="Big", owner="sales-1")["id"]
    deals = {related("deal", cid, "sales-1", status="open") for _ in range(70)}
    # When it is reassigned
    response = reassign(cid, "sales-2")
    # Then the contact and every deal belong to sales-2, each deal audited, and one timeline entry tells it
    assert response.status == 200, response.body
    assert set(response.body["moved"]["deals"]) == deals
    assert {record("deal", d).owner for d in deals} == {"sales-2"}
    assert all(audit_of("deal", d)[0]["action"] == "reassign" for d in deals)
    assert [e["summary"] for e in sales.get(f"/v1/contacts/{cid}/timeline").body["items"]].count(
        "Owner changed from sales-1 to sales-2") == 1


def test_a_reassignment_stopped_part_way_is_finished_by_repeating_it(aws, monkeypatch):
    from crm.records import writes as records

    # Given a reassignment of many deals whose last transaction fails (someone changed a deal meanwhile)
    cid = new_contact(first_name="Big", owner="sales-1")["id"]
    deals = {related("deal", cid, "sales-1", status="open") for _ in range(70)}
    commit, commits = records.Change.commit, []

    def second_fails(change: Any) -> None:
        commits.append(change)
        if len(commits) == 2:
            raise records.HttpError(409, "changed_meanwhile", "A deal of this contact changed meanwhile.")
        commit(change)

    monkeypatch.setattr(records.Change, "commit", second_fails)
    stopped = reassign(cid, "sales-2")
    # Then it is a 409, the contact keeps its owner, and the deals of the first batch have moved
    assert (stopped.status, stopped.body["error"]["code"]) == (409, "changed_meanwhile")
    assert sales.get(f"/v1/contacts/{cid}").body["owner"] == "sales-1"
    assert 0 < sum(record("deal", d).owner == "sales-2" for d in deals) < len(deals)
    # When it is repeated
    monkeypatch.undo()
    finished = reassign(cid, "sales-2")
    # Then the rest moves with the contact
    assert finished.status == 200, finished.body
    assert {record("deal", d).owner for d in deals} == {"sales-2"}
    assert sales.get(f"/v1/contacts/{cid}").body["owner"] == "sales-2"


def test_reassigning_more_records_than_one_request_moves_is_a_409_that_changes_nothing(aws, monkeypatch):
    from crm.contacts import moves as contact_moves

    monkeypatch.setattr(contact_moves, "MAX_REASSIGNED", 3)
    cid = new_contact(first_name="Big", owner="sales-1")["id"]
    for _ in range(4):
        related("deal", cid, "sales-1", status="open")
    before = dump(aws)
    response = reassign(cid, "sales-2")
    assert (response.status, response.body["error"]["code"]) == (409, "too_many_records")
    assert "include_open_deals" in response.body["error"]["message"]
    assert dump(aws) == before


@pytest.mark.parametrize(("client", "contact_id", "payload", "version", "status"), [
    (sales, "no-such-contact", {"owner": "sales-2"}, None, 404),
    (sales, None, {"owner": "sales-2"}, 7, 412),
    (ApiClient("support"), None, {"owner": "sales-2"}, None, 403),
    (sales, None, {"owner": ""}, None, 422),
    (sales, None, {"owner": "   "}, None, 422),
    (sales, None, {"owner": "x" * 129}, None, 422),
    (sales, None, {"owner": "bad\u0000owner"}, None, 422),
    (sales, None, {"owner": 42}, None, 422),
    (sales, None, {"owner": ["sales-2"]}, None, 422),
    (sales, None, {}, None, 422),
    (sales, None, {"owner": "sales-2", "include_open_deals": "maybe"}, None, 422),
    (sales, None, {"owner": "sales-2", "admin": True}, None, 422),
])
def test_a_rejected_reassignment_is_a_clear_4xx_and_changes_nothing(aws, client, contact_id, payload, version, status):
    # Given a contact with an open deal
    cid = new_contact(first_name="Ali", owner="sales-1")["id"]
    related("deal", cid, "sales-1", status="open")
    before = dump(aws)
    # When a reassignment is refused
    headers = {"if-match": f'"{version}"'} if version is not None else None
    response = client.call("POST", f"/v1/contacts/{contact_id or cid}/reassign", payload, headers=headers)
    # Then the caller is told why, and the table is as it was
    assert response.status == status, response.body
    assert response.body["error"]["code"]
    assert dump(aws) == before


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(owner=st.text(max_size=200))
def test_any_owner_text_is_saved_as_given_or_refused_with_a_422(aws, owner):
    cid = new_contact(first_name="Ali")["id"]
    response = reassign(cid, owner)
    assert response.status in (200, 422), response.body
    if response.status == 200:
        assert response.body["contact"]["owner"] == owner.strip()


# ------------------------------------------------------------------------------------------------- merge


def merge(winner: str, loser: str, client: ApiClient = sales) -> Any:
    return client.post(f"/v1/contacts/{winner}/merge", {"loser_id": loser})


def duplicates(aws: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    """A winner and a loser with their own emails, phones, custom fields, scoring ledger, timeline,
    payment, deal and activity."""
    from crm.contacts.spec import ContactItem
    from crm.payments.spec import PaymentItem

    winner = new_contact(first_name="Ali", email="ali@example.ir", custom_fields={"budget": 100})["id"]
    loser = new_contact(first_name="Ali R.", last_name="Rezaei", email="ali.r@work.example",
                        phone="+98 912 345 6789", job_title="CTO", owner="sales-2",
                        custom_fields={"budget": 5, "authority": "decision maker"})["id"]
    for contact_id, ledger in ((winner, {"e1": {"points": 5}}), (loser, {"e2": {"points": 7}})):
        item = ContactItem.get(*ContactItem.key(contact_id))
        item.update(actions=[ContactItem.engagement.set(ledger)])
    payment_key = "stripe:pi_loser"
    PaymentItem(*PaymentItem.key(payment_key), payment_key=payment_key, provider="stripe", provider_payment_id="pi",
                contact_id=loser, amount_minor=4900, currency="eur", GSI1PK=PaymentItem.contact_list_key(loser),
                GSI1SK=f"2026-11-24#{payment_key}").save()
    records = {"deal": related("deal", loser, "sales-2", status="open"),
               "activity": related("activity", loser, "sales-2", done=False), "payment": payment_key}
    return winner, loser, records


def test_a_merge_moves_the_loser_into_the_winner_and_leaves_a_redirect(aws):
    from crm.contacts.spec import ContactItem, UniqueItem
    from crm.payments.spec import PaymentItem

    # Given two records of one person
    winner, loser, records = duplicates(aws)
    # When the loser is merged into the winner
    response = merge(winner, loser)
    # Then the winner keeps its values and gains the loser's where it had none
    assert response.status == 200, response.body
    merged = response.body["contact"]
    assert (merged["first_name"], merged["last_name"], merged["job_title"], merged["owner"]) == \
        ("Ali", "Rezaei", "CTO", "sales-2")
    assert merged["emails"] == ["ali.r@work.example", "ali@example.ir"] and merged["phones"] == ["+989123456789"]
    assert merged["custom_fields"] == {"budget": 100, "authority": "decision maker"}
    assert set(ContactItem.get(*ContactItem.key(winner)).engagement.as_dict()) == {"e1", "e2"}
    assert response.body["moved"] == {"timeline": 1, "payments": 1, "deals": 1, "activities": 1}
    # And the loser's email and phone now lead to the winner
    for kind, value in (("email", "ali.r@work.example"), ("phone", "+989123456789")):
        assert UniqueItem.get(*UniqueItem.key(kind, value)).contact_id == winner
    assert sales.post("/v1/contacts", {"email": "ALI.R@work.example"}).status == 409
    # And the loser redirects and has left every list
    gone = sales.get(f"/v1/contacts/{loser}")
    assert (gone.status, gone.headers["location"]) == (308, f"/v1/contacts/{winner}")
    for query in ({}, {"sort": "-score"}, {"lifecycle_stage": "lead"}, {"owner": "sales-2"}):
        assert loser not in [c["id"] for c in sales.get("/v1/contacts", **query).body["items"]]
    redirect = ContactItem.get(*ContactItem.key(loser))
    assert redirect.email is None and redirect.GSI1PK is None and redirect.score_key is None
    # And everything the loser had follows: timeline, payment, deal, activity
    timeline = [e["summary"] for e in sales.get(f"/v1/contacts/{winner}/timeline").body["items"]]
    assert timeline[0] == f"Contact {loser} was merged into this one" and timeline.count("Contact created") == 2
    assert PaymentItem.get(*PaymentItem.key(records["payment"])).contact_id == winner
    assert [p["amount_minor"] for p in sales.get("/v1/payments", contact_id=winner).body["items"]] == [4900]
    assert sales.get("/v1/payments", contact_id=loser).body["items"] == []
    assert (record("deal", records["deal"]).contact_id, record("deal", records["deal"]).GSI3PK) == \
        (winner, f"CONTACT#{winner}#DEALS")
    assert record("activity", records["activity"]).contact_id == winner
    # And both contacts are audited, and the merge is announced so that scoring recomputes
    assert audit_of("contact", loser)[0]["changes"]["merged_into"] == {"before": None, "after": winner}
    assert audit_of("contact", winner)[0]["action"] == "merge"
    assert outbox(aws, "Contacts Merged")[0]["loser_id"] == loser
    assert winner in [e["contact_id"] for e in outbox(aws, "Contact Updated")]


@pytest.mark.parametrize(("winner_stage", "loser_stage", "merged_stage"), [
    ("lead", "customer", "customer"), ("customer", "lead", "customer"), ("other", "subscriber", "subscriber"),
    ("mql", "other", "mql")])
def test_a_merge_keeps_the_further_lifecycle_stage_of_the_two(aws, winner_stage, loser_stage, merged_stage):
    # Given two records of one person at different stages of the funnel
    winner = new_contact(first_name="Eleni", lifecycle_stage=winner_stage)["id"]
    loser = new_contact(first_name="Ελένη", email="eleni@example.gr", lifecycle_stage=loser_stage)["id"]
    # When they are merged
    response = merge(winner, loser)
    # Then the merged contact is at the stage the person had reached, and listed under it
    assert (response.status, response.body["contact"]["lifecycle_stage"]) == (200, merged_stage)
    assert winner in [c["id"] for c in sales.get("/v1/contacts", lifecycle_stage=merged_stage).body["items"]]


def test_a_merge_cut_short_after_the_identity_is_finished_by_repeating_it(aws, monkeypatch):
    from crm.contacts import moves as contact_moves
    from crm.payments.spec import PaymentItem

    # Given a merge that crashes right after its identity transaction
    winner, loser, records = duplicates(aws)
    finish = contact_moves.move_dependents

    def crash(*args: Any) -> None:
        raise RuntimeError("the function timed out")

    monkeypatch.setattr(contact_moves, "move_dependents", crash)
    assert merge(winner, loser).status == 503
    assert sales.get(f"/v1/contacts/{loser}").status == 308
    assert PaymentItem.get(*PaymentItem.key(records["payment"])).contact_id == loser
    # When the merge is repeated
    monkeypatch.setattr(contact_moves, "move_dependents", finish)
    response = merge(winner, loser)
    # Then it finishes what was left, without merging the identity twice
    assert response.status == 200, response.body
    assert response.body["moved"] == {"timeline": 1, "payments": 1, "deals": 1, "activities": 1}
    assert PaymentItem.get(*PaymentItem.key(records["payment"])).contact_id == winner
    assert record("deal", records["deal"]).contact_id == winner
    assert len(outbox(aws, "Contacts Merged")) == 1
    # And one more repeat finds nothing left to move
    assert merge(winner, loser).body["moved"] == {"timeline": 0, "payments": 0, "deals": 0, "activities": 0}


def test_merged_mail_and_payments_land_on_the_winner(aws, mail):
    from crm.mail.spec import EmailItem

    # Given a loser that received an email and whose provider customer is linked to it
    winner = new_contact(first_name="Ali", email="ali@example.ir")["id"]
    loser = new_contact(first_name="Ali", email="ali.r@work.example")["id"]
    receive(message(sender="Ali <ali.r@work.example>"))
    linked = deliver_stripe(stripe_event("payment_intent.succeeded", paid("pi_a", email="ali.r@work.example",
                                                                           customer="cus_1"), "evt_a"),
                            secret="whsec_local_development_secret")
    assert linked["body"]["contact_id"] == loser
    # When the loser is merged into the winner
    assert merge(winner, loser).status == 200
    # Then the email names the winner and shows on its timeline
    emails = [e for e in sales.get(f"/v1/contacts/{winner}/timeline").body["items"] if e["type"] == "email_received"]
    assert len(emails) == 1
    assert EmailItem.get(*EmailItem.key(emails[0]["data"]["email_id"])).contact_ids == [winner]
    # And a later payment of the provider's customer (no email) lands on the winner through the link
    later = deliver_stripe(stripe_event("payment_intent.succeeded", paid("pi_b", email=None, customer="cus_1"),
                                        "evt_b"), secret="whsec_local_development_secret")
    assert later["body"]["contact_id"] == winner
    # And new mail from the loser's address lands on the winner
    receive(message(sender="Ali <ali.r@work.example>", subject="Second"))
    summaries = [e["summary"] for e in sales.get(f"/v1/contacts/{winner}/timeline").body["items"]]
    assert "Second" in summaries


@pytest.mark.parametrize("operation", ["merge", "erase"])
def test_an_email_linked_just_before_a_merge_or_erase_lands_where_the_person_is_now(aws, mail, monkeypatch,
                                                                                   operation):
    from crm.mail.store import DynamoMailStore

    # Given a person whose email address was looked up an instant before their record was merged or erased
    winner = new_contact(first_name="Ali")["id"]
    loser = new_contact(first_name="Ali R.", email="ali.r@work.example")["id"]
    stale = {"ali.r@work.example": loser}
    if operation == "merge":
        assert merge(winner, loser).status == 200
    else:
        assert admin.post(f"/v1/contacts/{loser}/erase", None).status == 200
    monkeypatch.setattr(DynamoMailStore, "contacts_by_email", lambda self, keys: {
        k: stale[k] for k in keys if k in stale})
    # When their email is written with that stale link
    raw = message(sender="ali.r@work.example", subject="Order 1042").as_bytes()
    # Then the message (a batch of one) is handed back to SQS for redelivery ...
    with pytest.raises(Exception, match="merged or erased meanwhile"):
        receive(raw, key="inbound/race")
    # ... and nothing was written under the old record
    assert [i for i in dump(aws) if i["PK"]["S"] == f"CONTACT#{loser}" and i["SK"]["S"].startswith("HISTORY#")
            and i["entry_type"]["S"] == "email_received"] == []
    # And when it is delivered again, it lands on the winner, or (erased) on a new contact
    monkeypatch.undo()
    assert receive(raw, key="inbound/race")["batchItemFailures"] == []
    [email] = [i for i in dump(aws) if i["SK"]["S"] == "EMAIL"]
    landed = email["contact_ids"]["L"][0]["S"]
    assert landed == winner if operation == "merge" else landed not in (winner, loser)


@pytest.mark.parametrize("operation", ["merge", "erase"])
def test_a_payment_mapped_just_before_a_merge_or_erase_lands_where_the_person_is_now(aws, monkeypatch, operation):
    from crm.payments import store

    # Given a payer looked up an instant before their record was merged or erased
    winner = new_contact(first_name="Ali")["id"]
    loser = new_contact(first_name="Ali R.", email="ali.r@work.example")["id"]
    if operation == "merge":
        assert merge(winner, loser).status == 200
    else:
        assert admin.post(f"/v1/contacts/{loser}/erase", None).status == 200
    lookups = []
    resolve = store.resolve_payer

    def stale_first(event: Any) -> Any:
        lookups.append(event.event_id)
        return (loser, "ali.r@work.example") if len(lookups) == 1 else resolve(event)

    monkeypatch.setattr(store, "resolve_payer", stale_first)
    # When their payment arrives
    paid_event = deliver_stripe(stripe_event("payment_intent.succeeded", paid("pi_race", email="ali.r@work.example"),
                                             "evt_race"), secret="whsec_local_development_secret")
    # Then it is recorded on the winner, or (erased) on a new contact, and nothing went under the old record
    assert paid_event["status"] == 200 and len(lookups) == 2
    landed = paid_event["body"]["contact_id"]
    assert landed == winner if operation == "merge" else landed not in (winner, loser)
    assert [i for i in dump(aws) if i["PK"]["S"] == f"CONTACT#{loser}" and i["SK"]["S"].startswith("HISTORY#")
            and i["entry_type"]["S"] == "payment_succeeded"] == []


def test_a_form_resubmitted_just_after_a_merge_lands_on_the_winner(aws, monkeypatch):
    from crm.forms import store

    # Given a person whose first record was merged away just after a resubmission found it by email
    winner = new_contact(first_name="Ali")["id"]
    loser = body(submit_json({"email": "ali.r@work.example", "first_name": "Ali R."}))["contact_id"]
    assert merge(winner, loser).status == 200
    owners, lookups = store._sentinel_owners, []

    def stale_first(exc: Any) -> dict[str, str]:
        lookups.append(exc)
        return {"email": loser} if len(lookups) == 1 else owners(exc)

    monkeypatch.setattr(store, "_sentinel_owners", stale_first)
    # When the form is submitted again
    again = body(submit_json({"email": "ali.r@work.example", "last_name": "Rezaei"}))
    # Then it fills the winner, and the old record, a redirect, took nothing
    assert again["contact_id"] == winner and len(lookups) == 2
    assert sales.get(f"/v1/contacts/{winner}").body["last_name"] == "Rezaei"
    from crm.contacts.spec import ContactItem

    assert ContactItem.get(*ContactItem.key(loser)).last_name is None


@pytest.mark.parametrize("case", ["self", "missing", "merged_winner", "merged_loser", "erased", "forbidden",
                                  "bad_id", "extra"])
def test_a_refused_merge_is_a_clear_4xx_and_changes_nothing(aws, case):
    a = new_contact(first_name="A", email="a@example.com")["id"]
    b = new_contact(first_name="B", email="b@example.com")["id"]
    c = new_contact(first_name="C", email="c@example.com")["id"]
    assert merge(c, b).status == 200  # b is merged into c already
    if case == "erased":
        assert admin.post(f"/v1/contacts/{c}/erase", None).status == 200
    before = dump(aws)
    response = {
        "self": lambda: merge(a, a), "missing": lambda: merge(a, "nobody"), "merged_winner": lambda: merge(b, a),
        "merged_loser": lambda: merge(a, b), "erased": lambda: merge(a, c),
        "forbidden": lambda: merge(a, c, ApiClient("support")),
        "bad_id": lambda: sales.post(f"/v1/contacts/{a}/merge", {"loser_id": "../x"}),
        "extra": lambda: sales.post(f"/v1/contacts/{a}/merge", {"loser_id": c, "force": True}),
    }[case]()
    assert response.status in (403, 409, 422), response.body
    assert response.body["error"]["code"]
    assert dump(aws) == before


# ------------------------------------------------------------------------------------------------- erase


PERSON = {"email": "Dariush.Kamali@Example.ORG", "first_name": "داریوش", "last_name": "Kamali",
          "phone": "+98 912 765 4321"}
TRACES = ("dariush.kamali@example.org", "داریوش", "kamali", "+989127654321", "9127654321")


def traces(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Every (item key, attribute) whose value, at any depth, mentions the person."""
    found = []
    for item in items:
        text = json.dumps(item, ensure_ascii=False).casefold()
        for trace in TRACES:
            if trace.casefold() in text:
                found.append((f'{item["PK"]["S"]} {item["SK"]["S"]}', trace))
    return found


def objects(s3: Any, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_an_erased_person_leaves_no_trace_but_the_tombstone_the_payments_and_the_audit(aws, mail):
    from crm.payments.spec import PaymentItem

    # Given a person who came through a form, paid, wrote an email with an attachment, and was edited
    captured = body(submit_json(PERSON))
    cid = captured["contact_id"]
    paid_event = deliver_stripe(stripe_event("payment_intent.succeeded", paid("pi_p", email=PERSON["email"],
                                                                              amount=12900, customer="cus_p"),
                                             "evt_p"), secret="whsec_local_development_secret")
    assert paid_event["body"]["contact_id"] == cid
    # ... subscribed (an event that names the person but leaves a timeline entry without its id) ...
    subscribed = deliver_stripe(stripe_event("customer.subscription.updated", {
        "id": "sub_p", "object": "subscription", "customer": "cus_p", "status": "active",
        "metadata": {"note": "Kamali Trading"}}, "evt_sub"), secret="whsec_local_development_secret")
    # ... and changed their billing details (an event type the CRM keeps but ignores)
    ignored = deliver_stripe(stripe_event("customer.updated", {
        "id": "cus_p", "object": "customer", "email": PERSON["email"], "name": "Dariush Kamali"}, "evt_cus"),
        secret="whsec_local_development_secret")
    assert (subscribed["body"]["contact_id"], ignored["body"]["status"]) == (cid, "ignored")
    receive(with_attachment(message(sender=f"Dariush Kamali <{PERSON['email']}>", subject="Kamali invoice"),
                            b"%PDF-1.4 Kamali's passport scan"))
    assert sales.patch(f"/v1/contacts/{cid}", {"job_title": "Kamali Trading CEO"}).status == 200
    assert traces(dump(aws)) and objects(aws["s3"], INBOUND_BUCKET)
    assert any(k.startswith("email/") for k in objects(aws["s3"], aws["settings"].attachments_bucket))
    # When an admin erases the person
    response = admin.post(f"/v1/contacts/{cid}/erase", None)
    # Then no attribute of any item mentions them, and none of their objects is left
    assert response.status == 200, response.body
    assert traces(dump(aws)) == []
    assert objects(aws["s3"], INBOUND_BUCKET) == []
    assert objects(aws["s3"], aws["settings"].attachments_bucket) == []
    # And the tombstone answers 410; the person may come back as a new contact
    assert (response.body["id"], response.body["erased_by"]) == (cid, "admin-1")
    assert (sales.get(f"/v1/contacts/{cid}").status, sales.get(f"/v1/contacts/{cid}").body["error"]["code"]) == \
        (410, "erased")
    assert cid not in [c["id"] for c in sales.get("/v1/contacts").body["items"]]
    assert sales.post("/v1/contacts", {"email": PERSON["email"]}).status == 201
    # And the payment stays for the books, with its amount
    payment = PaymentItem.get(*PaymentItem.key("stripe:pi_p"))
    assert (payment.amount_minor, payment.contact_id) == (12900, cid)
    # And the audit keeps who, when and which fields, and records the erase
    log = audit_of("contact", cid)
    assert [e["action"] for e in log][:2] == ["erase", "update"]
    assert log[0]["actor"] == "admin-1" and "email" in log[0]["changes"]
    assert log[1]["changes"]["job_title"] == {"before": None, "after": "[erased]"}
    [event] = outbox(aws, "Contact Erased")
    assert (event["contact_id"], event["by"]) == (cid, "admin-1")


def test_a_file_another_persons_email_carries_too_outlives_the_erase(aws, mail):
    from crm.mail.spec import AttachmentItem

    # Given two people who each sent the same price list, and one of them a private file too
    price_list, passport = b"%PDF-1.4 price list 2027", b"%PDF-1.4 Kamali's passport scan"
    cid = body(submit_json(PERSON))["contact_id"]
    receive(with_attachment(with_attachment(message(sender=PERSON["email"], subject="Prices and my passport"),
                                            price_list, "prices.pdf"), passport, "passport.pdf"))
    receive(with_attachment(message(sender="maryam@example.ir", subject="Prices?"), price_list, "prices.pdf"))
    ids = {name: hashlib.sha256(data).hexdigest() for name, data in (("prices", price_list), ("passport", passport))}
    # When the first person is erased
    assert admin.post(f"/v1/contacts/{cid}/erase", None).status == 200
    # Then their private file is gone, and the shared one stays, noted as the other email's only
    files = objects(aws["s3"], aws["settings"].attachments_bucket)
    assert files == [AttachmentItem.object_key(ids["prices"])]
    [maryams] = [i for i in dump(aws) if i["SK"]["S"] == "EMAIL"]
    assert AttachmentItem.get(*AttachmentItem.key(ids["prices"])).email_ids == {maryams["email_id"]["S"]}
    # And when the other person is erased too, the file goes with them
    [maryam] = [c["id"] for c in sales.get("/v1/contacts").body["items"] if c["email"] == "maryam@example.ir"]
    assert admin.post(f"/v1/contacts/{maryam}/erase", None).status == 200
    assert objects(aws["s3"], aws["settings"].attachments_bucket) == []


def test_a_file_in_many_peoples_emails_is_no_ones_to_erase(aws, mail, monkeypatch):
    from crm.mail.spec import AttachmentItem

    # Given a logo in the signature of more emails than references are kept for
    monkeypatch.setattr(AttachmentItem, "MAX_TRACKED_EMAILS", 2)
    logo = b"\x89PNG acme logo"
    for sender in ("a@acme.example", "b@acme.example", "c@acme.example"):
        receive(with_attachment(message(sender=sender, subject=f"From {sender}"), logo, "logo.png", "image", "png"))
    held = AttachmentItem.get(*AttachmentItem.key(hashlib.sha256(logo).hexdigest()))
    assert (held.widely_shared, held.email_ids) == (True, None)
    # When the first sender is erased
    [first] = [c["id"] for c in sales.get("/v1/contacts").body["items"] if c["email"] == "a@acme.example"]
    assert admin.post(f"/v1/contacts/{first}/erase", None).status == 200
    # Then the logo stays for the others' emails
    assert objects(aws["s3"], aws["settings"].attachments_bucket) == [AttachmentItem.object_key(held.attachment_id)]


def test_an_erase_cut_short_is_finished_by_repeating_it(aws, monkeypatch):
    from crm.contacts import erase

    # Given an erase that crashed after sweeping the timeline, before the tombstone
    cid = body(submit_json(PERSON))["contact_id"]
    monkeypatch.setattr(erase, "_tombstone", lambda *args: (_ for _ in ()).throw(RuntimeError("timeout")))
    assert admin.post(f"/v1/contacts/{cid}/erase", None).status == 503
    assert traces(dump(aws))
    # When it is repeated, and repeated again
    monkeypatch.undo()
    first, again = admin.post(f"/v1/contacts/{cid}/erase", None), admin.post(f"/v1/contacts/{cid}/erase", None)
    # Then the person is gone, and the repeat answers the same tombstone
    assert first.status == again.status == 200
    assert first.body == again.body
    assert traces(dump(aws)) == []


def test_a_merged_persons_old_record_is_erased_with_them(aws):
    # Given a person merged from two records
    winner = new_contact(**PERSON)["id"]
    loser = new_contact(first_name="Dariush", last_name="Kamali", email="d.kamali@example.net")["id"]
    assert merge(winner, loser).status == 200
    # When the winner is erased
    assert admin.post(f"/v1/contacts/{winner}/erase", None).status == 200
    # Then neither record, nor either audit trail, holds their data
    assert traces(dump(aws)) == []
    assert "d.kamali" not in json.dumps(dump(aws))
    # And erasing the redirect itself is refused: the person lives on the winner
    assert admin.post(f"/v1/contacts/{loser}/erase", None).status == 409


@pytest.mark.parametrize(("client", "status"), [(sales, 403), (ApiClient("marketing"), 403),
                                                (ApiClient("support"), 403)])
def test_only_admins_erase(aws, client, status):
    cid = new_contact(**PERSON)["id"]
    before = dump(aws)
    assert client.post(f"/v1/contacts/{cid}/erase", None).status == status
    assert admin.post("/v1/contacts/nobody/erase", None).status == 404
    assert dump(aws) == before
