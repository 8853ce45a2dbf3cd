"""Lead scoring inside moto: events from the outbox score contacts, idempotently, in any order."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from tests.conftest import LOCAL_ORIGIN, sample_event, table_items


@functools.cache
def _scoring_rule_patterns() -> tuple[Any, ...]:
    """The EventBridge patterns template.yaml wires to the scoring function, so the test delivers what
    the deployed rule would, and no list of event types is declared twice."""
    from crm_local.template import RuleSource, Template

    template = Template.load()
    # Routes name the Cognito pool, which has an id only once provisioned; any id serves here.
    template.bind("CrmUserPool", "us-east-1_test")
    template.bind("CrmUserPoolClient", "test-client")
    return tuple(source.pattern for spec in template.functions()
                 if spec.handler == "lead_scoring.handler.handler"
                 for source in spec.sources if isinstance(source, RuleSource))


def scored(event: dict[str, Any]) -> bool:
    from crm_local.patterns import matches

    return any(matches(pattern, event) for pattern in _scoring_rule_patterns())


@pytest.fixture(autouse=True)
def no_cached_model() -> Any:
    """Each test reads the scoring model of its own table (a container caches it for a minute)."""
    from crm.scoring import changes as score_changes

    score_changes._model_cache.clear()
    yield
    score_changes._model_cache.clear()


def outbox(aws: dict[str, Any]) -> list[dict[str, Any]]:
    """The outbox's events as the bus would deliver them to the scoring rule (source crm, detail parsed),
    read from its items by the publisher's own code."""
    from event_publisher.handler import outbox_events

    items = [i for i in table_items(aws["dynamodb"], aws["settings"].table_name) if i["PK"]["S"].startswith("OUTBOX#")]
    items.sort(key=lambda i: i["created_at"]["S"])
    records = [{"eventName": "INSERT", "dynamodb": {"NewImage": i, "SequenceNumber": str(n)}}
               for n, i in enumerate(items)]
    return [{"version": "0", "id": e.event_id, "source": "crm", "detail-type": e.detail_type, "time": e.created_at,
             "detail": json.loads(e.detail)} for e in outbox_events({"Records": records})]


def score(event: dict[str, Any]) -> None:
    from lead_scoring.handler import handler

    handler(event, None)


def deliver_new(aws: dict[str, Any], delivered: set[str]) -> int:
    """Delivers every outbox event the scoring rule matches that has not been delivered yet."""
    fresh = [e for e in outbox(aws) if e["id"] not in delivered and scored(e)]
    for event in fresh:
        delivered.add(event["id"])
        score(event)
    return len(fresh)


def deliver_all(aws: dict[str, Any]) -> None:
    delivered: set[str] = set()
    while deliver_new(aws, delivered):
        pass


def submit(fields: dict[str, Any], ip: str = "203.0.113.7") -> str:
    from lead_capture.handler import handler

    event = sample_event("lead_capture_submit_json.json", body=json.dumps(fields, ensure_ascii=False))
    event["requestContext"]["http"]["sourceIp"] = ip
    return json.loads(handler(event, None)["body"])["contact_id"]


def email_received(contact_id: str, event_id: str) -> dict[str, Any]:
    """An Email Received event (5 points, decaying from now) as the bus delivers it to scoring."""
    from datetime import UTC, datetime

    return {"detail-type": "Email Received", "source": "crm", "time": datetime.now(UTC).isoformat(),
            "detail": {"contact_id": contact_id, "event_id": event_id}}


def contact(aws: dict[str, Any], contact_id: str) -> dict[str, Any]:
    key = {"PK": {"S": f"CONTACT#{contact_id}"}, "SK": {"S": "PROFILE"}}
    return aws["dynamodb"].get_item(TableName=aws["settings"].table_name, Key=key)["Item"]


def timeline(aws: dict[str, Any], contact_id: str) -> list[str]:
    return [i["entry_type"]["S"] for i in table_items(aws["dynamodb"], aws["settings"].table_name)
            if i["PK"]["S"] == f"CONTACT#{contact_id}" and i["SK"]["S"].startswith("HISTORY#")]


@pytest.fixture
def qualifying_form(aws):
    """A form that asks the BANT questions, so a lead can qualify from one submission."""
    from crm.forms.config import FormConfig, demo_form, save_form
    from lead_capture.handler import forget_cached_forms

    config = demo_form(allowed_origins=(LOCAL_ORIGIN,)).to_dict() | {"form_id": "demo-request"}
    config["fields"] += [{"name": "job_title", "maps_to": "job_title"},
                         {"name": "budget", "maps_to": "custom:budget"},
                         {"name": "authority", "maps_to": "custom:authority"},
                         {"name": "need", "maps_to": "custom:need"},
                         {"name": "timeline", "maps_to": "custom:timeline"}]
    save_form(FormConfig.from_dict(config))
    forget_cached_forms()
    return "demo-request"


def test_a_new_lead_scored_at_capture_is_published_but_not_delivered_to_scoring(aws):
    # Given a new lead from the demo form
    contact_id = submit({"email": "lead@acme.example", "company": "Acme"})
    # Then its Contact Created and Form Submitted are published (in the outbox), marked scored at capture,
    # and the scoring rule's pattern in template.yaml matches neither: the scoring function never runs
    events = outbox(aws)
    assert [e["detail-type"] for e in events] == ["Contact Created", "Form Submitted"]
    assert all(e["detail"]["scored_at_capture"] is True and e["detail"]["contact_id"] == contact_id for e in events)
    assert not any(scored(e) for e in events)
    assert deliver_new(aws, set()) == 0
    # And the transaction that created it scored it, its Form Submitted already in its ledger
    saved = contact(aws, contact_id)
    assert saved["score"]["N"] == "18"  # web form 3 + company 5 + one form submission 10
    assert saved["grade"]["S"] == "D2"  # fit 8 is under C (10); engagement 10 makes 2
    assert {b["M"]["rule"]["S"] for b in saved["score_breakdown"]["L"]} == {"source-web-form", "has-company",
                                                                           "form-submissions"}
    submitted = [e for e in outbox(aws) if e["detail-type"] == "Form Submitted"]
    assert list(saved["engagement"]["M"]) == [submitted[0]["detail"]["event_id"]]
    assert saved["score_key"]["S"] == f"018#{contact_id}" and saved["score_rev"]["N"] == "1"
    # And its timeline is the submission: a score that crosses no threshold is explained on the contact
    assert timeline(aws, contact_id) == ["contact_created"]
    # When its Contact Created and Form Submitted reach scoring all the same, twice (a replay by hand, say)
    for event in outbox(aws) + outbox(aws):
        score(event)
    # Then nothing was written
    assert contact(aws, contact_id) == saved
    assert timeline(aws, contact_id) == ["contact_created"]


def test_a_lead_captured_while_the_model_cannot_be_read_is_accepted_and_scored_from_its_events(aws):
    from tests.support.faults import THROTTLE, FaultInjector, FaultPlan, Rule

    # Given a container that has neither the form nor the scoring model cached, and a model read that fails
    plan = FaultPlan([Rule("dynamodb.GetItem", THROTTLE, calls=frozenset({2}))])
    # When a new lead submits the form
    with FaultInjector(plan) as faults, faults.armed():
        contact_id = submit({"email": "unscored@acme.example"})
    # Then the lead is accepted unscored (score 0 in the score lists), nothing lost
    assert faults.count() == 1
    saved = contact(aws, contact_id)
    assert "score" not in saved and saved["score_key"]["S"] == f"000#{contact_id}"
    # And its two events are not marked scored at capture, so the scoring rule matches both
    events = outbox(aws)
    assert [e["detail-type"] for e in events] == ["Contact Created", "Form Submitted"]
    assert not any("scored_at_capture" in e["detail"] for e in events)
    assert all(scored(e) for e in events)
    # And scoring them scores it as capture would have
    assert deliver_new(aws, set()) == 2
    saved = contact(aws, contact_id)
    assert saved["score"]["N"] == "13" and len(saved["engagement"]["M"]) == 1
    assert list(saved["engagement"]["M"]) == [events[1]["detail"]["event_id"]]


def test_a_contact_created_through_the_api_and_a_repeat_submission_still_reach_scoring(aws):
    # Given a contact a sales user created through the API, and a lead scored at capture
    created = api("POST", "/v1/contacts", "[sales]", {"first_name": "Maria", "email": "maria@acme.example"})
    assert created["status"] == 201
    api_contact = created["body"]["id"]
    assert "score" not in contact(aws, api_contact)
    lead_id = submit({"email": "again@acme.example"})
    assert contact(aws, lead_id)["score"]["N"] == "13"
    # When the lead submits the form again
    assert submit({"email": "again@acme.example"}) == lead_id
    # Then the API's Contact Created and the repeat's Contact Updated and Form Submitted carry no mark, and
    # the scoring rule matches them; the new lead's own two events it does not
    delivered = {(e["detail-type"], e["detail"]["contact_id"]) for e in outbox(aws) if scored(e)}
    assert delivered == {("Contact Created", api_contact), ("Contact Updated", lead_id), ("Form Submitted", lead_id)}
    assert not any("scored_at_capture" in e["detail"] for e in outbox(aws) if scored(e))
    # And scoring them scores the API's contact (no rule applies: 0) and the repeat's engagement (10 more)
    assert deliver_new(aws, set()) == 3
    assert contact(aws, api_contact)["score"]["N"] == "0" and contact(aws, api_contact)["score_rev"]["N"] == "1"
    saved = contact(aws, lead_id)
    assert saved["score"]["N"] == "23" and len(saved["engagement"]["M"]) == 2


def test_redelivery_and_reordering_change_nothing(aws):
    # Given two people who each came back with a second submission (an engagement not scored yet)
    forward_id = submit({"email": "forward@acme.example"})
    backward_id = submit({"email": "backward@acme.example"}, ip="203.0.113.8")
    assert submit({"email": "forward@acme.example"}) == forward_id
    assert submit({"email": "backward@acme.example"}, ip="203.0.113.8") == backward_id
    events = [e for e in outbox(aws) if scored(e)]
    # When their events arrive in opposite orders
    for event in events:
        if event["detail"]["contact_id"] == forward_id:
            score(event)
    for event in reversed(events):
        if event["detail"]["contact_id"] == backward_id:
            score(event)
    # Then both end with the same score: web form 3 + two form submissions 20
    forward, backward = contact(aws, forward_id), contact(aws, backward_id)
    assert forward["score"] == backward["score"] == {"N": "23"}
    assert len(forward["engagement"]["M"]) == len(backward["engagement"]["M"]) == 2
    # And delivering every event twice more writes nothing at all
    history_before = timeline(aws, forward_id) + timeline(aws, backward_id)
    for event in events + events:
        score(event)
    assert contact(aws, forward_id) == forward and contact(aws, backward_id) == backward
    assert timeline(aws, forward_id) + timeline(aws, backward_id) == history_before


def test_a_score_change_that_crosses_nothing_is_one_conditional_write_of_the_contact(aws):
    from bench.aws_calls import counts, observing

    # Given a scored lead
    contact_id = submit({"email": "mail@acme.example"})
    before = table_items(aws["dynamodb"], aws["settings"].table_name)
    # When it writes to sales (an engagement worth 5)
    with observing() as calls:
        score(email_received(contact_id, "mail-1"))
    # Then the contact was read (eventually consistent: the write's condition guards it) and updated alone
    assert counts(calls) == {"dynamodb:GetItem": 1, "dynamodb:UpdateItem": 1}
    assert not calls[0].params.get("ConsistentRead")
    assert "attribute_exists" not in calls[1].params.get("ConditionExpression", "") and calls[1].params[
        "ConditionExpression"]
    after = table_items(aws["dynamodb"], aws["settings"].table_name)
    assert len(after) == len(before)
    saved = contact(aws, contact_id)
    assert saved["score_rev"]["N"] == "2" and "mail-1" in saved["engagement"]["M"]


def test_a_stale_read_of_an_engagement_is_refused_and_scored_again_from_a_consistent_read(aws, monkeypatch):
    from crm.scoring import store

    # Given a lead whose first email was scored, and a replica that still shows it as captured
    contact_id = submit({"email": "stale@acme.example"})
    stale = store.load_contact(contact_id)
    score(email_received(contact_id, "mail-1"))
    reads: list[bool] = []
    load = store.load_contact

    def replica(contact_id: str, consistent: bool = True) -> Any:
        reads.append(consistent)
        return load(contact_id, consistent) if consistent else stale

    monkeypatch.setattr(store, "load_contact", replica)
    # When the second email is scored from the stale read
    score(email_received(contact_id, "mail-2"))
    # Then the write conditioned on that read was refused, and the consistent read scored both emails
    assert reads == [False, True]
    saved = contact(aws, contact_id)
    assert set(saved["engagement"]["M"]) >= {"mail-1", "mail-2"} and saved["score"]["N"] == "23"
    # And a contact an eventually consistent read misses is looked up consistently before the event is dropped
    reads.clear()
    monkeypatch.setattr(store, "load_contact", lambda contact_id, consistent=True: (
        reads.append(consistent), load(contact_id, consistent) if consistent else None)[1])
    score(email_received(contact_id, "mail-3"))
    assert reads == [False, True] and "mail-3" in contact(aws, contact_id)["engagement"]["M"]


def test_crossing_the_threshold_makes_an_mql_once(aws, qualifying_form):
    from lead_capture.handler import handler

    event = sample_event("lead_capture_submit_json.json", pathParameters={"form_id": qualifying_form},
                         body=json.dumps({"email": "ceo@acme.example", "company": "Acme", "job_title": "CEO",
                                          "budget": "50000", "authority": "Decision maker",
                                          "need": "Our CRM is spreadsheets", "timeline": "this quarter"}))
    contact_id = json.loads(handler(event, None)["body"])["contact_id"]
    # Then the transaction that created the lead qualified it: stage, timeline entry and event together
    saved = contact(aws, contact_id)
    assert int(saved["score"]["N"]) >= 60 and saved["qualified"] == {"BOOL": True}
    assert saved["lifecycle_stage"]["S"] == "mql" and saved["GSI3PK"]["S"] == "STAGE#mql"
    assert sorted(timeline(aws, contact_id)) == ["contact_created", "qualified"]
    qualified = [e for e in outbox(aws) if e["detail-type"] == "Contact Qualified"]
    assert [e["detail"]["contact_id"] for e in qualified] == [contact_id]
    # And its events, delivered once and again, qualify it no second time
    deliver_all(aws)
    for event in outbox(aws):
        if scored(event):
            score(event)
    assert contact(aws, contact_id) == saved
    assert len([e for e in outbox(aws) if e["detail-type"] == "Contact Qualified"]) == 1


def test_a_lead_that_crosses_the_threshold_later_is_qualified_with_its_timeline_and_event_in_one_write(
        aws, qualifying_form):
    from lead_capture.handler import handler

    # Given a lead below the threshold: bant 35 + company 5 + web form 3 + one form submission 10 = 53
    event = sample_event("lead_capture_submit_json.json", pathParameters={"form_id": qualifying_form},
                         body=json.dumps({"email": "cto@acme.example", "company": "Acme", "budget": "5000",
                                          "authority": "Influencer", "need": "A CRM", "timeline": "now"}))
    contact_id = json.loads(handler(event, None)["body"])["contact_id"]
    assert contact(aws, contact_id)["score"]["N"] == "53" and "qualified" not in contact(aws, contact_id)
    # When two emails from them are scored (5 points each), the second twice
    for mail in ("mail-1", "mail-2", "mail-2"):
        score(email_received(contact_id, mail))
    # Then the second crossed 60: the contact is an mql, with its timeline entry and one Contact Qualified
    saved = contact(aws, contact_id)
    assert saved["score"]["N"] == "63" and saved["lifecycle_stage"]["S"] == "mql"
    assert saved["qualified"] == {"BOOL": True} and saved["GSI3PK"]["S"] == "STAGE#mql"
    assert sorted(timeline(aws, contact_id)) == ["contact_created", "qualified"]
    assert [e["detail"]["score"] for e in outbox(aws) if e["detail-type"] == "Contact Qualified"] == [63]


def test_a_fault_in_a_crossings_transaction_writes_nothing_and_the_retry_qualifies(aws, qualifying_form):
    from lead_capture.handler import handler

    from tests.support.faults import SERVER_ERROR, FaultInjector, FaultPlan, Rule

    # Given a lead at 58, one email (5) below qualifying
    event = sample_event("lead_capture_submit_json.json", pathParameters={"form_id": qualifying_form},
                         body=json.dumps({"email": "vp@acme.example", "company": "Acme", "budget": "5000",
                                          "authority": "Influencer", "need": "A CRM", "timeline": "now"}))
    contact_id = json.loads(handler(event, None)["body"])["contact_id"]
    score(email_received(contact_id, "mail-1"))
    before = table_items(aws["dynamodb"], aws["settings"].table_name)
    # When the email that crosses the threshold is scored while its transaction fails
    plan = FaultPlan([Rule("dynamodb.TransactWriteItems", SERVER_ERROR, calls=frozenset({1}))])
    with FaultInjector(plan) as faults, faults.armed(), pytest.raises(Exception):  # noqa: B017 - the injected 500 surfaces as any botocore error
        score(email_received(contact_id, "mail-2"))
    # Then the invocation failed (to be retried, then dead-lettered) and nothing was written
    assert faults.count() == 1
    assert table_items(aws["dynamodb"], aws["settings"].table_name) == before
    # And the retry qualifies the lead, once
    score(email_received(contact_id, "mail-2"))
    assert contact(aws, contact_id)["lifecycle_stage"]["S"] == "mql"
    assert [e["detail-type"] for e in outbox(aws)].count("Contact Qualified") == 1


def api(method: str, path: str, groups: str, body: Any = None, query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None) -> dict[str, Any]:
    from api.handler import handler

    event = sample_event("api_list_contacts.json", routeKey=f"{method} {path}", rawPath=path,
                         queryStringParameters=query, headers={"content-type": "application/json", **(headers or {})})
    event["requestContext"]["http"].update(method=method, path=path)
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = groups
    if body is not None:
        event["body"] = json.dumps(body)
    response = handler(event, None)
    return {"status": response["statusCode"], "body": json.loads(response["body"])}


def test_a_model_change_rescores_every_contact_in_pages(aws):
    ids = [submit({"email": f"m{i}@acme.example"}, ip=f"192.0.2.{i}") for i in range(30)]
    deliver_all(aws)
    assert {contact(aws, i)["score"]["N"] for i in ids} == {"13"}
    model = api("GET", "/v1/scoring-model", "[marketing]")["body"]
    assert (model["version"], model["source"]) == (1, "default")
    # When marketing makes a web-form lead worth 20 points instead of 3
    rules = model["model"]
    rules["fit_rules"] = [r | {"points": 20} if r["id"] == "source-web-form" else r for r in rules["fit_rules"]]
    saved = api("PUT", "/v1/scoring-model", "[marketing]", rules, headers={"if-match": "1"})
    assert saved["status"] == 200 and saved["body"]["version"] == 2
    audit = api("GET", "/v1/audit", "[admin]", query={"entity": "scoring_model:2"})["body"]["items"]
    assert [(a["action"], sorted(a["changes"])) for a in audit] == [("update", ["fit_rules"])]
    assert saved["body"]["rescore"]["status"] == "running"
    deliver_all(aws)  # the background job walks all contacts, a page per event
    # Then every contact has the new score and the job reports it finished
    assert {contact(aws, i)["score"]["N"] for i in ids} == {"30"}
    progress = api("GET", "/v1/scoring-model", "[sales]")["body"]["rescore"]
    assert (progress["status"], progress["processed"], progress["changed"]) == ("done", 30, 30)


@pytest.mark.parametrize(("groups", "status"), [("[admin]", 200), ("[marketing]", 200), ("[sales]", 403),
                                                ("[support]", 403)])
def test_who_may_change_the_model(aws, groups, status):
    model = api("GET", "/v1/scoring-model", "[admin]")["body"]["model"]
    assert api("PUT", "/v1/scoring-model", groups, model)["status"] == status


def test_support_may_not_read_the_model(aws):
    assert api("GET", "/v1/scoring-model", "[support]")["status"] == 403


def test_a_wrong_model_is_refused_rule_by_rule_and_changes_nothing(aws):
    model = api("GET", "/v1/scoring-model", "[admin]")["body"]["model"]
    model["fit_rules"][0]["op"] = "vibes"
    response = api("PUT", "/v1/scoring-model", "[admin]", model)
    assert response["status"] == 422
    assert "fit_rules[0].op" in response["body"]["error"]["fields"]
    assert api("GET", "/v1/scoring-model", "[admin]")["body"]["version"] == 1


def test_a_stale_version_is_412(aws):
    model = api("GET", "/v1/scoring-model", "[admin]")["body"]["model"]
    assert api("PUT", "/v1/scoring-model", "[admin]", model, headers={"if-match": "1"})["status"] == 200
    assert api("PUT", "/v1/scoring-model", "[admin]", model, headers={"if-match": "1"})["status"] == 412


def test_contacts_sorted_by_score_with_stage_and_owner_filters(aws, qualifying_form):
    low = submit({"email": "low@gmail.com"})
    mid = submit({"email": "mid@acme.example", "company": "Acme"})
    from lead_capture.handler import handler

    event = sample_event("lead_capture_submit_json.json", pathParameters={"form_id": qualifying_form},
                         body=json.dumps({"email": "top@acme.example", "company": "Acme", "job_title": "CEO",
                                          "budget": "50000", "authority": "decision maker", "need": "x",
                                          "timeline": "now"}))
    top = json.loads(handler(event, None)["body"])["contact_id"]
    deliver_all(aws)
    by_score = api("GET", "/v1/contacts", "[sales]", query={"sort": "-score"})["body"]["items"]
    assert [c["id"] for c in by_score] == [top, mid, low]
    ascending = api("GET", "/v1/contacts", "[sales]", query={"sort": "score"})["body"]["items"]
    assert [c["id"] for c in ascending] == [low, mid, top]
    mqls = api("GET", "/v1/contacts", "[sales]", query={"sort": "-score", "lifecycle_stage": "mql"})["body"]
    assert [c["id"] for c in mqls["items"]] == [top]
    assert api("GET", "/v1/contacts", "[sales]", query={"owner": "nobody"})["body"]["items"] == []
    assert api("GET", "/v1/contacts", "[sales]", query={"sort": "name"})["status"] == 400


def test_the_daily_decay_starts_a_rescore_job(aws):
    submit({"email": "decay@acme.example"})
    deliver_all(aws)
    score({"detail-type": "Daily Decay Requested", "source": "crm.schedule", "detail": {}})
    jobs = [i for i in table_items(aws["dynamodb"], aws["settings"].table_name) if i["SK"]["S"].startswith("JOB#")]
    assert [j["reason"]["S"] for j in jobs] == ["daily decay"]
    deliver_all(aws)
    jobs = [i for i in table_items(aws["dynamodb"], aws["settings"].table_name) if i["SK"]["S"].startswith("JOB#")]
    assert jobs[0]["status"]["S"] == "done" and jobs[0]["processed"]["N"] == "1"


@pytest.mark.parametrize("event", [
    {"detail-type": "Form Submitted", "source": "crm", "detail": {"contact_id": 5}},
    {"detail-type": "Rescore Batch Requested", "source": "crm", "detail": {}},
])
def test_a_malformed_trigger_fails_loudly_for_the_dlq(aws, event):
    from lead_scoring.handler import MalformedTrigger

    with pytest.raises(MalformedTrigger):
        score(event)


def test_an_event_for_a_contact_that_is_gone_changes_nothing(aws):
    before = table_items(aws["dynamodb"], aws["settings"].table_name)
    score({"detail-type": "Contact Updated", "source": "crm", "time": "2026-11-24T00:00:00Z",
           "detail": {"contact_id": "missing", "event_id": "e1"}})
    assert table_items(aws["dynamodb"], aws["settings"].table_name) == before
