"""Workflows and sequences: an event starts a run once, a wait is a schedule whose firing goes on, a reply, a
payment or an unsubscribe stops a sequence, every step is on the contact's timeline, a dry run writes nothing,
and a step replayed from the DLQ sends nothing twice."""

from __future__ import annotations

import email
import email.policy
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_ENV
from tests.conftest import table_items as all_items
from tests.support.api_client import ApiClient

GROUP = TEST_ENV["CRM_AUTOMATION_SCHEDULE_GROUP"]
marketing, admin, sales = ApiClient("marketing", user="mia"), ApiClient("admin", user="boss"), \
    ApiClient("sales", user="rep-a")


@pytest.fixture
def crm(aws: dict[str, Any]) -> Iterator[dict[str, Any]]:
    from crm.workflows.store import forget_cache

    boto3.client("scheduler").create_schedule_group(Name=GROUP)
    boto3.client("ses").verify_domain_identity(Domain="crm.example.com")
    forget_cache()
    yield aws
    forget_cache()


def sent() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return [email.message_from_string(m.raw_data, policy=email.policy.default)
            for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages]


def a_template(subject: str = "Welcome {{ contact.first_name }}") -> str:
    from crm.outbound.spec import EmailTemplateItem

    template_id = uuid.uuid4().hex
    variants = {"en": {"subject": subject, "text": "Dear {{ contact.first_name }}, welcome."}}
    EmailTemplateItem(*EmailTemplateItem.key(template_id), template_id=template_id, name="Welcome",
                      topic="transactional", default_language="en", variants_json=json.dumps(variants),
                      created_at="2026-12-04T00:00:00Z", updated_at="2026-12-04T00:00:00Z", updated_by="admin",
                      version=1, GSI1PK=EmailTemplateItem.list_key(),
                      GSI1SK=f"2026-12-04T00:00:00Z#{template_id}").save()
    return template_id


def a_contact(**fields: Any) -> str:
    body = {"first_name": "Reza", "email": f"reza.{uuid.uuid4().hex[:8]}@example.com", "owner": "rep-a", **fields}
    created = admin.post("/v1/contacts", body)
    assert created.status == 201, created.body
    return str(created.body["id"])


def a_workflow(steps: list[dict[str, Any]], *, events: tuple[str, ...] = ("Contact Created",),
               conditions: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    body = {"name": "Welcome", "status": "active", "trigger": {"events": list(events), "conditions": conditions or []},
            "steps": steps, **fields}
    created = marketing.post("/v1/workflows", body)
    assert created.status == 201, created.body
    return created.body


def event(detail_type: str, contact_id: str, **detail: Any) -> dict[str, Any]:
    event_id = uuid.uuid4().hex
    return {"version": "0", "id": uuid.uuid4().hex, "detail-type": detail_type, "source": "crm",
            "time": "2026-12-04T10:00:00Z", "detail": {"contact_id": contact_id, "event_id": event_id, **detail}}


def table_items() -> list[dict[str, Any]]:
    return all_items(boto3.client("dynamodb"), TEST_ENV["CRM_TABLE_NAME"])


def handle(payload: dict[str, Any]) -> dict[str, Any]:
    from workflows.handler import handler

    return handler(payload, None)


def run_of(workflow_id: str, contact_id: str) -> dict[str, Any]:
    runs = marketing.get(f"/v1/workflows/{workflow_id}/runs").body["items"]
    [run] = [r for r in runs if r["contact_id"] == contact_id]
    return run


def steps_on_timeline(contact_id: str) -> list[str]:
    entries = admin.get(f"/v1/contacts/{contact_id}/timeline", limit="100").body["items"]
    return [e["summary"] for e in reversed(entries) if e["type"] == "workflow_step"]


def schedule(name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        return boto3.client("scheduler").get_schedule(Name=name, GroupName=GROUP)
    except ClientError:
        return None


def test_a_trigger_starts_a_run_once_and_each_step_is_on_the_timeline(crm):
    # Given an active welcome workflow on forms' new contacts, sending an email, then a task and a field
    template_id = a_template()
    workflow = a_workflow([{"id": "hello", "type": "send_email", "template_id": template_id},
                           {"id": "call", "type": "create_task", "subject": "Call the new lead", "due_in": {"days": 2}},
                           {"id": "mark", "type": "set_field", "field": "lead_status", "value": "attempted_contact"}],
                          conditions=[{"field": "event.channel", "op": "eq", "value": "form"}])
    contact_id = a_contact()
    created = event("Contact Created", contact_id, channel="form")
    # When its Contact Created arrives, is delivered again, and another such event comes later
    first = handle(created)
    handle(created)
    handle(event("Contact Created", contact_id, channel="form"))
    # Then one run went through every step once
    assert first["runs"] == {workflow["id"]: "completed"}
    assert len(sent()) == 1 and sent()[0]["Subject"] == "Welcome Reza"
    tasks = admin.get("/v1/activities", contact_id=contact_id).body["items"]
    assert [(t["type"], t["subject"], t["owner"]) for t in tasks] == [("task", "Call the new lead", "rep-a")]
    assert admin.get(f"/v1/contacts/{contact_id}").body["lead_status"] == "attempted_contact"
    assert run_of(workflow["id"], contact_id)["status"] == "completed"
    summaries = steps_on_timeline(contact_id)
    assert summaries[0] == "Workflow Welcome started (Contact Created)"
    assert [s.split(":")[0] for s in summaries[1:]] == [
        "Workflow Welcome, step hello (send_email)", "Workflow Welcome, step call (create_task)",
        "Workflow Welcome, step mark (set_field)"]


def test_conditions_that_do_not_hold_start_nothing(crm):
    # Given a workflow for forms' contacts only
    workflow = a_workflow([{"id": "hello", "type": "send_email", "template_id": a_template()}],
                          conditions=[{"field": "event.channel", "op": "eq", "value": "form"}])
    contact_id = a_contact()
    # When a contact made through the API is created
    outcome = handle(event("Contact Created", contact_id, channel="api"))
    # Then no run started and nothing was sent
    assert outcome["runs"] == {workflow["id"]: "not_matched"}
    assert sent() == [] and marketing.get(f"/v1/workflows/{workflow['id']}/runs").body["items"] == []


def test_a_wait_is_a_schedule_whose_firing_continues_the_run(crm):
    # Given a sequence: wait two days, then email
    workflow = a_workflow([{"id": "later", "type": "wait", "duration": {"days": 2}},
                           {"id": "hello", "type": "send_email", "template_id": a_template()}])
    contact_id = a_contact()
    # When it starts
    assert handle(event("Contact Created", contact_id))["runs"] == {workflow["id"]: "waiting"}
    # Then nothing is sent yet, and a one-time schedule invokes the workflow function when the wait ends
    run = run_of(workflow["id"], contact_id)
    found = schedule(f"wait-{run['run_id']}-later")
    assert found is not None and found["ScheduleExpression"].startswith("at(")
    assert found["Target"]["Arn"] == TEST_ENV["CRM_WORKFLOW_FUNCTION"] and sent() == []
    payload = json.loads(found["Target"]["Input"])
    # When the schedule fires (twice: Scheduler delivers at least once)
    assert handle(payload)["wake"] == "completed"
    assert handle(payload)["wake"] == "superseded"
    # Then the run went on and sent once
    assert len(sent()) == 1 and run_of(workflow["id"], contact_id)["status"] == "completed"


def test_erasing_a_contact_deletes_its_runs_and_a_later_wake_does_nothing(crm):
    # Given a contact waiting in a sequence, its run keeping the event that started it
    workflow = a_workflow([{"id": "later", "type": "wait", "duration": {"days": 2}},
                           {"id": "hello", "type": "send_email", "template_id": a_template()}])
    contact_id = a_contact()
    handle(event("Contact Created", contact_id, email="reza@example.com"))
    payload = json.loads(schedule(f"wait-{run_of(workflow['id'], contact_id)['run_id']}-later")["Target"]["Input"])
    # When the contact is erased (GDPR)
    assert admin.post(f"/v1/contacts/{contact_id}/erase", None).status == 200
    # Then the run is gone from the table and the workflow's runs
    assert not [i for i in table_items() if i["PK"]["S"] == f"CONTACT#{contact_id}"
                and i["SK"]["S"].startswith("WORKFLOW_RUN#")]
    assert marketing.get(f"/v1/workflows/{workflow['id']}/runs").body["items"] == []
    # And when the wait's schedule fires, nothing is sent
    handle(payload)
    assert sent() == []


@pytest.mark.parametrize(("reason", "stopping"), [
    ("reply", ("Email Received", {"email_id": "e1", "thread_id": "t1"})),
    ("payment", ("Payment Succeeded", {"amount_minor": 1000})),
    ("unsubscribe", ("Contact Unsubscribed", {"topic": "newsletter", "source": "one_click"})),
])
def test_a_sequence_stops_when_the_contact_replies_pays_or_unsubscribes(crm, reason, stopping):
    # Given a contact waiting in a sequence that stops on `reason`
    workflow = a_workflow([{"id": "later", "type": "wait", "duration": {"days": 3}},
                           {"id": "nudge", "type": "send_email", "template_id": a_template()}], stop_on=[reason])
    contact_id = a_contact()
    handle(event("Contact Created", contact_id))
    run = run_of(workflow["id"], contact_id)
    payload = json.loads(schedule(f"wait-{run['run_id']}-later")["Target"]["Input"])
    # When the contact does it
    assert handle(event(stopping[0], contact_id, **stopping[1]))["stopped"] == 1
    # Then the run stopped, its wait is gone, and a late firing sends nothing
    assert run_of(workflow["id"], contact_id)["status"] == "stopped"
    assert schedule(f"wait-{run['run_id']}-later") is None
    assert handle(payload)["wake"] == "superseded" and sent() == []
    assert steps_on_timeline(contact_id)[-1].startswith("Workflow run stopped at step later")


def test_a_stop_event_leaves_runs_that_did_not_ask_for_it(crm):
    workflow = a_workflow([{"id": "later", "type": "wait", "duration": {"days": 3}},
                           {"id": "nudge", "type": "send_email", "template_id": a_template()}], stop_on=["payment"])
    contact_id = a_contact()
    handle(event("Contact Created", contact_id))
    assert handle(event("Email Received", contact_id))["stopped"] == 0
    assert run_of(workflow["id"], contact_id)["status"] == "waiting"


def test_a_branch_takes_the_path_its_conditions_say(crm):
    # Given a branch on the lifecycle stage: customers get a thank-you, others a welcome
    thanks, welcome = a_template("Thanks"), a_template("Welcome")
    a_workflow([{"id": "who", "type": "branch", "conditions": [{"field": "lifecycle_stage", "op": "eq",
                                                               "value": "customer"}], "else": "welcome"},
                {"id": "thanks", "type": "send_email", "template_id": thanks},
                {"id": "stop", "type": "branch", "conditions": [{"field": "id", "op": "exists"}], "then": "end"},
                {"id": "welcome", "type": "send_email", "template_id": welcome}])
    # When a lead and a customer are created
    handle(event("Contact Created", a_contact()))
    handle(event("Contact Created", a_contact(lifecycle_stage="customer")))
    # Then each got its own email only
    assert sorted(m["Subject"] for m in sent()) == ["Thanks", "Welcome"]


def test_a_workflow_does_not_start_again_on_what_its_own_step_wrote(crm):
    # Given a workflow that runs on every contact update, always, and sets a field
    workflow = a_workflow([{"id": "tag", "type": "set_field", "field": "job_title", "value": "Reviewed"}],
                          events=("Contact Updated",), re_entry="always")
    other = a_workflow([{"id": "note", "type": "create_task", "subject": "Call them", "due_in": {"days": 1}}],
                       events=("Contact Updated",), re_entry="always")
    contact_id = a_contact()
    # When a person updates the contact
    assert handle(event("Contact Updated", contact_id, fields=["first_name"], by="rep-a"))["runs"] == {
        workflow["id"]: "completed", other["id"]: "completed"}
    # Then the field it set announces itself as the workflow's write
    [written] = [json.loads(i["detail"]["S"]) for i in table_items() if i["PK"]["S"].startswith("OUTBOX#")
                 and i["detail_type"]["S"] == "Contact Updated" and "job_title" in i["detail"]["S"]]
    assert written["by"] == f"workflow:{workflow['id']}"
    # And that event starts the other workflow again, but never the one that wrote it
    again = {"version": "0", "id": uuid.uuid4().hex, "detail-type": "Contact Updated", "source": "crm",
             "time": "2026-12-04T10:00:00Z", "detail": {**written, "event_id": uuid.uuid4().hex}}
    assert handle(again)["runs"] == {other["id"]: "completed"}


def test_re_entry_always_runs_again_after_a_run_ended_and_restart_starts_over(crm):
    again = a_workflow([{"id": "thanks", "type": "send_email", "template_id": a_template()}],
                       events=("Payment Succeeded",), re_entry="always")
    restart = a_workflow([{"id": "quiet", "type": "wait", "duration": {"days": 30}}],
                         events=("Activity Logged",), re_entry="restart")
    contact_id = a_contact()
    handle(event("Payment Succeeded", contact_id))
    handle(event("Payment Succeeded", contact_id))
    assert len(sent()) == 2
    handle(event("Activity Logged", contact_id))
    first = run_of(restart["id"], contact_id)["run_id"]
    handle(event("Activity Logged", contact_id))
    second = run_of(restart["id"], contact_id)
    # The first wait is gone with its run; the new run waits
    assert second["run_id"] != first and second["status"] == "waiting"
    assert schedule(f"wait-{first}-quiet") is None and schedule(f"wait-{second['run_id']}-quiet") is not None
    assert again["id"] != restart["id"]


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver on 127.0.0.1: answers each request with the next status, keeping what it got."""

    statuses: ClassVar[list[int]] = []
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(type(self).statuses.pop(0) if type(self).statuses else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[Receiver]]]:
    handler = type("OneReceiver", (Receiver,), {"statuses": [], "received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/crm", handler
    server.shutdown()
    server.server_close()


def test_the_webhook_step_posts_a_body_signed_with_the_secret_shown_once(crm, receiver):
    from crm.workflows.webhook import verify

    # Given a workflow calling a local receiver
    url, got = receiver
    workflow = a_workflow([{"id": "tell", "type": "webhook", "url": url}])
    secret = workflow["webhook_secret"]
    assert "webhook_secret" not in marketing.get(f"/v1/workflows/{workflow['id']}").body
    contact_id = a_contact()
    # When a contact triggers it
    handle(event("Contact Created", contact_id))
    # Then the receiver got the contact, signed: HMAC-SHA256 of "<t>.<body>" under the secret
    [(headers, body)] = got.received
    assert verify(secret, headers["x-crm-signature"], body)
    assert not verify("whsec_other", headers["x-crm-signature"], body)
    assert not verify(secret, headers["x-crm-signature"], body + b" ")
    payload = json.loads(body)
    assert payload["contact"]["id"] == contact_id and payload["step_id"] == "tell"
    assert headers["x-crm-delivery"] == payload["delivery"]
    assert run_of(workflow["id"], contact_id)["status"] == "completed"


def test_a_workflow_replayed_from_its_dlq_sends_nothing_twice(crm, receiver):
    from crm.workflows.engine import StepFailed
    from workflows.handler import handler

    # Given a sequence: an email, then a webhook whose receiver fails twice
    url, got = receiver
    got.statuses.extend([500, 503])
    workflow = a_workflow([{"id": "hello", "type": "send_email", "template_id": a_template()},
                           {"id": "tell", "type": "webhook", "url": url},
                           {"id": "bye", "type": "send_email", "template_id": a_template("Bye")}])
    contact_id = a_contact()
    created = event("Contact Created", contact_id)
    # When the step breaks (and Lambda's retry breaks again), the event ends in the DLQ naming run and step
    with pytest.raises(StepFailed, match=r"run [0-9a-f]+ step tell"):
        handler(created, None)
    with pytest.raises(StepFailed):
        handler(created, None)
    failed = run_of(workflow["id"], contact_id)
    assert failed["status"] == "failed" and failed["position"] == "tell" and "answered 503" in failed["error"]
    assert len(sent()) == 1
    # When the letter is replayed (twice, as an operator might)
    assert handler(created, None)["runs"] == {workflow["id"]: "completed"}
    assert handler(created, None)["runs"] == {workflow["id"]: "already_completed"}
    # Then each email went once, and the webhook answered on the third try
    assert sorted(m["Subject"] for m in sent()) == ["Bye", "Welcome Reza"]
    assert len(got.received) == 3 and run_of(workflow["id"], contact_id)["status"] == "completed"
    assert any("failed: " in s for s in steps_on_timeline(contact_id))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "169.254.169.254", "10.0.0.8", "[::1]",
                                  "no-such-host.invalid"])
def test_deployed_a_webhook_to_a_non_public_address_fails_its_step_and_sends_nothing(crm, receiver, monkeypatch,
                                                                                      host):
    import dataclasses

    from crm.platform import config
    from crm.workflows.engine import StepFailed
    from workflows.handler import handler

    # Given a deployed stack's settings (private targets not allowed) and a webhook to an address inside it
    deployed = dataclasses.replace(config.get_settings(), webhook_private_targets=False)
    monkeypatch.setattr("crm.workflows.steps.get_settings", lambda: deployed)
    url, got = receiver
    port = url.split(":")[2].split("/")[0]
    workflow = a_workflow([{"id": "tell", "type": "webhook", "url": f"http://{host}:{port}/hooks/crm"}])
    contact_id = a_contact()
    # When a run reaches the step / Then it fails, naming why, and nothing was posted
    with pytest.raises(StepFailed):
        handler(event("Contact Created", contact_id), None)
    failed = run_of(workflow["id"], contact_id)
    assert failed["status"] == "failed" and "refused" in failed["error"]
    assert got.received == []


def test_a_public_address_is_a_public_target():
    from crm.workflows.webhook import public_target

    assert public_target("https://93.184.215.14/hook") is None
    assert "non-public" in (public_target("http://192.168.1.5/hook") or "")


def test_an_email_sent_before_a_crash_is_not_sent_again_when_the_step_is_retried(crm):
    from crm.workflows.spec import RunItem

    # Given a run that sent its email but crashed before moving on (the run still at the step)
    workflow = a_workflow([{"id": "hello", "type": "send_email", "template_id": a_template()}])
    contact_id = a_contact()
    created = event("Contact Created", contact_id)
    handle(created)
    RunItem(*RunItem.key(contact_id, workflow["id"])).update([RunItem.position.set("hello"),
                                                              RunItem.status.set("failed")])
    # When the event is replayed
    handle(created)
    # Then the send key kept the email to one
    assert len(sent()) == 1 and run_of(workflow["id"], contact_id)["status"] == "completed"


def test_a_dry_run_shows_the_path_and_writes_nothing(crm):
    # Given a workflow with a wait, a branch, an email, a task and a field
    template_id = a_template()
    workflow = a_workflow([{"id": "later", "type": "wait", "duration": {"hours": 1}},
                           {"id": "lead", "type": "branch", "conditions": [{"field": "lifecycle_stage", "op": "in",
                                                                            "value": ["lead", "mql"]}],
                            "else": "end"},
                           {"id": "hello", "type": "send_email", "template_id": template_id},
                           {"id": "call", "type": "create_task", "subject": "Call", "due_in": {"days": 1}},
                           {"id": "mark", "type": "set_field", "field": "lead_status", "value": "contacted"}],
                          conditions=[{"field": "event.channel", "op": "eq", "value": "form"}])
    contact_id = a_contact()
    before = table_items()
    # When marketing dry-runs it for a contact
    answer = marketing.post(f"/v1/workflows/{workflow['id']}/dry-run", {"contact_id": contact_id,
                                                                         "event": {"channel": "form"}})
    # Then it shows the path, the email's subject, and nothing was written or sent
    assert answer.status == 200, answer.body
    assert answer.body["would_start"] is True
    assert [step["step_id"] for step in answer.body["path"]] == ["later", "lead", "hello", "call", "mark"]
    assert answer.body["path"][2]["subject"] == "Welcome Reza"
    assert answer.body["path"][4]["value"] == "contacted"
    assert table_items() == before and sent() == []
    assert marketing.post(f"/v1/workflows/{workflow['id']}/dry-run",
                          {"contact_id": "nobody"}).status == 404


def test_a_definition_is_refused_with_every_problem_named(crm):
    # When marketing posts a workflow with several problems at once
    answer = marketing.post("/v1/workflows", {
        "name": "Broken", "trigger": {"events": ["Contact Created"], "conditions": [
            {"field": "no_such_field", "op": "eq", "value": 1}]},
        "steps": [{"id": "a", "type": "branch", "conditions": [{"field": "email", "op": "in", "value": "x"}],
                   "then": "nowhere"},
                  {"id": "a", "type": "wait"},
                  {"id": "b", "type": "send_email", "template_id": "missing"},
                  {"id": "c", "type": "set_field", "field": "lifecycle_stage", "value": "nonsense"},
                  {"id": "d", "type": "webhook", "url": "ftp://example.com/x"}]})
    # Then one 422 names each
    assert answer.status == 422, answer.body
    assert set(answer.body["error"]["fields"]) >= {"trigger.conditions.0", "steps.0.conditions.0", "steps.0.then",
                                                   "steps.1.id", "steps.1", "steps.2.template_id", "steps.3.value",
                                                   "steps.4.url"}


def test_who_may_write_and_read_workflows(crm):
    body = {"name": "W", "trigger": {"events": ["Contact Created"]},
            "steps": [{"id": "w", "type": "wait", "duration": {"days": 1}}]}
    assert sales.post("/v1/workflows", body).status == 403
    assert sales.get("/v1/workflows").status == 403
    assert ApiClient("support", user="sup").get("/v1/workflows").status == 403
    created = admin.post("/v1/workflows", body)
    assert created.status == 201 and created.body["status"] == "draft"
    assert [w["id"] for w in marketing.get("/v1/workflows").body["items"]] == [created.body["id"]]


def test_only_active_workflows_start_runs_and_an_edit_takes_effect(crm):
    # Given a draft workflow
    body = {"name": "W", "trigger": {"events": ["Contact Created"]},
            "steps": [{"id": "hello", "type": "send_email", "template_id": a_template()}]}
    draft = marketing.post("/v1/workflows", body).body
    contact_id = a_contact()
    # When a contact is created, it does nothing; when activated, it runs
    assert handle(event("Contact Created", contact_id))["runs"] == {}
    activated = marketing.call("PUT", f"/v1/workflows/{draft['id']}", {**body, "status": "active"},
                               headers={"if-match": '"1"'})
    assert activated.status == 200, activated.body
    assert handle(event("Contact Created", contact_id))["runs"] == {draft["id"]: "completed"}
    # And once paused it starts no more (and deleting it leaves nothing indexed)
    marketing.call("PUT", f"/v1/workflows/{draft['id']}", {**body, "status": "paused"})
    assert handle(event("Contact Created", a_contact()))["runs"] == {}
    assert marketing.delete(f"/v1/workflows/{draft['id']}").status == 204
    assert not [i for i in table_items() if str(i.get("SK", "")).startswith("TRIGGER#")]


def test_built_in_workflows_are_listed_and_created_paused(crm):
    template_id = a_template()
    listed = marketing.get("/v1/workflows/templates")
    assert {b["key"] for b in listed.body["items"]} == {"welcome-after-form", "thank-you-after-payment", "win-back"}
    made = marketing.post("/v1/workflows/templates/win-back", {"email_template_id": template_id,
                                                               "parameters": {"days": 30}})
    assert made.status == 201, made.body
    assert made.body["status"] == "paused" and made.body["re_entry"] == "restart"
    assert made.body["steps"][0]["duration"] == {"days": 30, "hours": 0, "minutes": 0}
    assert marketing.post("/v1/workflows/templates/nope", {"email_template_id": template_id}).status == 404
    assert marketing.post("/v1/workflows/templates/win-back", {"email_template_id": "missing"}).status == 422
    assert marketing.post("/v1/workflows/templates/win-back", {"email_template_id": template_id,
                                                               "parameters": {"weeks": 2}}).status == 422


def test_win_back_sends_to_a_quiet_contact_only(crm):
    # Given the win-back workflow switched on, and two contacts starting their quiet count
    template_id = a_template("We miss you")
    made = marketing.post("/v1/workflows/templates/win-back", {"email_template_id": template_id,
                                                               "parameters": {"days": 30}}).body
    body = {k: made[k] for k in ("name", "trigger", "steps", "re_entry", "stop_on")}
    assert marketing.call("PUT", f"/v1/workflows/{made['id']}", {**body, "status": "active"}).status == 200
    quiet, busy = a_contact(), a_contact()
    for contact_id in (quiet, busy):
        handle(event("Contact Created", contact_id))
    # When the busy one has a call logged (its own event is not delivered yet) and both waits end
    assert admin.post("/v1/activities", {"type": "call", "subject": "Chat", "contact_id": busy}).status == 201
    for contact_id in (quiet, busy):
        run = run_of(made["id"], contact_id)
        handle(json.loads(schedule(f"wait-{run['run_id']}-quiet")["Target"]["Input"]))
    # Then only the quiet contact got the email
    [message] = sent()
    assert message["Subject"] == "We miss you"
    assert run_of(made["id"], busy)["status"] == "completed"


def test_an_unreadable_input_is_refused_for_the_dlq(crm):
    from workflows.handler import MalformedTrigger

    with pytest.raises(MalformedTrigger):
        handle({"kind": "workflow_wait", "run_id": "r"})
    assert handle({"something": "else"}) == {"ignored": True}
    assert handle({"detail-type": "Contact Created", "detail": {}}) == {"ignored": "no contact"}
    assert handle({"kind": "workflow_wait", "workflow_id": "w", "contact_id": "c", "run_id": "r",
                   "step_id": "s"})["wake"] == "superseded"


def test_crm_dlq_replays_a_broken_step_by_invoking_workflows_again_and_sends_nothing_twice(in_process_stack, receiver):
    from crm.platform.config import get_settings
    from crm.records.table import bind_table
    from crm.workflows.definition import WorkflowFields
    from crm.workflows.spec import RunItem
    from crm.workflows.store import add_workflow, forget_cache, stored
    from crm_local.dlq import DeadLetterOffice, DeadLetterQueues

    from tests.integration.test_dlq import put_letter, submit_form

    # Given, on the local stack, a lead and an active workflow: a field set, then a webhook that fails once
    url, got = receiver
    got.statuses.append(500)
    bind_table(get_settings())
    forget_cache()
    lead = submit_form(in_process_stack, "seq@example.com")
    view, _ = add_workflow("mia", stored(WorkflowFields.model_validate({
        "name": "Hot", "status": "active", "trigger": {"events": ["Lead Warmed"]},
        "steps": [{"id": "mark", "type": "set_field", "field": "lead_status", "value": "warm"},
                  {"id": "tell", "type": "webhook", "url": url}]})))
    letter = {"version": "0", "id": "ev-1", "detail-type": "Lead Warmed", "source": "crm",
              "detail": {"contact_id": lead, "event_id": "ev-1"}}
    # When the function breaks on the webhook, the event goes to WorkflowDLQ (as Lambda puts it there)
    with pytest.raises(Exception, match="step tell"):
        in_process_stack.functions.invoke("WorkflowFunction", letter)
    put_letter(in_process_stack, "WorkflowDLQ", letter)
    queues = DeadLetterQueues.from_template(in_process_stack.template)
    answers: list[dict[str, Any]] = []

    def invoke(function: str, payload: dict[str, Any]) -> None:
        answers.append(in_process_stack.functions.invoke(function, payload))

    # And it is replayed
    assert DeadLetterOffice(in_process_stack.client, queues, invoke).replay() == (1, [])
    # Then the run finished from the broken step: the field was set once, the webhook answered on the second try
    assert answers == [{"contact_id": lead, "runs": {view["id"]: "completed"}}]
    run = RunItem.get(*RunItem.key(lead, view["id"]), consistent_read=True)
    assert run.status == "completed" and int(run.steps_taken) == 2 and len(got.received) == 2
    assert DeadLetterOffice(in_process_stack.client, queues).list()[in_process_stack.name("WorkflowDLQ")] == []


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9), st.text(max_size=30),
                    st.floats(allow_nan=False))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                         max_size=5), max_leaves=25)
STEPS = st.lists(st.fixed_dictionaries({"id": st.text(max_size=8), "type": st.sampled_from(
    ["wait", "branch", "send_email", "create_task", "set_field", "assign", "webhook"])},
    optional={"duration": JSON, "until": JSON, "conditions": JSON, "then": JSON, "url": st.text(max_size=40),
              "template_id": JSON, "subject": JSON, "field": st.text(max_size=20), "value": JSON}), max_size=4)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(JSON, st.fixed_dictionaries({"name": JSON, "trigger": JSON, "steps": STEPS},
                                                   optional={"status": JSON, "re_entry": JSON, "stop_on": JSON})))
def test_any_body_a_stranger_posts_to_the_workflow_routes_gets_an_answer_never_an_error(crm, body):
    # When anything is posted as a workflow, a built-in's parameters, or a dry run
    for path in ("/v1/workflows", "/v1/workflows/templates/win-back", "/v1/workflows/templates/<x>",
                 "/v1/workflows/nope/dry-run"):
        answer = marketing.post(path, body)
        # Then it is made (a valid one) or refused with a 4xx saying why, never a 5xx
        assert answer.status in (201, 404, 422), (path, answer.status, answer.body)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.dictionaries(st.sampled_from(["kind", "workflow_id", "contact_id", "run_id", "step_id",
                                                "detail-type", "detail", "id"]), JSON, max_size=8))
def test_any_input_the_workflow_function_gets_is_handled_or_refused_for_the_dlq(crm, payload):
    from workflows.handler import MalformedTrigger

    # When the function is invoked with anything
    try:
        outcome = handle(payload)
    except MalformedTrigger:
        return  # kept in the DLQ, with why
    # Then it did nothing it could not say
    assert isinstance(outcome, dict)
