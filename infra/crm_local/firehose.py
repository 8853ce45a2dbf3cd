"""The local Firehose: what template.yaml's EventBridge rule -> Kinesis Data Firehose -> Parquet in S3 does in
AWS, done on this machine (decision 0046). moto has no record format conversion, so the rule's target is a
local queue, as for every rule of the local stack, and this module buffers the events found there and writes
them, converted the way Firehose's OpenX JSON deserializer and Parquet serializer would, to the embedded S3.

- The schema is the Glue table's, from `crm.analytics.schema` (a test holds template.yaml to it): the
  envelope's columns, `detail-type` as `detail_type`, `time` as a timestamp (UTC), and `detail` as a struct
  of the whitelisted keys. Any other key, at the top or in `detail`, is dropped; keys match case-insensitively.
- A record whose value does not fit its column (text where a number goes, an object where text goes) is not
  converted: it goes under the stream's error prefix as Firehose's error record, JSON with the raw record.
- Files go under the stream's prefix with its `!{timestamp:...}` expanded from the event's own `time` (UTC):
  events/dt=YYYY-MM-DD/<stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid>.parquet, Snappy pages, as Firehose names them.
  (Firehose itself takes the time the record arrived; the two differ only for an event delivered across
  midnight UTC, or replayed.)
- A buffer is flushed after a few seconds or a megabyte (Firehose waits 15 minutes or 128 MB), and when the
  in-process test stack drains (`flush`).

pyarrow is a local extra only: no function ships it (in AWS, Firehose converts)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crm.analytics.schema import DETAIL, EVENT_COLUMNS, JSON_KEYS

from crm_local import log
from crm_local.template import Template, TemplateError
from crm_local.wakeups import EVENT_DELIVERY

ClientFactory = Callable[[str], Any]

# Locally a buffer is written after this long or this much input, whichever comes first.
LOCAL_BUFFER_SECONDS = 5.0
LOCAL_BUFFER_BYTES = 1024 * 1024
# What an idle poller waits for when nothing is buffered and nothing wakes it.
SAFETY_POLL_SECONDS = 10.0
# Firehose's error output type for a record that did not fit the table's schema.
CONVERSION_FAILED = "format-conversion-failed"
_EXPRESSION = re.compile(r"!\{([a-z]+):([^}]+)\}")
# Java's date pattern letters, as the `!{timestamp:...}` namespace takes them, in strftime's terms.
_DATE_PATTERN = (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"))
_INT_RANGE = {"int": 2 ** 31, "bigint": 2 ** 63}
_INTEGER_TEXT = re.compile(r"-?\d+")


class Unconvertible(ValueError):
    """A record that does not fit the table's schema; Firehose writes it under its error prefix."""


# The template's wiring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryStream:
    logical_id: str
    name: str
    bucket: str
    prefix: str
    error_prefix: str
    file_extension: str
    # The template's buffering hints (AWS); the local stack flushes sooner.
    buffer_seconds: int
    buffer_megabytes: int


@dataclass(frozen=True)
class DeliveryRule:
    """An EventBridge rule whose target is a delivery stream; locally the target is `target_queue`."""

    logical_id: str
    rule_name: str
    bus_name: str
    pattern: Mapping[str, Any]
    target_queue: str
    stream: DeliveryStream


def delivery_rules(template: Template) -> list[DeliveryRule]:
    """Every (rule, delivery stream target) pair of the template."""
    resources = template.resources
    rules = []
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Events::Rule":
            continue
        props = resource.get("Properties") or {}
        for target in props.get("Targets") or ():
            stream_id = _get_att_target(target.get("Arn"))
            if stream_id is None or resources.get(stream_id, {}).get("Type") != "AWS::KinesisFirehose::DeliveryStream":
                continue
            local_name = f"{template.stack_name}-{logical_id}"
            rules.append(DeliveryRule(
                logical_id=logical_id,
                rule_name=local_name[:64],
                bus_name=template.resolve(props.get("EventBusName", "default")),
                pattern=template.resolve(props["EventPattern"]),
                target_queue=f"{local_name}-{target['Id']}"[:80],
                stream=_delivery_stream(template, stream_id),
            ))
    return rules


def _get_att_target(arn: Any) -> str | None:
    """The logical id of a target named `!GetAtt X.Arn`."""
    if not isinstance(arn, Mapping) or "Fn::GetAtt" not in arn:
        return None
    argument = arn["Fn::GetAtt"]
    logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
    return logical_id if attribute == "Arn" else None


def _delivery_stream(template: Template, logical_id: str) -> DeliveryStream:
    props = template.resources[logical_id].get("Properties") or {}
    destination = props.get("ExtendedS3DestinationConfiguration")
    if not destination or not (destination.get("DataFormatConversionConfiguration") or {}).get("Enabled"):
        raise TemplateError(f"{logical_id}: the local stack runs only S3 delivery with Parquet conversion")
    hints = destination.get("BufferingHints") or {}
    stream = DeliveryStream(
        logical_id=logical_id,
        name=template.physical_name(logical_id),
        bucket=str(template.resolve(destination["BucketARN"])).removeprefix("arn:aws:s3:::"),
        prefix=template.resolve(destination.get("Prefix", "")),
        error_prefix=template.resolve(destination.get("ErrorOutputPrefix", "")),
        file_extension=template.resolve(destination.get("FileExtension", "")),
        buffer_seconds=int(hints.get("IntervalInSeconds", 300)),
        buffer_megabytes=int(hints.get("SizeInMBs", 128)),
    )
    for prefix in (stream.prefix, stream.error_prefix):
        expand(prefix, dt.datetime(2000, 1, 1))  # a namespace the local stack cannot expand fails here, at start
    return stream


def provision_delivery_rules(template: Template, client: ClientFactory) -> list[DeliveryRule]:
    """Each rule whose target is a delivery stream, put on its bus with a local queue as its target."""
    rules = delivery_rules(template)
    sqs, events = client("sqs"), client("events")
    for rule in rules:
        queue_arn = sqs.get_queue_attributes(QueueUrl=sqs.create_queue(QueueName=rule.target_queue)["QueueUrl"],
                                             AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=rule.rule_name, EventBusName=rule.bus_name, EventPattern=json.dumps(rule.pattern))
        events.put_targets(Rule=rule.rule_name, EventBusName=rule.bus_name,
                           Targets=[{"Id": rule.stream.logical_id[:64], "Arn": queue_arn}])
    return rules


def expand(prefix: str, moment: dt.datetime, error_type: str = CONVERSION_FAILED) -> str:
    """A Firehose prefix with its `!{timestamp:...}` and `!{firehose:...}` expressions expanded."""

    def value(match: re.Match[str]) -> str:
        namespace, argument = match.groups()
        if namespace == "timestamp":
            pattern = argument
            for java, python in _DATE_PATTERN:
                pattern = pattern.replace(java, python)
            return moment.strftime(pattern)
        if namespace == "firehose" and argument == "error-output-type":
            return error_type
        if namespace == "firehose" and argument == "random-string":
            return uuid.uuid4().hex[:11]
        raise TemplateError(f"the local Firehose cannot expand !{{{namespace}:{argument}}}")

    return _EXPRESSION.sub(value, prefix)


# Conversion: OpenX JSON in, the Glue table's columns out ----------------------------------------------------


def to_row(event: Any) -> dict[str, Any]:
    """One event as a row of the table: the whitelisted columns only, each of its column's type."""
    if not isinstance(event, Mapping):
        raise Unconvertible("a record is a JSON object")
    keys = _lower_keys(event)
    row = {name: _value(keys.get(JSON_KEYS.get(name, name)), kind, name) for name, kind in EVENT_COLUMNS}
    detail = keys.get("detail")
    if detail is not None and not isinstance(detail, Mapping):
        raise Unconvertible("detail is not an object")
    if detail is None:
        row["detail"] = None
    else:
        found = _lower_keys(detail)
        row["detail"] = {name: _value(found.get(name), kind, f"detail.{name}") for name, kind in DETAIL}
    return row


def _lower_keys(value: Mapping[str, Any]) -> dict[str, Any]:
    """OpenX's CaseInsensitive (its default): keys are matched in lower case."""
    return {str(key).lower(): item for key, item in value.items()}


def _value(value: Any, kind: str, name: str) -> Any:
    if value is None:
        return None
    converters: dict[str, Callable[[Any], Any]] = {
        "string": _text, "bigint": _integer, "int": _integer, "boolean": _boolean, "timestamp": _timestamp}
    if kind not in converters:
        raise TemplateError(f"the local Firehose has no conversion to {kind}")
    try:
        converted = converters[kind](value)
    except (TypeError, ValueError, OverflowError) as error:
        raise Unconvertible(f"{name}: {error}") from None
    if kind in _INT_RANGE and not -_INT_RANGE[kind] <= converted < _INT_RANGE[kind]:
        raise Unconvertible(f"{name}: {converted} is out of range for {kind}")
    return converted


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    raise TypeError(f"{type(value).__name__} where text goes")


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a boolean where a number goes")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        return int(value)
    raise ValueError(f"{value!r} is not a whole number")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"{value!r} is not true or false")


def _timestamp(value: Any) -> dt.datetime:
    """The formats OpenX takes: ISO 8601 with a Z or a space, epoch seconds or milliseconds; UTC, naive."""
    if isinstance(value, bool):
        raise TypeError("a boolean where a time goes")
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) >= 1e11 else value
        return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)
    if not isinstance(value, str):
        raise TypeError(f"{type(value).__name__} where a time goes")
    moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def arrow_schema() -> Any:
    """The table's columns as Arrow types: what every file holds, exactly."""
    import pyarrow as pa  # noqa: PLC0415 - a local extra, loaded only when the local Firehose writes

    types = {"string": pa.string(), "bigint": pa.int64(), "int": pa.int32(), "boolean": pa.bool_(),
             "timestamp": pa.timestamp("ms")}
    return pa.schema([*(pa.field(name, types[kind]) for name, kind in EVENT_COLUMNS),
                      pa.field("detail", pa.struct([pa.field(name, types[kind]) for name, kind in DETAIL]))])


def parquet_file(rows: list[dict[str, Any]]) -> bytes:
    """Rows as one Parquet file: Snappy pages with dictionaries, as Firehose's ParquetSerDe in template.yaml
    writes them, and `timestamp` as INT96, the Hive Parquet writer's encoding of it."""
    import pyarrow as pa  # noqa: PLC0415 - a local extra, loaded only when the local Firehose writes
    import pyarrow.parquet as pq  # noqa: PLC0415 - a local extra, loaded only when the local Firehose writes

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema()), sink, compression="snappy",
                   use_dictionary=True, use_deprecated_int96_timestamps=True)
    return sink.getvalue()


# Buffering and delivery ------------------------------------------------------------------------------------


class LocalFirehose:
    """One delivery stream's buffer; `flush` writes what it holds, a file per partition."""

    def __init__(self, stream: DeliveryStream, s3: Any, *, buffer_seconds: float = LOCAL_BUFFER_SECONDS,
                 buffer_bytes: int = LOCAL_BUFFER_BYTES, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self._s3 = s3
        self._buffer_seconds = buffer_seconds
        self._buffer_bytes = buffer_bytes
        self._clock = clock
        self._records: list[tuple[bytes, float]] = []
        self._size = 0
        self._oldest: float | None = None

    def put(self, data: bytes) -> None:
        if self._oldest is None:
            self._oldest = self._clock()
        self._records.append((data, time.time()))
        self._size += len(data)

    def due(self) -> bool:
        return self._oldest is not None and (self._size >= self._buffer_bytes
                                             or self._clock() - self._oldest >= self._buffer_seconds)

    def seconds_until_due(self) -> float | None:
        if self._oldest is None:
            return None
        return max(0.0, self._oldest + self._buffer_seconds - self._clock())

    def flush(self) -> list[str]:
        """Writes the buffer; the keys of the objects written."""
        records, self._records, self._size, self._oldest = self._records, [], 0, None
        if not records:
            return []
        rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        failed: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for data, arrived in records:
            try:
                row = to_row(json.loads(data))
            except (Unconvertible, ValueError) as error:
                moment = dt.datetime.fromtimestamp(arrived, dt.UTC)
                failed[expand(self.stream.error_prefix, moment)].append(_error_record(data, arrived, error))
                continue
            moment = row["time"] or dt.datetime.fromtimestamp(arrived, dt.UTC)
            rows[expand(self.stream.prefix, moment)].append(row)
        written = [self._put(prefix, parquet_file(batch), self.stream.file_extension) for prefix, batch in rows.items()]
        for prefix, errors in failed.items():
            log.warning("%s: %d records did not fit the table's schema; see s3://%s/%s", self.stream.name,
                        len(errors), self.stream.bucket, prefix)
            body = "".join(json.dumps(error) + "\n" for error in errors).encode()
            written.append(self._put(prefix, body, ""))
        return written

    def _put(self, prefix: str, body: bytes, extension: str) -> str:
        now = dt.datetime.now(dt.UTC)
        key = f"{prefix}{self.stream.name}-1-{now:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}{extension}"
        self._s3.put_object(Bucket=self.stream.bucket, Key=key, Body=body)
        return key


def _error_record(data: bytes, arrived: float, error: Exception) -> dict[str, Any]:
    """Firehose's record of a conversion failure (the raw record, base64), as its error output holds it."""
    return {"attemptsMade": 1, "arrivalTimestamp": int(arrived * 1000),
            "lastErrorCode": "DataFormatConversion.MalformedData", "lastErrorMessage": str(error),
            "attemptEndingTimestamp": int(time.time() * 1000),
            "rawData": base64.b64encode(data).decode("ascii")}


class DeliveryPoller:
    """Reads the rule's local target queue into the stream's buffer, and writes the buffer when it is due.
    A poller of the dispatcher (`crm_local.dispatch.Poller`), woken by events put on a bus."""

    topics = (EVENT_DELIVERY,)

    def __init__(self, rule: DeliveryRule, client: ClientFactory, **buffering: Any) -> None:
        self.rule = rule
        self._sqs = client("sqs")
        self._queue_url = self._sqs.get_queue_url(QueueName=rule.target_queue)["QueueUrl"]
        self.firehose = LocalFirehose(rule.stream, client("s3"), **buffering)

    def poll(self) -> bool:
        # Never a long poll: it would hold the embedded AWS's lock while it waits.
        messages = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10,
                                             WaitTimeSeconds=0).get("Messages", [])
        for message in messages:
            self.firehose.put(message["Body"].encode())
        if messages:
            self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=[
                {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(messages)])
        wrote = bool(self.firehose.flush()) if self.firehose.due() else False
        return bool(messages) or wrote

    def idle_seconds(self) -> float:
        due = self.firehose.seconds_until_due()
        return SAFETY_POLL_SECONDS if due is None else due

    def flush(self) -> bool:
        """Writes whatever is buffered now (the test stack's drain); whether anything was written."""
        return bool(self.firehose.flush())


def delivery_pollers(template: Template, client: ClientFactory, **buffering: Any) -> list[DeliveryPoller]:
    """A poller per rule whose target is a delivery stream (provisioned by `provision_delivery_rules`)."""
    return [DeliveryPoller(rule, client, **buffering) for rule in delivery_rules(template)]


def flush_all(pollers: Iterable[Any]) -> bool:
    """Writes what every local delivery stream among `pollers` holds; whether anything was written."""
    return any([poller.flush() for poller in pollers if isinstance(poller, DeliveryPoller)])
