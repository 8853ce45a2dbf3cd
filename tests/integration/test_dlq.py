"""`crm dlq list` and `crm dlq replay` over the template's wiring: each DLQ's messages go back to where
they came from, leave the DLQ only once re-driven, and a second replay changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.conftest import sample_event, table_items
from tests.support.api_client import ApiClient
from tests.support.faults import SERVER_ERROR, THROTTLE, FaultInjector, FaultPlan, Rule
from tests.support.local_stack import drain
from tests.support.mail import message


def always(operation: str, function: str, kind: str = SERVER_ERROR) -> FaultPlan:
    return FaultPlan([Rule(operation, kind, probability=1.0, function=function)])


def office(stack: Any) -> Any:
    from crm_local.dlq import DeadLetterOffice, DeadLetterQueues

    return DeadLetterOffice(stack.client, DeadLetterQueues.from_template(stack.template))


def run(stack: Any, plan: FaultPlan | None = None) -> None:
    """Dispatches until idle, with the plan's faults inside the functions."""
    with FaultInjector(plan or FaultPlan([])) as faults:
        drain(stack.pollers(faults.arm(stack.functions.invoke)))


def snapshot(stack: Any) -> list[dict[str, Any]]:
    items = table_items(stack.client("dynamodb"), stack.name("CrmTable"))
    return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


def submit_form(stack: Any, email: str = "dlq@example.com") -> str:
    response = stack.functions.invoke("LeadCaptureFunction", sample_event(
        "lead_capture_submit_json.json", body=json.dumps({"email": email, "first_name": "Dee"})))
    return json.loads(response["body"])["contact_id"]


def contact(stack: Any, contact_id: str) -> dict[str, Any]:
    return stack.client("dynamodb").get_item(TableName=stack.name("CrmTable"), Key={
        "PK": {"S": f"CONTACT#{contact_id}"}, "SK": {"S": "PROFILE"}})["Item"]


def engagements(stack: Any, contact_id: str) -> int:
    """How many engagements the contact's score holds (a new lead's form submission is scored at capture)."""
    return len(contact(stack, contact_id)["engagement"]["M"])


def replaying_again_changes_nothing(stack: Any, dlq: Any, queue: str, letter: Any) -> None:
    """The dead letter put back after its replay had succeeded: replayed once more, the table unchanged."""
    before = snapshot(stack)
    sqs = stack.client("sqs")
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=stack.name(queue))["QueueUrl"], MessageBody=letter.body)
    assert dlq.replay() == (1, [])
    run(stack)
    assert snapshot(stack) == before


def test_mail_that_could_not_be_read_is_listed_then_replayed_once(in_process_stack):
    stack = in_process_stack
    dlq = office(stack)
    # Given a stored mail that S3 refused to give back on every one of its five receives
    stack.client("s3").put_object(Bucket=stack.name("InboundMailBucket"), Key="inbound/lost",
                                  Body=message(subject="lost and found").as_bytes())
    run(stack, always("s3.GetObject", "EmailIngestFunction", THROTTLE))
    # When the DLQs are listed
    listed = dlq.list()
    # Then the mail DLQ holds it, named by its object, the others are empty
    [letter] = listed[stack.name("InboundMailDLQ")]
    assert "s3://" in letter.summary(dlq.queues) and "inbound/lost" in letter.summary(dlq.queues)
    assert listed[stack.name("LeadScoringDLQ")] == [] and listed[stack.name("EventPublisherDLQ")] == []
    # When it is replayed with S3 well again
    assert dlq.replay() == (1, [])
    run(stack)
    # Then the mail is stored, and the DLQ is empty
    subjects = [i["subject"]["S"] for i in snapshot(stack)
                if i["PK"]["S"].startswith("EMAIL#") and i["SK"]["S"] == "EMAIL"]
    assert subjects == ["lost and found"]
    assert dlq.list()[stack.name("InboundMailDLQ")] == []
    # And replaying the same notification again (it had succeeded) changes nothing
    replaying_again_changes_nothing(stack, dlq, "InboundMailDLQ", letter)
    assert dlq.replay() == (0, [])


def test_scoring_events_the_function_failed_on_are_put_back_on_the_bus(in_process_stack):
    stack = in_process_stack
    dlq = office(stack)
    # Given a lead who came back (the second submission is an engagement its score does not hold yet),
    # whose events scoring failed on, three times each (the first submission's two were scored at capture,
    # and the scoring rule does not deliver them)
    contact_id = submit_form(stack)
    assert submit_form(stack) == contact_id and engagements(stack, contact_id) == 1
    run(stack, always("dynamodb.GetItem", "LeadScoringFunction"))
    letters = dlq.list()[stack.name("LeadScoringDLQ")]
    summaries = sorted(letter.summary(dlq.queues) for letter in letters)
    assert [s.split(" ")[0:2] for s in summaries] == [["Contact", "Updated"], ["Form", "Submitted"]]
    assert all(contact_id in s and "injected server_error" in s for s in summaries)
    assert engagements(stack, contact_id) == 1
    # When they are replayed while the bus refuses them, they stay
    with FaultInjector(always("events.PutEvents", "replay")) as faults, faults.armed("replay"):
        replayed, kept = dlq.replay(stack.name("LeadScoringDLQ"))
    assert (replayed, len(kept)) == (0, 2)
    # And replayed when it takes them, the contact is scored and the DLQ is empty
    assert dlq.replay(stack.name("LeadScoringDLQ")) == (2, [])
    run(stack)
    assert engagements(stack, contact_id) == 2
    assert dlq.list()[stack.name("LeadScoringDLQ")] == []
    # And the same events once more change nothing (scoring dedupes on the event id)
    before = snapshot(stack)
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=stack.name("LeadScoringDLQ"))["QueueUrl"]
    for letter in letters:
        sqs.send_message(QueueUrl=url, MessageBody=letter.body)
    assert dlq.replay() == (2, [])
    run(stack)
    assert snapshot(stack) == before


def test_a_stream_batch_the_publisher_gave_up_on_is_recovered_from_the_stream(in_process_stack):
    stack = in_process_stack
    dlq = office(stack)
    # Given a lead who came back, whose two submissions' outbox items (two events each) the bus refused
    # through all the stream's retries
    contact_id = submit_form(stack)
    assert submit_form(stack) == contact_id
    run(stack, always("events.PutEvents", "EventPublisherFunction"))
    [letter] = dlq.list()[stack.name("EventPublisherDLQ")]
    assert "2 stream records" in letter.summary(dlq.queues)
    assert engagements(stack, contact_id) == 1
    # When the batch is replayed, its outbox events are read from the stream and published
    assert dlq.replay() == (1, [])
    run(stack)
    # Then scoring received them, and the DLQ is empty
    assert engagements(stack, contact_id) == 2
    assert dlq.list()[stack.name("EventPublisherDLQ")] == []
    # And a second replay of the same range changes nothing
    replaying_again_changes_nothing(stack, dlq, "EventPublisherDLQ", letter)


def test_a_stream_batch_the_search_indexer_gave_up_on_is_indexed_on_replay(in_process_stack):
    stack = in_process_stack
    dlq = office(stack)
    search = stack.client("dynamodb")
    def terms() -> list[dict[str, Any]]:
        return search.query(
            TableName=stack.name("CrmTable"), KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "SEARCH#contact"}})["Items"]

    # Given a new lead whose search terms could not be written through all the stream's retries
    submit_form(stack, "findme@example.com")
    run(stack, always("dynamodb.TransactWriteItems", "SearchIndexerFunction"))
    [letter] = dlq.list()[stack.name("SearchIndexerDLQ")]
    assert "stream records" in letter.summary(dlq.queues)
    assert terms() == []
    # When the batch is replayed / Then the indexer's own code indexes the range, and the DLQ is empty
    assert dlq.replay() == (1, [])
    assert any(item["SK"]["S"].startswith("findme") for item in terms())
    assert dlq.list()[stack.name("SearchIndexerDLQ")] == []
    # And a second replay of the same range changes nothing
    replaying_again_changes_nothing(stack, dlq, "SearchIndexerDLQ", letter)


def test_a_stream_batch_the_dashboards_counters_gave_up_on_is_counted_on_replay(in_process_stack):
    stack = in_process_stack
    dlq = office(stack)
    today = datetime.now(UTC).date().isoformat()

    def funnel() -> list[dict[str, Any]]:
        response = ApiClient("admin").get("/v1/dashboards/funnel", grain="day", **{"from": today, "to": today})
        assert response.status == 200, response.body
        return [period for period in response.body["periods"] if period["created"] or period["stages"]]

    # Given a new lead whose counters could not be written through all the stream's retries
    submit_form(stack, "countme@example.com")
    run(stack, always("dynamodb.TransactWriteItems", "DashboardCountersFunction"))
    [letter] = dlq.list()[stack.name("DashboardCountersDLQ")]
    assert "stream records" in letter.summary(dlq.queues)
    assert funnel() == []
    # When the batch is replayed / Then the counters' own code counts the range, and the DLQ is empty
    assert dlq.replay() == (1, [])
    [counted] = funnel()
    assert (counted["created"], counted["stages"], counted["reached"]["lead"]) == (1, {"lead": 1}, 1)
    assert dlq.list()[stack.name("DashboardCountersDLQ")] == []
    # And a second replay of the same range changes nothing: the lead is still counted once
    replaying_again_changes_nothing(stack, dlq, "DashboardCountersDLQ", letter)
    assert funnel() == [counted]


def test_every_stream_consumer_with_an_on_failure_queue_is_replayed_by_crm_dlq(in_process_stack):
    from crm_local.template import StreamSource

    queues = office(in_process_stack).queues
    # Every stream consumer's DLQ is listed; each but the publisher's is a stream projection, replayed
    # with its function's filter from template.yaml
    wired = {source.function_id: source.on_failure_queue for source in in_process_stack.template.event_sources()
             if isinstance(source, StreamSource)}
    assert set(wired.values()) <= set(queues.names())
    projected = {p.projection.function: p for p in queues.projections}
    assert set(wired) - set(projected) == {"EventPublisherFunction"}
    for function, projection in projected.items():
        assert projection.queue == wired[function]
        assert projection.filters == in_process_stack.template.stream_filter_patterns(function)
        assert callable(projection.projection.record_function())


def test_every_dead_letter_queue_of_the_template_is_listed_by_crm_dlq(in_process_stack):
    # Given every SQS queue template.yaml declares as a DLQ
    declared = {in_process_stack.name(logical) for logical, resource in in_process_stack.template.resources.items()
                if resource["Type"] == "AWS::SQS::Queue" and logical.endswith("DLQ")}
    # Then crm dlq lists and replays each of them
    assert declared == set(office(in_process_stack).queues.names())


def put_letter(stack: Any, queue: str, body: dict[str, Any]) -> None:
    sqs = stack.client("sqs")
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=stack.name(queue))["QueueUrl"], MessageBody=json.dumps(body))


def test_a_scheduled_run_that_failed_is_replayed_by_invoking_its_function_again(in_process_stack):
    from crm_local.dlq import DeadLetterOffice, DeadLetterQueues

    # Given the RFM analysis' input in AnalyticsJobsDLQ and a report's email in ReportMailerDLQ
    put_letter(in_process_stack, "AnalyticsJobsDLQ", {"job": "rfm"})
    put_letter(in_process_stack, "ReportMailerDLQ", {"report_id": "r1", "scheduled_time": "2026-12-04T06:00:00Z"})
    queues = DeadLetterQueues.from_template(in_process_stack.template)
    # When they are replayed where no function can be invoked, both stay, saying why
    replayed, kept = DeadLetterOffice(in_process_stack.client, queues).replay()
    assert replayed == 0 and sorted(reason for _, reason in kept) == [
        "AnalyticsJobsFunction cannot be invoked from here", "ReportMailerFunction cannot be invoked from here"]
    # And when they are replayed with an invoker, each function gets its input again and the queues empty
    invoked: list[tuple[str, dict[str, Any]]] = []
    replayed, kept = DeadLetterOffice(in_process_stack.client, queues, lambda f, p: invoked.append((f, p))).replay()
    assert (replayed, kept) == (2, [])
    assert sorted(invoked, key=lambda call: call[0]) == [
        ("AnalyticsJobsFunction", {"job": "rfm"}),
        ("ReportMailerFunction", {"report_id": "r1", "scheduled_time": "2026-12-04T06:00:00Z"})]
    assert office(in_process_stack).list()[in_process_stack.name("AnalyticsJobsDLQ")] == []


def test_an_event_the_archive_could_not_take_goes_back_on_the_bus(in_process_stack):
    # Given a bus event EventBridge could not deliver to the analytical store's Firehose
    event = {"version": "0", "id": "e-1", "detail-type": "Contact Created", "source": "crm",
             "time": "2026-12-04T06:00:00Z", "detail": {"contact_id": "c-1", "event_id": "ev-archive-1"}}
    put_letter(in_process_stack, "EventArchiveDLQ", event)
    # When it is replayed
    assert office(in_process_stack).replay(in_process_stack.name("EventArchiveDLQ")) == (1, [])
    # Then it is on the bus again, and the local Firehose stores it under its day
    run(in_process_stack)
    s3 = in_process_stack.client("s3")
    bucket = in_process_stack.name("AnalyticsBucket")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="events/dt=2026-12-04/").get("Contents", [])]
    assert keys and any(b"ev-archive-1" in s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys)


DEPLOYED = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
    # The resources `crm dlq` needs, under their logical ids in template.yaml, named by CloudFormation.
    **{logical: {"Type": "AWS::SQS::Queue"} for logical in (
        "InboundMailDLQ", "InboundMailQueue", "LeadScoringDLQ", "EventPublisherDLQ", "SearchIndexerDLQ",
        "DashboardCountersDLQ", "ImportDLQ", "ImportQueue", "ExportDLQ", "ExportQueue", "EventArchiveDLQ",
        "ReportMailerDLQ", "AnalyticsJobsDLQ", "ReminderSchedulesDLQ", "NotifierDLQ", "AssignmentDLQ",
        "MailEventsDLQ", "WorkflowDLQ")},
    "CrmEventBus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "crm-prod-bus"}},
    "CrmTable": {"Type": "AWS::DynamoDB::Table", "Properties": {
        "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}]}},
}}


def test_a_deployed_stacks_dead_letters_are_found_by_its_name_and_replayed(monkeypatch, capsys):
    from crm_local.cli import main
    from moto import mock_aws

    with mock_aws():
        import boto3

        # Given a deployed stack whose mail DLQ holds a notification
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        boto3.client("cloudformation", region_name="eu-west-1").create_stack(
            StackName="crm-prod", TemplateBody=json.dumps(DEPLOYED))
        resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in boto3.client(
            "cloudformation", region_name="eu-west-1").list_stack_resources(StackName="crm-prod")[
            "StackResourceSummaries"]}
        sqs = boto3.client("sqs", region_name="eu-west-1")
        sqs.send_message(QueueUrl=resources["InboundMailDLQ"], MessageBody=json.dumps({"Records": [
            {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "crm-prod-inbound"},
                                                      "object": {"key": "inbound/lost"}}}]}))
        # When an operator lists and replays its DLQs by the stack's name
        assert main(["dlq", "list", "--stack", "crm-prod", "--region", "eu-west-1"]) == 0
        listed = capsys.readouterr().out
        assert main(["dlq", "replay", "--stack", "crm-prod", "--region", "eu-west-1"]) == 0
        # Then the listing named the mail, and the replay moved it back to the mail queue
        assert "InboundMailDLQ" in listed and "s3://crm-prod-inbound/inbound/lost" in listed
        assert "replayed 1" in capsys.readouterr().out
        [back] = sqs.receive_message(QueueUrl=resources["InboundMailQueue"])["Messages"]
        assert "inbound/lost" in back["Body"]
        assert "Messages" not in sqs.receive_message(QueueUrl=resources["InboundMailDLQ"])
        # And a stack that is not there, or not the CRM's, is said plainly
        assert main(["dlq", "list", "--stack", "no-such-stack", "--region", "eu-west-1"]) == 1
        boto3.client("cloudformation", region_name="eu-west-1").create_stack(
            StackName="other", TemplateBody=json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))
        assert main(["dlq", "replay", "--stack", "other", "--region", "eu-west-1"]) == 1
        errors = capsys.readouterr().err
        assert "cannot read stack no-such-stack" in errors and "other has no InboundMailDLQ" in errors
        # And each stream projection's DLQ is the stack's, a replayed range filtered as the deployed template
        # filters its function's stream
        from crm_local.dlq import DeadLetterQueues
        from crm_local.template import Template

        queues = DeadLetterQueues.from_stack(boto3.client("cloudformation", region_name="eu-west-1"), "crm-prod",
                                             Template.load())
        search, counters, reminders = queues.projections
        assert (search.projection.function, counters.projection.function, reminders.projection.function) == (
            "SearchIndexerFunction", "DashboardCountersFunction", "ReminderSchedulesFunction")
        assert reminders.queue == resources["ReminderSchedulesDLQ"].rsplit("/", 1)[-1]
        assert search.queue == resources["SearchIndexerDLQ"].rsplit("/", 1)[-1]
        assert counters.queue == resources["DashboardCountersDLQ"].rsplit("/", 1)[-1]
        assert set(queues.names()) == {url.rsplit("/", 1)[-1] for logical, url in resources.items()
                                       if logical.endswith("DLQ")}
        assert search.filters and all(pattern["dynamodb"]["Keys"]["SK"] == {"S": ["PROFILE"]}
                                      for pattern in search.filters)
        assert counters.filters and all({"prefix": "DEAL#"} in pattern["dynamodb"]["Keys"]["PK"]["S"]
                                        for pattern in counters.filters)


def test_an_import_whose_upload_could_not_be_read_is_replayed_from_its_dlq(in_process_stack):
    stack = in_process_stack
    dlq = office(stack)
    # Given an import whose uploaded file S3 refused to give back on every one of its five receives
    from crm.imports.jobs import load_job, upload_key
    from crm.imports.requests import start_import
    from crm.platform.access import Caller

    job = start_import(Caller("sales-1", frozenset({"sales"})), "contacts", "people.csv", None)
    stack.client("s3").put_object(Bucket=stack.name("DataTransferBucket"), Key=upload_key(job["id"]),
                                  Body=b"email\nlost@example.com\n")
    run(stack, always("s3.GetObject", "ImportFunction", THROTTLE))
    # When the DLQs are listed
    [letter] = dlq.list()[stack.name("ImportDLQ")]
    # Then the import's DLQ holds the upload, named by its object, and the import still waits for it
    assert f"import upload {upload_key(job['id'])}" in letter.summary(dlq.queues)
    assert load_job(job["id"]).status == "reading"
    # When it is replayed with S3 well again
    assert dlq.replay() == (1, [])
    run(stack)
    # Then the file is read, and the DLQ is empty
    assert (load_job(job["id"]).status, int(load_job(job["id"]).total_rows)) == ("ready", 1)
    assert dlq.list()[stack.name("ImportDLQ")] == []
