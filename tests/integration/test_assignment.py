"""Assignment rules: a new lead reaches the right person by ordered rules, atomically (no rep above their
cap however many leads race), with its reason on the timeline and the assignee told; an SLA missed is
escalated once; the admin's routes refuse what they cannot store."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from tests.conftest import TEST_ENV, table_items
from tests.support.api_client import ApiClient

GROUP = TEST_ENV["CRM_AUTOMATION_SCHEDULE_GROUP"]
admin, sales = ApiClient("admin", user="boss"), ApiClient("sales", user="rep-a")
REPS = ("rep-a", "rep-b", "rep-c")


def profile(user_id: str, **fields: Any) -> None:
    from crm.team.spec import MemberItem

    MemberItem(*MemberItem.key(user_id), user_id=user_id, email=f"{user_id}@crm.example.com", name=user_id.upper(),
               created_at="2026-12-01T00:00:00Z", updated_at="2026-12-01T00:00:00Z", version=1, **fields).save()


@pytest.fixture
def team(aws: dict[str, Any]) -> dict[str, Any]:
    boto3.client("scheduler").create_schedule_group(Name=GROUP)
    boto3.client("ses").verify_domain_identity(Domain="crm.example.com")
    for rep in REPS:
        profile(rep, manager="boss")
    profile("boss")
    return aws


def new_rule(**fields: Any) -> dict[str, Any]:
    body = {"name": "Web leads", "strategy": "round_robin",
            "members": [{"user_id": rep} for rep in REPS], **fields}
    created = admin.post("/v1/assignment-rules", body)
    assert created.status == 201, created.body
    return created.body


def new_lead(**fields: Any) -> str:
    created = admin.post("/v1/contacts", {"first_name": "Lead", "email": f"l.{uuid.uuid4().hex[:10]}@example.com",
                                          **fields})
    assert created.status == 201, created.body
    return str(created.body["id"])


def timeline(contact_id: str) -> list[dict[str, Any]]:
    return list(admin.get(f"/v1/contacts/{contact_id}/timeline").body["items"])


def owner_of(contact_id: str) -> str | None:
    return admin.get(f"/v1/contacts/{contact_id}").body["owner"]


def test_round_robin_gives_each_rep_a_lead_in_turn_and_says_why_on_the_timeline(team):
    from crm.assignment.store import assign_contact

    # Given a round-robin rule over three reps
    new_rule()
    # When four leads arrive
    leads = [new_lead() for _ in range(4)]
    owners = [assign_contact(lead) for lead in leads]
    # Then they go to each rep in turn, then round again
    assert owners == ["rep-a", "rep-b", "rep-c", "rep-a"]
    assert [owner_of(lead) for lead in leads] == owners
    entry = next(e for e in timeline(leads[3]) if e["type"] == "assigned")
    assert entry["summary"] == "Assigned to REP-A by rule Web leads: round robin, 2 today"


def created_event(contact_id: str) -> dict[str, Any]:
    return {"version": "0", "id": uuid.uuid4().hex, "detail-type": "Contact Created", "source": "crm",
            "time": "2026-12-04T10:00:00Z", "detail": {"contact_id": contact_id, "source": "api", "channel": "api",
                                                      "event_id": uuid.uuid4().hex}}


def handle(event: dict[str, Any]) -> dict[str, Any]:
    from assignment.handler import handler

    return handler(event, None)


def notifications(user_id: str) -> list[dict[str, Any]]:
    return list(ApiClient("sales", user=user_id).get("/v1/notifications").body["items"])


def sent_to(address: str) -> int:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return sum(address in message.destinations for message in
               ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def test_a_new_contact_event_assigns_the_lead_and_tells_the_assignee_once(team):
    # Given a rule, and a lead created without an owner
    new_rule()
    lead = new_lead()
    # When its Contact Created event arrives, twice (delivery is at least once)
    first, again = handle(created_event(lead)), handle(created_event(lead))
    # Then it has one owner, told once in the app and by email, and an event says so
    assert first == again == {"contact_id": lead, "owner": "rep-a"}
    assert [n["kind"] for n in notifications("rep-a")] == ["assigned"]
    assert sent_to("rep-a@crm.example.com") == 1
    [entry] = [e for e in timeline(lead) if e["type"] == "assigned"]
    assert entry["data"]["to"] == "rep-a"


def test_a_contact_created_with_an_owner_is_left_alone(team):
    new_rule()
    lead = new_lead(owner="rep-c")
    assert handle(created_event(lead)) == {"contact_id": lead, "owner": "rep-c"}
    assert [e["type"] for e in timeline(lead)] == ["created"]
    assert notifications("rep-a") == []


def test_a_rep_out_of_office_is_skipped_and_a_full_team_leaves_the_lead_unassigned_with_the_reason(team):
    # Given rep-b away this week, and caps of one lead a day
    profile("rep-b", away_from="2026-01-01T00:00:00Z", away_until="2099-01-01T00:00:00Z")
    new_rule(members=[{"user_id": rep, "daily_cap": 1} for rep in REPS])
    # When three leads arrive
    leads = [new_lead() for _ in range(3)]
    owners = [handle(created_event(lead))["owner"] for lead in leads]
    # Then rep-b gets none, and the third lead waits without an owner, its timeline saying why
    assert owners == ["rep-a", "rep-c", None]
    assert owner_of(leads[2]) is None
    [entry] = [e for e in timeline(leads[2]) if e["type"] == "not_assigned"]
    assert entry["summary"] == ("Not assigned: every member is away or full (rule Web leads: rep-a daily cap 1 "
                                "reached; rep-b out of office until 2099-01-01T00:00:00Z; rep-c daily cap 1 reached)")


def test_an_iranian_phone_goes_to_the_persian_desk_and_the_rest_falls_through_to_the_next_rule(team):
    # Given a rule for Iran before a catch-all
    new_rule(name="Persian desk", members=[{"user_id": "rep-c"}], conditions={"countries": ["ir"]})
    new_rule(name="Everyone else", members=[{"user_id": "rep-a"}])
    # When a lead with a Tehran mobile and one with a German number arrive
    tehran, berlin = new_lead(phone="+98 912 345 6789"), new_lead(phone="+49 30 901820")
    # Then each goes by the first rule it matches
    assert handle(created_event(tehran))["owner"] == "rep-c"
    assert handle(created_event(berlin))["owner"] == "rep-a"


def test_no_matching_rule_says_so_on_the_timeline(team):
    new_rule(conditions={"sources": ["partner"]})
    lead = new_lead()
    assert handle(created_event(lead))["owner"] is None
    assert [e["summary"] for e in timeline(lead) if e["type"] == "not_assigned"] == [
        "Not assigned: no assignment rule matches this contact"]


def test_fifty_leads_racing_never_overfill_a_rep(serialized_aws, monkeypatch):
    from crm.assignment import store
    from crm.assignment.store import assign_contact

    lost: list[int] = []
    monkeypatch.setattr(store, "back_off", lambda attempt: lost.append(attempt))

    # Given three reps with ten leads a day each, weighted, and fifty leads at once
    boto3.client("scheduler").create_schedule_group(Name=GROUP)
    boto3.client("ses").verify_domain_identity(Domain="crm.example.com")
    for rep in REPS:
        profile(rep)
    new_rule(strategy="weighted", members=[{"user_id": rep, "weight": weight, "daily_cap": 10}
                                           for rep, weight in zip(REPS, (3, 2, 1), strict=True)])
    leads = [new_lead() for _ in range(50)]
    # When they are assigned in eight threads at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        owners = list(pool.map(assign_contact, leads))
    # Then they did race (transactions were cancelled and chosen again), yet every rep has exactly their cap,
    # and every other lead stays unassigned with the reason
    assert lost
    assert {rep: owners.count(rep) for rep in REPS} == {rep: 10 for rep in REPS}
    assert owners.count(None) == 20
    stored = {lead: owner_of(lead) for lead in leads}
    assert stored == dict(zip(leads, owners, strict=True))
    for lead, owner in stored.items():
        kinds = [e["type"] for e in timeline(lead)]
        assert kinds.count("assigned" if owner else "not_assigned") == 1, (lead, kinds)
    # And each rep's load says ten today
    loads = [i for i in table_items(serialized_aws["dynamodb"], serialized_aws["settings"].table_name)
             if i["SK"]["S"] == "ASSIGNMENT_LOAD"]
    assert sorted(int(next(iter(i["days"]["M"].values()))["N"]) for i in loads) == [10, 10, 10]


# --- SLA -------------------------------------------------------------------------------------------------

def sla_schedule(contact_id: str) -> dict[str, Any]:
    return boto3.client("scheduler").get_schedule(Name=f"sla-{contact_id}", GroupName=GROUP)


def fire(contact_id: str) -> dict[str, Any]:
    """What Scheduler does when the check is due: invoke its target with its input."""
    return handle(json.loads(sla_schedule(contact_id)["Target"]["Input"]))


def test_an_sla_schedule_is_put_at_assigned_time_plus_the_rules_minutes(team):
    new_rule(sla_minutes=30)
    lead = new_lead()
    before = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    handle(created_event(lead))
    stored = sla_schedule(lead)
    due = dt.datetime.fromisoformat(stored["ScheduleExpression"][3:-1])
    assert dt.timedelta(minutes=29) <= due - before <= dt.timedelta(minutes=31)
    assert stored["Target"]["Arn"] == TEST_ENV["CRM_ASSIGNMENT_FUNCTION"]
    assert stored["ActionAfterCompletion"] == "DELETE"
    assert stored["Target"]["DeadLetterConfig"]["Arn"] == TEST_ENV["CRM_ASSIGNMENT_DLQ"]


def test_a_lead_nobody_contacted_alerts_the_owners_manager_once(team):
    # Given a lead assigned under a 30-minute SLA, and nobody called it
    new_rule(sla_minutes=30, sla_action="alert_manager")
    lead = new_lead()
    handle(created_event(lead))
    # When the check fires, and fires again
    first, again = fire(lead), fire(lead)
    # Then the manager was alerted once and the timeline says so once
    assert first["sla"] == "escalated" and again["sla"] == "already_escalated"
    assert [n["kind"] for n in notifications("boss")] == ["sla_missed"]
    assert sent_to("boss@crm.example.com") == 1
    assert [e["summary"] for e in timeline(lead) if e["type"] == "sla_escalated"] == [
        "SLA missed: rep-a not contacted within 30 minutes; their manager boss was alerted"]


def test_a_lead_called_in_time_is_not_escalated(team):
    new_rule(sla_minutes=30)
    lead = new_lead()
    handle(created_event(lead))
    # Given the owner logged a call on it
    call = ApiClient("sales", user="rep-a").post("/v1/activities", {"type": "call", "subject": "Intro call",
                                                                    "contact_id": lead})
    assert call.status == 201, call.body
    # Then the check finds it contacted
    assert fire(lead)["sla"] == "contacted"
    assert notifications("boss") == []


def test_a_task_is_not_a_contact(team):
    new_rule(sla_minutes=30)
    lead = new_lead()
    handle(created_event(lead))
    assert ApiClient("sales", user="rep-a").post("/v1/activities", {"type": "task", "subject": "Call later",
                                                                    "contact_id": lead}).status == 201
    assert fire(lead)["sla"] == "escalated"


def test_a_missed_sla_reassigns_within_the_rule_once_and_never_to_the_same_owner(team):
    # Given a reassigning SLA over two reps
    new_rule(sla_minutes=15, sla_action="reassign", members=[{"user_id": "rep-a"}, {"user_id": "rep-b"}])
    lead = new_lead()
    handle(created_event(lead))
    stale = json.loads(sla_schedule(lead)["Target"]["Input"])
    # When the check fires, and its delivery comes again
    assert handle(stale)["sla"] == "escalated"
    assert handle(stale)["sla"] == "superseded"
    # Then rep-b owns it, the timeline says why, and the new owner has no SLA of their own (escalated once)
    assert owner_of(lead) == "rep-b"
    [moved] = [e for e in timeline(lead) if e["type"] == "assigned" and e["data"]["to"] == "rep-b"]
    assert moved["summary"].endswith("(SLA: rep-a not contacted within 15 minutes)")
    assert json.loads(sla_schedule(lead)["Target"]["Input"])["assigned_at"] == stale["assigned_at"]


def test_a_lead_reassigned_by_hand_before_the_check_is_left_alone(team):
    new_rule(sla_minutes=30)
    lead = new_lead()
    handle(created_event(lead))
    contact = admin.get(f"/v1/contacts/{lead}").body
    moved = admin.post(f"/v1/contacts/{lead}/reassign", {"owner": "rep-c"})
    assert moved.status == 200, (moved.body, contact["version"])
    assert fire(lead)["sla"] == "owner_changed"


def test_an_unreadable_trigger_is_refused_for_the_dlq(team):
    from assignment.handler import MalformedTrigger

    for event in ({"kind": "sla_check"}, {"detail-type": "Contact Created", "detail": {}},
                  {"detail-type": "Contact Created", "detail": "x"}):
        with pytest.raises(MalformedTrigger):
            handle(event)
    assert handle({"detail-type": "Something Else"}) == {"ignored": True}


def test_crm_dlq_replays_what_assignment_failed_on_by_invoking_it_again(in_process_stack):
    from crm_local.dlq import DeadLetterOffice, DeadLetterQueues

    from tests.integration.test_dlq import put_letter, submit_form

    # Given a new lead's event and an SLA check in AssignmentDLQ
    lead = submit_form(in_process_stack, "late@example.com")
    check = {"kind": "sla_check", "contact_id": lead, "assigned_at": "2026-12-04T06:00:00.000Z",
             "scheduled_time": "2026-12-04T06:30:00Z"}
    put_letter(in_process_stack, "AssignmentDLQ", created_event(lead))
    put_letter(in_process_stack, "AssignmentDLQ", check)
    # When they are replayed, the function invoked in this process
    answers: list[dict[str, Any]] = []

    def invoke(function: str, payload: dict[str, Any]) -> None:
        answers.append(in_process_stack.functions.invoke(function, payload))

    queues = DeadLetterQueues.from_template(in_process_stack.template)
    assert DeadLetterOffice(in_process_stack.client, queues, invoke).replay() == (2, [])
    # Then assignment handled each (no rules yet: the lead waits; the check is of no assignment of its own)
    assert sorted(answers, key=str) == sorted([{"contact_id": lead, "owner": None},
                                               {"sla": "superseded", "contact_id": lead}], key=str)
    assert DeadLetterOffice(in_process_stack.client, queues).list()[in_process_stack.name("AssignmentDLQ")] == []
