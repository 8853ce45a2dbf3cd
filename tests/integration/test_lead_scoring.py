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


def outbox(aws: dict[str, Any]) -> list[dict[str, Any]]:
    """Outbox items as the bus would deliver them to the scoring rule (source crm, detail parsed)."""
    items = [i for i in table_items(aws["dynamodb"], aws["settings"].table_name) if i["PK"]["S"].startswith("OUTBOX#")]
    items.sort(key=lambda i: i["created_at"]["S"])
    return [{"version": "0", "id": i["event_id"]["S"], "source": "crm", "detail-type": i["detail_type"]["S"],
             "time": i["created_at"]["S"], "detail": json.loads(i["detail"]["S"])} for i in items]


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


def contact(aws: dict[str, Any], contact_id: str) -> dict[str, Any]:
    key = {"PK": {"S": f"CONTACT#{contact_id}"}, "SK": {"S": "PROFILE"}}
    return aws["dynamodb"].get_item(TableName=aws["settings"].table_name, Key=key)["Item"]


def timeline(aws: dict[str, Any], contact_id: str) -> list[str]:
    return [i["entry_type"]["S"] for i in table_items(aws["dynamodb"], aws["settings"].table_name)
            if i["PK"]["S"] == f"CONTACT#{contact_id}" and i["SK"]["S"].startswith("HISTORY#")]


@pytest.fixture
def qualifying_form(aws):
    """A form that asks the BANT questions, so a lead can qualify from one submission."""
    from crm.forms import FormConfig, demo_form, save_form
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


def test_a_new_lead_is_scored_with_its_breakdown_and_timeline(aws):
    contact_id = submit({"email": "lead@acme.example", "company": "Acme"})
    deliver_all(aws)
    saved = contact(aws, contact_id)
    assert saved["score"]["N"] == "18"  # web form 3 + company 5 + one form submission 10
    assert saved["grade"]["S"] == "D2"  # fit 8 is under C (10); engagement 10 makes 2
    assert {b["M"]["rule"]["S"] for b in saved["score_breakdown"]["L"]} == {"source-web-form", "has-company",
                                                                           "form-submissions"}
    assert "score_changed" in timeline(aws, contact_id)


def test_redelivery_and_reordering_change_nothing(aws):
    # Given two people whose events arrive in opposite orders
    forward_id = submit({"email": "forward@acme.example"})
    backward_id = submit({"email": "backward@acme.example"}, ip="203.0.113.8")
    events = [e for e in outbox(aws) if scored(e)]
    for event in events:
        if event["detail"]["contact_id"] == forward_id:
            score(event)
    for event in reversed(events):
        if event["detail"]["contact_id"] == backward_id:
            score(event)
    # Then both end with the same score
    forward, backward = contact(aws, forward_id), contact(aws, backward_id)
    assert forward["score"] == backward["score"] == {"N": "13"}
    # And delivering every event twice more writes nothing at all
    history_before = timeline(aws, forward_id) + timeline(aws, backward_id)
    for event in events + events:
        score(event)
    assert contact(aws, forward_id) == forward and contact(aws, backward_id) == backward
    assert timeline(aws, forward_id) + timeline(aws, backward_id) == history_before


def test_crossing_the_threshold_makes_an_mql_once(aws, qualifying_form):
    from lead_capture.handler import handler

    event = sample_event("lead_capture_submit_json.json", pathParameters={"form_id": qualifying_form},
                         body=json.dumps({"email": "ceo@acme.example", "company": "Acme", "job_title": "CEO",
                                          "budget": "50000", "authority": "Decision maker",
                                          "need": "Our CRM is spreadsheets", "timeline": "this quarter"}))
    contact_id = json.loads(handler(event, None)["body"])["contact_id"]
    deliver_all(aws)
    saved = contact(aws, contact_id)
    assert int(saved["score"]["N"]) >= 60
    assert saved["lifecycle_stage"]["S"] == "mql" and saved["GSI3PK"]["S"] == "STAGE#mql"
    qualified = [e for e in outbox(aws) if e["detail-type"] == "Contact Qualified"]
    assert [e["detail"]["contact_id"] for e in qualified] == [contact_id]
    for event in outbox(aws):
        if scored(event):
            score(event)
    assert len([e for e in outbox(aws) if e["detail-type"] == "Contact Qualified"]) == 1


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
