"""What Lambda's event sources do in AWS, done locally for every source the template declares: the
table stream, EventBridge rules (delivered by moto to local SQS queues), SQS queues, S3 notifications
(also delivered to SQS) and schedules. One poller per source, each in its own thread: it asks without
waiting, then sleeps until the embedded AWS reports a change it listens to (see `crm_local.wakeups`), or
its next schedule, or a slow safety poll."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from crm_local import log
from crm_local.patterns import check_pattern, matches
from crm_local.template import (
    DEFAULT_ASYNC_RETRIES,
    LOCAL_ACCOUNT_ID,
    LOCAL_REGION,
    BucketSource,
    EventSource,
    QueueSource,
    RuleSource,
    ScheduleSource,
    StreamSource,
)
from crm_local.wakeups import EVENT_DELIVERY, QUEUE_MESSAGE, SCHEDULE_CHANGE, TABLE_WRITE, Wakeups

Invoke = Callable[[str, Any], Any]
ClientFactory = Callable[[str], Any]

# Lambda retries a failing stream batch until the records expire (-1); locally that would stall the shard.
UNLIMITED_STREAM_RETRIES = 10
# What no wake-up announces (a failed message visible again after its queue's visibility timeout) is
# found by this slow poll; an idle stack makes a handful of requests per interval.
SAFETY_POLL_SECONDS = 10.0
# After a failed poll (the embedded AWS restarting), a pause before the next try.
ERROR_PAUSE_SECONDS = 1.0


def retry_backoff(attempt: int) -> float:
    """Short pauses between retries: the local stack should show a failure in seconds, not minutes."""
    return min(0.2 * 2 ** attempt, 2.0)


def invoke_async(invoke: Invoke, function_id: str, event: Any, max_retries: int) -> Exception | None:
    """Lambda's asynchronous invocation: the first try plus `max_retries`; the last error, or None."""
    error: Exception | None = None
    for attempt in range(max_retries + 1):
        try:
            invoke(function_id, event)
            return None
        except Exception as exc:  # noqa: BLE001 - a function's failure of any kind is retried, as Lambda does
            error = exc
            log.exception("%s failed (attempt %d of %d)", function_id, attempt + 1, max_retries + 1)
            if attempt < max_retries:
                time.sleep(retry_backoff(attempt))
    return error


class Poller(Protocol):
    # The kinds of change (`crm_local.wakeups`) after which this poller may find work.
    topics: tuple[str, ...]

    def poll(self) -> bool:
        """Handles what is waiting; False when there was nothing to do."""

    def idle_seconds(self) -> float:
        """How long to sleep when idle and nothing wakes it."""


class StreamPoller:
    topics = (TABLE_WRITE,)

    def __init__(self, source: StreamSource, invoke: Invoke, client: ClientFactory, function_arn: str) -> None:
        for pattern in source.filter_patterns:
            check_pattern(pattern)
        self._source = source
        self._invoke = invoke
        self._streams = client("dynamodbstreams")
        self._sqs = client("sqs")
        self._function_arn = function_arn
        table = client("dynamodb").describe_table(TableName=source.table_name)["Table"]
        self._stream_arn = table["LatestStreamArn"]
        # The last sequence number handled per shard. A fresh iterator is taken after it on every poll
        # rather than following NextShardIterator: moto swaps in a copy of the table, stream shard
        # included, when it rolls back a cancelled transaction, which strands long-lived iterators.
        shards = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]
        self._positions: dict[str, str | None] = {shard["ShardId"]: None for shard in shards}
        if source.starting_position == "LATEST":
            for shard_id in self._positions:
                self._skip_to_end(shard_id)

    def _iterator(self, shard_id: str) -> str:
        position = self._positions[shard_id]
        if position is None:
            return self._streams.get_shard_iterator(StreamArn=self._stream_arn, ShardId=shard_id,
                                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        return self._streams.get_shard_iterator(StreamArn=self._stream_arn, ShardId=shard_id,
                                                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                                SequenceNumber=position)["ShardIterator"]

    def _skip_to_end(self, shard_id: str) -> None:
        """LATEST: start after everything already in the shard."""
        while records := self._streams.get_records(ShardIterator=self._iterator(shard_id))["Records"]:
            self._positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]

    def idle_seconds(self) -> float:
        return SAFETY_POLL_SECONDS

    def poll(self) -> bool:
        worked = False
        for shard_id in list(self._positions):
            page = self._streams.get_records(ShardIterator=self._iterator(shard_id), Limit=self._source.batch_size)
            records = [dict(_json_ready(record), eventSourceARN=self._stream_arn) for record in page["Records"]]
            # Lambda drops records no filter matches; they count as processed.
            wanted = [record for record in records
                      if not self._source.filter_patterns
                      or any(matches(pattern, record) for pattern in self._source.filter_patterns)]
            if wanted:
                self._deliver(shard_id, wanted)
            if records:
                self._positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                worked = True
        return worked

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        limit = self._source.maximum_retry_attempts
        retries = UNLIMITED_STREAM_RETRIES if limit < 0 else limit
        pending = records
        for attempt in range(retries + 1):
            failed_from = self._first_failure(pending)
            if failed_from is None:
                return
            # Lambda retries from the earliest failed record; those before it are done.
            pending = pending[failed_from:]
            if attempt < retries:
                time.sleep(retry_backoff(attempt))
        self._send_to_on_failure(shard_id, pending, retries + 1)

    def _first_failure(self, records: list[dict[str, Any]]) -> int | None:
        """Index of the first record to retry, or None when the whole batch succeeded."""
        try:
            result = self._invoke(self._source.function_id, {"Records": records})
        except Exception:  # noqa: BLE001 - a function's failure of any kind fails the batch, as Lambda does
            log.exception("%s failed on a stream batch of %d", self._source.function_id, len(records))
            return 0
        if not self._source.report_item_failures or not isinstance(result, dict):
            return None
        failures = result.get("batchItemFailures") or []
        if not failures:
            return None
        sequence_numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
        failed = [failure.get("itemIdentifier") for failure in failures]
        # An identifier that names no record of the batch makes Lambda treat the whole batch as failed.
        if not all(identifier in sequence_numbers for identifier in failed):
            return 0
        return min(sequence_numbers.index(identifier) for identifier in failed)

    def _send_to_on_failure(self, shard_id: str, records: list[dict[str, Any]], invocations: int) -> None:
        queue = self._source.on_failure_queue
        log.error("%s gave up on %d stream records after %d invocations%s", self._source.function_id,
                  len(records), invocations, f"; batch info sent to {queue}" if queue else "")
        if queue is None:
            return
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        # Lambda's on-failure record: where the batch is in the stream, so that it can be replayed.
        message = {
            "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": self._function_arn,
                               "condition": "RetryAttemptsExhausted", "approximateInvokeCount": invocations},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": _iso(time.time()),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime", time.time())),
                "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime", time.time())),
                "batchSize": len(records),
                "streamArn": self._stream_arn,
            },
        }
        self._sqs.send_message(QueueUrl=self._sqs.get_queue_url(QueueName=queue)["QueueUrl"],
                               MessageBody=json.dumps(message))


class AsyncQueuePoller:
    """An asynchronous invocation fed from a local queue (EventBridge rule targets, S3 notifications):
    retried like Lambda's async invocations, then dead-lettered with the error, then deleted."""

    topics = (QUEUE_MESSAGE, EVENT_DELIVERY)

    def __init__(self, function_id: str, queue: str, to_event: Callable[[dict[str, Any]], Any | None],
                 max_retries: int, dead_letter_queue: str | None, invoke: Invoke, client: ClientFactory,
                 source_arn: str) -> None:
        self._function_id = function_id
        self._to_event = to_event
        self._max_retries = max_retries
        self._dead_letter_queue = dead_letter_queue
        self._invoke = invoke
        self._sqs = client("sqs")
        self._queue_url = self._sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        self._source_arn = source_arn

    def idle_seconds(self) -> float:
        return SAFETY_POLL_SECONDS

    def poll(self) -> bool:
        # Never a long poll: it would hold the embedded AWS's lock while it waits.
        messages = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10,
                                             WaitTimeSeconds=0).get("Messages", [])
        for message in messages:
            event = self._to_event(json.loads(message["Body"]))
            if event is not None:
                self._deliver(message["Body"], event)
            self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        return bool(messages)

    def _deliver(self, body: str, event: Any) -> None:
        error = invoke_async(self._invoke, self._function_id, event, self._max_retries)
        if error is None:
            return
        if self._dead_letter_queue is None:
            log.error("%s gave up on an event and has no dead-letter queue: %s", self._function_id, body)
            return
        # EventBridge's dead-letter message: the event as the body, the error in message attributes.
        dead_letter_url = self._sqs.get_queue_url(QueueName=self._dead_letter_queue)["QueueUrl"]
        self._sqs.send_message(QueueUrl=dead_letter_url, MessageBody=body, MessageAttributes={
            "ERROR_CODE": {"DataType": "String", "StringValue": type(error).__name__},
            "ERROR_MESSAGE": {"DataType": "String", "StringValue": str(error)[:1000] or "-"},
            "RULE_ARN": {"DataType": "String", "StringValue": self._source_arn},
            "TARGET_ARN": {"DataType": "String", "StringValue": self._function_id},
        })


class QueueSourcePoller:
    """An SQS event source: batches of messages; what fails becomes visible again after the queue's
    visibility timeout, and the queue's own redrive policy dead-letters it (moto applies it)."""

    topics = (QUEUE_MESSAGE,)

    def __init__(self, source: QueueSource, invoke: Invoke, client: ClientFactory) -> None:
        self._source = source
        self._invoke = invoke
        self._sqs = client("sqs")
        self._queue_url = self._sqs.get_queue_url(QueueName=source.queue_name)["QueueUrl"]
        self._queue_arn = f"arn:aws:sqs:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:{source.queue_name}"

    def idle_seconds(self) -> float:
        return SAFETY_POLL_SECONDS

    def poll(self) -> bool:
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url, MaxNumberOfMessages=min(self._source.batch_size, 10), WaitTimeSeconds=0,
            AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return False
        records = [{
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue_arn,
            "awsRegion": LOCAL_REGION,
        } for message in messages]
        try:
            result = self._invoke(self._source.function_id, {"Records": records})
        except Exception:  # noqa: BLE001 - a function's failure of any kind returns the messages, as Lambda does
            log.exception("%s failed on %d messages; they return after the visibility timeout",
                          self._source.function_id, len(records))
            return True
        failed: set[str] = set()
        if self._source.report_item_failures and isinstance(result, dict):
            failed = {failure.get("itemIdentifier") for failure in result.get("batchItemFailures") or []}
        done = [record for record in records if record["messageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=[
                {"Id": str(index), "ReceiptHandle": record["receiptHandle"]} for index, record in enumerate(done)])
        return True


class SchedulePoller:
    """Fires due schedules: moto's EventBridge and Scheduler store schedules but never fire them. The template's
    own (its functions' schedule events) are known at start. With a `client`, the schedules functions create at
    run time in moto's Scheduler (a saved report's email, a reminder) are read again whenever the embedded
    Scheduler reports a change (and every RUNTIME_REFRESH_SECONDS) and fired too: their target function gets their
    Input, Scheduler's context attributes filled in, in their time zone. A one-time schedule that says
    ActionAfterCompletion DELETE is deleted once it has run, as Scheduler does."""

    topics: tuple[str, ...] = (SCHEDULE_CHANGE,)

    def __init__(self, sources: Iterable[ScheduleSource], invoke: Invoke,
                 clock: Callable[[], float] = time.time, client: ClientFactory | None = None,
                 function_arn: Callable[[str], str] | None = None) -> None:
        self._invoke = invoke
        self._clock = clock
        now = clock()
        self._schedules = [(source, parse_schedule(source.expression, now)) for source in sources if source.enabled]
        self._runtime = RuntimeSchedules(client("scheduler"), function_arn) if client and function_arn else None

    def poll(self) -> bool:
        now = self._clock()
        fired = False
        for source, schedule in self._schedules:
            if schedule.due(now):
                fired = True
                self._fire(source, now)
        if self._runtime is not None:
            for known, event in self._runtime.due(now):
                fired = True
                if invoke_async(self._invoke, known.function_id, event, DEFAULT_ASYNC_RETRIES) is not None:
                    log.error("%s gave up on a runtime schedule", known.function_id)
                self._runtime.completed(known)
        return fired

    def idle_seconds(self) -> float:
        now = self._clock()
        next_due = [schedule.next_due(now) for _, schedule in self._schedules]
        if self._runtime is not None:
            next_due.append(self._runtime.next_due(now))
        return max(0.0, min(next_due, default=now + SAFETY_POLL_SECONDS) - now)

    def _fire(self, source: ScheduleSource, now: float) -> None:
        rule_arn = f"arn:aws:events:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:rule/{source.function_id}-{source.event_id}"
        event = source.input if source.input is not None else {
            "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": LOCAL_ACCOUNT_ID, "time": _iso(now), "region": LOCAL_REGION, "resources": [rule_arn],
            "detail": {},
        }
        if invoke_async(self._invoke, source.function_id, event, source.max_retries) is not None:
            log.error("%s gave up on schedule %s", source.function_id, source.event_id)


# How often the schedules created at run time are read again: a new one fires within this of being due.
RUNTIME_REFRESH_SECONDS = SAFETY_POLL_SECONDS
# EventBridge Scheduler's context attributes, which it substitutes in a target's Input.
_SCHEDULED_TIME, _EXECUTION_ID, _SCHEDULE_ARN, _ATTEMPT = (
    "<aws.scheduler.scheduled-time>", "<aws.scheduler.execution-id>", "<aws.scheduler.schedule-arn>",
    "<aws.scheduler.attempt-number>")


@dataclass
class _RuntimeSchedule:
    arn: str
    modified: Any
    schedule: _Rate | _At | _Cron
    function_id: str
    input: str | None
    name: str = ""
    group: str = ""
    # ActionAfterCompletion DELETE: a one-time schedule Scheduler deletes once it has run.
    delete_after: bool = False


class RuntimeSchedules:
    """The enabled schedules in moto's Scheduler whose target is one of the template's functions, read again
    every RUNTIME_REFRESH_SECONDS (a schedule is fetched again only when it changed)."""

    def __init__(self, scheduler: Any, function_arn: Callable[[str], str]) -> None:
        self._scheduler = scheduler
        self._function_arn = function_arn
        self._schedules: dict[str, _RuntimeSchedule] = {}
        self._refreshed_at: float | None = None

    def due(self, now: float) -> list[tuple[_RuntimeSchedule, Any]]:
        """(schedule, event) of each schedule due now. The schedules are read again at every poll: the poller
        polls when the embedded Scheduler changed, when one is due, or every RUNTIME_REFRESH_SECONDS."""
        self._refresh(now)
        return [(known, _scheduler_input(known, now)) for known in list(self._schedules.values())
                if known.schedule.due(now)]

    def completed(self, known: _RuntimeSchedule) -> None:
        """A schedule ran: one that says so is deleted, as Scheduler's ActionAfterCompletion DELETE does."""
        if not known.delete_after:
            return
        try:
            self._scheduler.delete_schedule(Name=known.name, GroupName=known.group)
        except Exception:  # noqa: BLE001 - gone already (its record deleted it): nothing left to do
            log.info("schedule %s was gone before its completion deleted it", known.arn)
        self._schedules.pop(known.arn, None)

    def next_due(self, now: float) -> float:
        refresh = (self._refreshed_at or now) + RUNTIME_REFRESH_SECONDS
        return min([refresh, *(known.schedule.next_due(now) for known in self._schedules.values())])

    def _refresh(self, now: float) -> None:
        self._refreshed_at = now
        current: dict[str, _RuntimeSchedule] = {}
        for page in self._scheduler.get_paginator("list_schedules").paginate(State="ENABLED"):
            for summary in page.get("Schedules") or ():
                known = self._schedules.get(summary["Arn"])
                if known is None or known.modified != summary.get("LastModificationDate"):
                    known = self._read(summary, now)
                if known is not None:
                    current[known.arn] = known
        self._schedules = current

    def _read(self, summary: dict[str, Any], now: float) -> _RuntimeSchedule | None:
        detail = self._scheduler.get_schedule(Name=summary["Name"], GroupName=summary["GroupName"])
        target = detail.get("Target") or {}
        function_id = self._function_of(str(target.get("Arn", "")))
        if function_id is None:
            log.warning("schedule %s targets %s, which is no function of the template", summary["Arn"],
                        target.get("Arn"))
            return None
        try:
            schedule = parse_schedule(detail["ScheduleExpression"], now, detail.get("ScheduleExpressionTimezone"))
        except ValueError as exc:
            log.warning("schedule %s does not run locally: %s", summary["Arn"], exc)
            return None
        return _RuntimeSchedule(summary["Arn"], summary.get("LastModificationDate"), schedule, function_id,
                                target.get("Input"), summary["Name"], summary["GroupName"],
                                detail.get("ActionAfterCompletion") == "DELETE")

    def _function_of(self, target_arn: str) -> str | None:
        """The logical id whose local ARN the target is: its name is <stack>-<logical id> unless it names itself."""
        unqualified = ":".join(target_arn.split(":")[:7])  # without a version or alias
        parts = unqualified.rpartition(":")[2].split("-")
        for start in range(len(parts)):
            candidate = "-".join(parts[start:])
            try:
                if self._function_arn(candidate) == unqualified:
                    return candidate
            except (ValueError, KeyError):  # no such resource in the template
                continue
        return None


def _scheduler_input(known: _RuntimeSchedule, now: float) -> Any:
    if not known.input:
        return {}
    text = known.input
    scheduled = dt.datetime.fromtimestamp(int(now), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for attribute, value in ((_SCHEDULED_TIME, scheduled), (_EXECUTION_ID, str(uuid.uuid4())),
                             (_SCHEDULE_ARN, known.arn), (_ATTEMPT, "1")):
        text = text.replace(attribute, value)
    return json.loads(text)


class _Rate:
    def __init__(self, seconds: int, now: float) -> None:
        self._seconds = seconds
        self._next = now + seconds

    def due(self, now: float) -> bool:
        if now < self._next:
            return False
        self._next += self._seconds * (1 + int((now - self._next) // self._seconds))
        return True

    def next_due(self, now: float) -> float:
        return self._next


class _At:
    def __init__(self, when: float) -> None:
        self._when: float | None = when

    def due(self, now: float) -> bool:
        if self._when is None or now < self._when:
            return False
        self._when = None
        return True

    def next_due(self, now: float) -> float:
        return self._when if self._when is not None else now + SAFETY_POLL_SECONDS


class _Cron:
    """AWS cron (minutes hours day-of-month month day-of-week year, in UTC or a schedule's time zone): due once
    in each matching minute."""

    _MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
    _DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

    def __init__(self, fields: list[str], now: float, where: dt.tzinfo = dt.UTC) -> None:
        if len(fields) != 6:
            raise ValueError("cron() has six fields")
        minute, hour, day, month, weekday, year = fields
        self._sets = (
            _cron_field(minute, 0, 59), _cron_field(hour, 0, 23), _cron_field(day, 1, 31),
            _cron_field(month, 1, 12, self._MONTHS), _cron_field(weekday, 1, 7, self._DAYS),
            _cron_field(year, 1970, 2199),
        )
        self._last_minute = int(now // 60)
        self._where = where

    def due(self, now: float) -> bool:
        minute = int(now // 60)
        if minute == self._last_minute:
            return False
        self._last_minute = minute
        moment = dt.datetime.fromtimestamp(minute * 60, self._where)
        weekday = moment.isoweekday() % 7 + 1  # AWS numbers Sunday 1 .. Saturday 7
        values = (moment.minute, moment.hour, moment.day, moment.month, weekday, moment.year)
        return all(allowed is None or value in allowed for allowed, value in zip(self._sets, values, strict=True))

    def next_due(self, now: float) -> float:
        """The next minute's start: a cron schedule is looked at once a minute."""
        return (int(now // 60) + 1) * 60


def _cron_field(text: str, low: int, high: int, names: tuple[str, ...] = ()) -> set[int] | None:
    """The values a cron field allows, or None for any (`*`, `?`)."""
    if text in ("*", "?"):
        return None
    for index, name in enumerate(names):
        text = text.upper().replace(name, str(index + low))
    allowed: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?", part)
        if not match:
            raise ValueError(f"unsupported cron field {part!r} (L, W and # do not run locally)")
        start = low if match.group(1) == "*" else int(match.group(1))
        end = int(match.group(2)) if match.group(2) else (high if match.group(3) or match.group(1) == "*" else start)
        allowed.update(range(start, end + 1, int(match.group(3) or 1)))
    return allowed


def parse_schedule(expression: str, now: float, time_zone: str | None = None) -> _Rate | _At | _Cron:
    """A schedule expression; cron() and at() are read in `time_zone` (EventBridge Scheduler's
    ScheduleExpressionTimezone), UTC without one."""
    where = ZoneInfo(time_zone) if time_zone else dt.UTC
    rate = re.fullmatch(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)", expression.strip())
    if rate:
        unit = {"minute": 60, "hour": 3600, "day": 86400}[rate.group(2).rstrip("s")]
        return _Rate(int(rate.group(1)) * unit, now)
    at = re.fullmatch(r"at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)", expression.strip())
    if at:
        return _At(dt.datetime.fromisoformat(at.group(1)).replace(tzinfo=where).timestamp())
    cron = re.fullmatch(r"cron\((.+)\)", expression.strip())
    if cron:
        return _Cron(cron.group(1).split(), now, where)
    raise ValueError(f"unsupported schedule expression {expression!r}")


def _rule_event(body: dict[str, Any]) -> Any:
    return body


def _bucket_event(body: dict[str, Any]) -> Any | None:
    """S3's notification body is the Lambda event; its configuration test message is not."""
    return body if "Records" in body else None


def build_pollers(sources: Iterable[EventSource], invoke: Invoke, client: ClientFactory,
                  function_arn: Callable[[str], str]) -> list[Poller]:
    """One poller per event source; all schedules share one."""
    pollers: list[Poller] = []
    schedules = []
    for source in sources:
        if isinstance(source, StreamSource):
            pollers.append(StreamPoller(source, invoke, client, function_arn(source.function_id)))
        elif isinstance(source, RuleSource):
            rule_arn = f"arn:aws:events:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:rule/{source.bus_name}/{source.rule_name}"
            pollers.append(AsyncQueuePoller(source.function_id, source.target_queue, _rule_event,
                                            source.max_retries, source.dead_letter_queue, invoke, client, rule_arn))
        elif isinstance(source, BucketSource):
            pollers.append(AsyncQueuePoller(source.function_id, source.notification_queue, _bucket_event,
                                            source.max_retries, None, invoke, client,
                                            f"arn:aws:s3:::{source.bucket_name}"))
        elif isinstance(source, QueueSource):
            pollers.append(QueueSourcePoller(source, invoke, client))
        elif isinstance(source, ScheduleSource):
            schedules.append(source)
    # One poller fires the template's schedules and those the functions create at run time in Scheduler.
    pollers.append(SchedulePoller(schedules, invoke, client=client, function_arn=function_arn))
    return pollers


class Dispatcher:
    def __init__(self, pollers: Iterable[Poller], wakeups: Wakeups | None = None) -> None:
        self._pollers = list(pollers)
        # Without an embedded AWS that reports changes, every poller falls back to its idle interval.
        self._wakeups = wakeups or Wakeups()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for index, poller in enumerate(self._pollers):
            thread = threading.Thread(target=self._run, args=(poller,), name=f"crm-dispatch-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self, poller: Poller) -> None:
        woken = self._wakeups.listen(poller.topics)
        while not self._stop.is_set():
            # Cleared before the poll, so a change reported while it runs wakes the next wait at once.
            woken.clear()
            try:
                worked = poller.poll()
            except Exception:  # noqa: BLE001 - a poller survives any failed poll
                # A poller survives a failed poll (moto restarting, a queue deleted by hand) and tries again.
                log.exception("%s failed to poll", type(poller).__name__)
                self._stop.wait(ERROR_PAUSE_SECONDS)
                continue
            if not worked:
                woken.wait(poller.idle_seconds())

    def stop(self) -> None:
        self._stop.set()
        self._wakeups.wake_all()
        for thread in self._threads:
            thread.join(timeout=5)


def _json_ready(value: Any) -> Any:
    """boto3 parses stream records into datetimes and bytes; Lambda delivers them as JSON."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | set | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

