"""`crm dlq list` and `crm dlq replay`: what ended in a dead-letter queue, and re-driving it to where it
came from. Only boto3 and queue names: the same code works against a deployed stack given its endpoint
and the physical names of the template's queues.

- InboundMailDLQ holds S3 notifications (SQS redrive after 5 receives); replay sends each back to
  InboundMailQueue. The raw mail is still in the inbound bucket, and ingestion dedupes on Message-ID.
- LeadScoringDLQ holds the EventBridge events the scoring function failed on; replay puts each back on
  the CRM bus with its original time (consumers dedupe on detail.event_id).
- EventPublisherDLQ holds Lambda's on-failure records, which name only a stream range; replay reads the
  outbox items of that range from the stream and publishes them as the publisher would.
- SearchIndexerDLQ and DashboardCountersDLQ hold the same kind of records for the stream projections
  (STREAM_PROJECTIONS: consumers that keep a view of the table, each record's part converging on its
  newest image, so a repeat is a no-op); replay reads the range, keeps the records the function's event
  source filter in template.yaml takes, and applies the function's own per-record code to each:
  - SearchIndexerDLQ: the search indexer's, indexing contacts and companies (`index_record`);
  - DashboardCountersDLQ: the dashboards' counters', counting contacts, deals, activities, payments,
    refunds and emails (`count_record`);
  - ReminderSchedulesDLQ: the reminders', putting or deleting each activity's reminder schedule
    (`schedule_reminder`).
- EventArchiveDLQ holds the bus events the analytical store's rule could not deliver to Firehose; replay
  puts each back on the bus with its original time (every consumer dedupes on detail.event_id, and the
  store's queries count each event_id once).
- ReportMailerDLQ, AnalyticsJobsDLQ and NotifierDLQ hold the inputs of runs their function failed on or their
  schedule could not deliver (a report's email, the RFM analysis, a reminder or a snooze); replay invokes the
  function with the input again
  (asynchronously on a deployed stack, in this process on the local stack).
- AssignmentDLQ holds Contact Created events and SLA checks assignment failed on or that were not delivered;
  replay invokes the function with each the same way (an assigned lead stays as it is; an escalation is once).
- WorkflowDLQ holds the events and wait wake-ups a workflow step broke on or that were not delivered; replay
  invokes the function with each (the run resumes at the step it failed at; a step taken is not taken again).
- MailEventsDLQ holds SES bounce and complaint events the mail events function failed on or that were not
  delivered; replay invokes the function with each (an address is suppressed once).
- ImportDLQ holds an import's upload notifications and step messages (a chunk to check, run or revert);
  replay sends each back to ImportQueue. Row and chunk markers make a chunk that ran halfway safe to run
  again. ExportDLQ holds export requests; replay sends each back to ExportQueue (a finished export is
  left alone).

A message leaves its DLQ only after its replay succeeded, so replay can be run again at any time.
`crm dlq ... --stack NAME` works on a deployed stack: the names come from its CloudFormation resources,
credentials and region from the usual AWS environment."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any
from urllib.parse import unquote_plus

from botocore.exceptions import BotoCoreError, ClientError

from crm_local.patterns import matches

ClientFactory = Callable[[str], Any]

# Long enough for one replay; a message whose replay fails is made visible again at once.
_REPLAY_VISIBILITY_SECONDS = 60


@dataclass(frozen=True)
class StreamProjection:
    """A stream consumer that keeps a view of the table, record by record: its DLQ's letters name only a
    stream range, replayed with the function's own per-record code (idempotent: it converges on the
    newest image of each record) on the records of the range its event source's filter takes."""

    function: str  # its logical id in template.yaml
    dlq: str  # its on-failure destination's logical id
    apply: str  # "module:name" of its per-record function, imported only for a replay

    def record_function(self) -> Callable[[dict[str, Any]], bool]:
        module, _, name = self.apply.partition(":")
        return getattr(import_module(module), name)


STREAM_PROJECTIONS = (
    StreamProjection("SearchIndexerFunction", "SearchIndexerDLQ", "crm.search.store:index_record"),
    StreamProjection("DashboardCountersFunction", "DashboardCountersDLQ", "crm.dashboards.store:count_record"),
    StreamProjection("ReminderSchedulesFunction", "ReminderSchedulesDLQ",
                     "crm.activities.reminders:schedule_reminder"),
)


@dataclass(frozen=True)
class ProjectionQueue:
    """A stream projection's DLQ in one stack: its physical name, and the records a replayed range keeps
    (the function's FilterCriteria patterns in template.yaml)."""

    projection: StreamProjection
    queue: str
    filters: tuple[Mapping[str, Any], ...]

    def takes(self, record: Mapping[str, Any]) -> bool:
        return any(matches(pattern, record) for pattern in self.filters)


# Each name's resource in template.yaml (the stream projections' DLQs are in STREAM_PROJECTIONS).
_LOGICAL_IDS = {
    "inbound_mail_dlq": "InboundMailDLQ",
    "inbound_mail_queue": "InboundMailQueue",
    "scoring_dlq": "LeadScoringDLQ",
    "publisher_dlq": "EventPublisherDLQ",
    "import_dlq": "ImportDLQ",
    "import_queue": "ImportQueue",
    "export_dlq": "ExportDLQ",
    "export_queue": "ExportQueue",
    "archive_dlq": "EventArchiveDLQ",
    "report_mailer_dlq": "ReportMailerDLQ",
    "analytics_jobs_dlq": "AnalyticsJobsDLQ",
    "notifier_dlq": "NotifierDLQ",
    "assignment_dlq": "AssignmentDLQ",
    "mail_events_dlq": "MailEventsDLQ",
    "workflow_dlq": "WorkflowDLQ",
    "event_bus": "CrmEventBus",
    "table": "CrmTable",
}


@dataclass(frozen=True)
class DeadLetterQueues:
    """Physical names of the queues and the bus; `from_template` maps the template's logical ids, and
    the stream projections' DLQs with their functions' filters."""

    inbound_mail_dlq: str
    inbound_mail_queue: str
    scoring_dlq: str
    publisher_dlq: str
    import_dlq: str
    import_queue: str
    export_dlq: str
    export_queue: str
    archive_dlq: str
    report_mailer_dlq: str
    analytics_jobs_dlq: str
    notifier_dlq: str
    assignment_dlq: str
    mail_events_dlq: str
    workflow_dlq: str
    event_bus: str
    table: str
    # One per STREAM_PROJECTIONS entry, in its order.
    projections: tuple[ProjectionQueue, ...]

    @classmethod
    def from_template(cls, template: Any) -> DeadLetterQueues:
        return cls(**{field: template.physical_name(logical) for field, logical in _LOGICAL_IDS.items()},
                   projections=_projection_queues(template, template.physical_name))

    @classmethod
    def from_stack(cls, cloudformation: Any, stack_name: str, template: Any) -> DeadLetterQueues:
        """A deployed stack's names, from its resources (a queue's physical id is its URL); the filters
        from the template it was deployed from."""
        physical = {resource["LogicalResourceId"]: resource["PhysicalResourceId"]
                    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
                    for resource in page["StackResourceSummaries"]}
        needed = [*_LOGICAL_IDS.values(), *(projection.dlq for projection in STREAM_PROJECTIONS)]
        missing = [logical for logical in needed if logical not in physical]
        if missing:
            raise ReplayError(f"stack {stack_name} has no {', '.join(missing)}; is it this CRM's stack?")

        def name(logical: str) -> str:
            return physical[logical].rsplit("/", 1)[-1]

        return cls(**{field: name(logical) for field, logical in _LOGICAL_IDS.items()},
                   projections=_projection_queues(template, name))

    def names(self) -> tuple[str, ...]:
        return (self.inbound_mail_dlq, self.scoring_dlq, self.publisher_dlq,
                *(projection.queue for projection in self.projections), self.import_dlq, self.export_dlq,
                self.archive_dlq, self.report_mailer_dlq, self.analytics_jobs_dlq, self.notifier_dlq,
                self.assignment_dlq, self.mail_events_dlq, self.workflow_dlq)

    def invoked_functions(self) -> dict[str, str]:
        """The DLQs whose letter is a function's input (its own DLQ, or its schedule's): replay invokes the
        function with it, by logical id."""
        return {self.report_mailer_dlq: "ReportMailerFunction", self.analytics_jobs_dlq: "AnalyticsJobsFunction",
                self.notifier_dlq: "NotifierFunction", self.assignment_dlq: "AssignmentFunction",
                self.mail_events_dlq: "MailEventsFunction", self.workflow_dlq: "WorkflowFunction"}

    def projection(self, queue: str) -> ProjectionQueue | None:
        """The stream projection whose DLQ this is, if it is one's."""
        return next((projection for projection in self.projections if projection.queue == queue), None)

    def source_queues(self) -> dict[str, str]:
        """The DLQs of queue event sources: a letter goes back to the queue it came from, as it was."""
        return {self.inbound_mail_dlq: self.inbound_mail_queue, self.import_dlq: self.import_queue,
                self.export_dlq: self.export_queue}


def _projection_queues(template: Any, name: Callable[[str], str]) -> tuple[ProjectionQueue, ...]:
    return tuple(ProjectionQueue(projection, name(projection.dlq), template.stream_filter_patterns(projection.function))
                 for projection in STREAM_PROJECTIONS)


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    message_id: str
    receipt_handle: str
    body: str
    attributes: dict[str, str]

    def summary(self, queues: DeadLetterQueues) -> str:
        """One line: what the input was, and why it failed where that is known."""
        if self.queue == queues.inbound_mail_dlq:
            from email_ingest.handler import s3_objects  # noqa: PLC0415 - read as the function reads it

            objects = ", ".join(f"s3://{bucket}/{key}" for bucket, key in s3_objects(self.body)) or "(no object)"
            # The count carries over from the source queue and includes this listing's own receive.
            return f"mail {objects}; SQS receives {self.attributes.get('ApproximateReceiveCount', '?')}"
        if self.queue in (queues.import_dlq, queues.export_dlq):
            receives = self.attributes.get("ApproximateReceiveCount", "?")
            return f"{_transfer(json.loads(self.body))}; SQS receives {receives}"
        if (function := queues.invoked_functions().get(self.queue)) is not None:
            return f"{function} with {self.body[:200]}; {self.error or 'error not recorded'}"
        if self.queue in (queues.scoring_dlq, queues.archive_dlq):
            event = json.loads(self.body)
            detail = event.get("detail") or {}
            ids = " ".join(f"{name}={detail[name]}" for name in ("contact_id", "event_id", "job_id") if name in detail)
            return f"{event.get('detail-type')} {ids}; {self.error or 'error not recorded'}"
        record = json.loads(self.body)
        batch = record.get("DDBStreamBatchInfo") or {}
        return (f"{batch.get('batchSize')} stream records {batch.get('startSequenceNumber')}.."
                f"{batch.get('endSequenceNumber')} of shard {batch.get('shardId')}; "
                f"{(record.get('requestContext') or {}).get('condition', 'failed')}")

    @property
    def error(self) -> str | None:
        # EventBridge names it ERROR_MESSAGE, Lambda's own dead-letter queue ErrorMessage.
        return self.attributes.get("ERROR_MESSAGE") or self.attributes.get("ErrorMessage")


def _transfer(body: dict[str, Any]) -> str:
    """An import's or export's message in a few words."""
    if "import_id" in body:
        return f"import {body['import_id']} {body.get('step', '')} chunk {body.get('chunk', '-')}"
    if "export_id" in body:
        return f"export {body['export_id']}"
    keys = (unquote_plus(record["s3"]["object"]["key"]) for record in body.get("Records", ()))
    return "import upload " + ", ".join(keys)


class ReplayError(RuntimeError):
    """A dead letter could not be re-driven; it stays in its queue."""


# Invokes a function of the stack by logical id with an input (asynchronously where it is deployed).
Invoke = Callable[[str, dict[str, Any]], None]


class DeadLetterOffice:
    def __init__(self, client: ClientFactory, queues: DeadLetterQueues, invoke: Invoke | None = None) -> None:
        self._client = client
        self._sqs = client("sqs")
        self.queues = queues
        self._invoke = invoke

    def _url(self, queue: str) -> str:
        return self._sqs.get_queue_url(QueueName=queue)["QueueUrl"]

    def _receive(self, queue: str, visibility: int) -> Iterator[DeadLetter]:
        url = self._url(queue)
        while messages := self._sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=visibility, AttributeNames=["All"],
                MessageAttributeNames=["All"]).get("Messages", []):
            for message in messages:
                yield DeadLetter(queue, message["MessageId"], message["ReceiptHandle"], message["Body"],
                                 {**message.get("Attributes", {}),
                                  **{name: value.get("StringValue", "") for name, value
                                     in message.get("MessageAttributes", {}).items()}})

    def _release(self, letter: DeadLetter) -> None:
        self._sqs.change_message_visibility(QueueUrl=self._url(letter.queue), ReceiptHandle=letter.receipt_handle,
                                            VisibilityTimeout=0)

    def list(self) -> dict[str, list[DeadLetter]]:
        """Every message of every DLQ; each is hidden while the queue is read, then visible again."""
        found = {queue: list(self._receive(queue, _REPLAY_VISIBILITY_SECONDS)) for queue in self.queues.names()}
        for letters in found.values():
            for letter in letters:
                self._release(letter)
        return found

    def replay(self, only: str | None = None) -> tuple[int, list[tuple[DeadLetter, str]]]:
        """Re-drives every message (of one queue, if named); (replayed, [(message, why it stayed)])."""
        replayed, kept = 0, []
        for queue in self.queues.names():
            if only is not None and queue != only:
                continue
            for letter in list(self._receive(queue, _REPLAY_VISIBILITY_SECONDS)):
                try:
                    self._redrive(letter)
                except (ReplayError, BotoCoreError, ClientError) as error:
                    self._release(letter)
                    kept.append((letter, str(error)))
                    continue
                self._sqs.delete_message(QueueUrl=self._url(queue), ReceiptHandle=letter.receipt_handle)
                replayed += 1
        return replayed, kept

    def _redrive(self, letter: DeadLetter) -> None:
        source = self.queues.source_queues().get(letter.queue)
        if source is not None:
            self._sqs.send_message(QueueUrl=self._url(source), MessageBody=letter.body)
        elif letter.queue in (self.queues.scoring_dlq, self.queues.archive_dlq):
            self._put_on_bus(json.loads(letter.body))
        elif (function := self.queues.invoked_functions().get(letter.queue)) is not None:
            if self._invoke is None:
                raise ReplayError(f"{function} cannot be invoked from here")
            self._invoke(function, json.loads(letter.body))
        elif (projection := self.queues.projection(letter.queue)) is not None:
            self._project_stream_range(projection, json.loads(letter.body)["DDBStreamBatchInfo"])
        else:
            self._publish_stream_range(json.loads(letter.body)["DDBStreamBatchInfo"])

    def _put_on_bus(self, event: dict[str, Any]) -> None:
        from crm.records.outbox import EVENT_SOURCE  # noqa: PLC0415 - product code, only for replays

        if event.get("source") != EVENT_SOURCE:
            # A scheduled event (the daily decay) reaches the function from its schedule, not the bus.
            raise ReplayError(f"{event.get('detail-type')} from {event.get('source')} is not a bus event; "
                              "its schedule fires it again")
        entry = {"Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"]),
                 "Resources": event.get("resources") or [], "EventBusName": self.queues.event_bus}
        if event.get("time"):
            entry["Time"] = event["time"]
        result = self._client("events").put_events(Entries=[entry])
        if result.get("FailedEntryCount"):
            raise ReplayError(f"PutEvents refused it: {result['Entries'][0].get('ErrorCode')}")

    def _publish_stream_range(self, batch: dict[str, Any]) -> None:
        from event_publisher.handler import outbox_events  # noqa: PLC0415 - product code, only for replays
        from event_publisher.publish import publish  # noqa: PLC0415 - product code, only for replays

        records = self._whole_stream_range(batch)
        events_client = self._client("events")
        failed = publish(outbox_events({"Records": records}), self.queues.event_bus,
                         lambda entries: events_client.put_events(Entries=entries))
        if failed:
            raise ReplayError(f"{len(failed)} events were not published")

    def _project_stream_range(self, projection: ProjectionQueue, batch: dict[str, Any]) -> None:
        """The records of the range the function's filter takes, each applied with its own code, in order."""
        from crm.platform.config import Settings  # noqa: PLC0415 - product code, only for replays
        from crm.records.table import bind_table  # noqa: PLC0415 - product code, only for replays

        records = self._whole_stream_range(batch)
        apply = projection.projection.record_function()
        dynamodb = self._client("dynamodb")
        bind_table(Settings(table_name=self.queues.table, event_bus_name=self.queues.event_bus, attachments_bucket="",
                            region=dynamodb.meta.region_name, aws_endpoint_url=dynamodb.meta.endpoint_url))
        for record in records:
            if projection.takes(record):
                apply(record)

    def _whole_stream_range(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        records = self._stream_range(batch)
        if len(records) < int(batch["batchSize"]):
            raise ReplayError(f"the stream no longer holds all {batch['batchSize']} records "
                              f"(found {len(records)}); it keeps them 24 hours")
        return records

    def _stream_range(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        streams = self._client("dynamodbstreams")
        start, end = int(batch["startSequenceNumber"]), int(batch["endSequenceNumber"])
        try:
            iterator = streams.get_shard_iterator(StreamArn=batch["streamArn"], ShardId=batch["shardId"],
                                                  ShardIteratorType="AT_SEQUENCE_NUMBER",
                                                  SequenceNumber=batch["startSequenceNumber"])["ShardIterator"]
        except streams.exceptions.ResourceNotFoundException as error:
            raise ReplayError(f"the stream or shard is gone: {error}") from error
        records: list[dict[str, Any]] = []
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            fresh = [r for r in page["Records"] if start <= int(r["dynamodb"]["SequenceNumber"]) <= end]
            records += fresh
            if not page["Records"] or int(page["Records"][-1]["dynamodb"]["SequenceNumber"]) >= end:
                break
            iterator = page.get("NextShardIterator")
        return records

