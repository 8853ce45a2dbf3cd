"""Wake-ups for the dispatcher's pollers: the embedded AWS says what kind of state changed (a table write,
a message that may have reached a queue), and only the pollers waiting on that kind poll again. So a
poller sleeps outside the embedded AWS's one-at-a-time lock, reacts at once, and an idle stack polls
next to never."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

# A write to a table: its stream may have new records.
TABLE_WRITE = "table-write"
# A message may have reached a queue: sent to it, delivered by an S3 notification, or made visible again.
QUEUE_MESSAGE = "queue-message"
# An event was put on a bus: only the queues of EventBridge rules' targets may have a message. The queues
# of SQS event sources (inbound mail, imports, exports) never hear of it, so a lead's events do not make
# them poll the embedded AWS while the lead's own requests wait for it.
EVENT_DELIVERY = "event-delivery"
# A schedule was created, changed or deleted in the embedded Scheduler: the schedule poller reads them again, so
# a reminder set a few seconds ahead fires on time.
SCHEDULE_CHANGE = "schedule-change"

_DYNAMODB_WRITES = frozenset({
    "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "ExecuteStatement",
    "BatchExecuteStatement", "ExecuteTransaction",
})
_QUEUE_DELIVERIES = {
    "AmazonSQS": (frozenset({"SendMessage", "SendMessageBatch", "ChangeMessageVisibility",
                             "ChangeMessageVisibilityBatch"}), QUEUE_MESSAGE),
    "AWSEvents": (frozenset({"PutEvents"}), EVENT_DELIVERY),
}


def changes(environ: Mapping[str, object]) -> tuple[str, ...]:
    """What an AWS request may have changed, told from its headers alone (the body stays unread)."""
    target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
    if target:
        service, _, action = target.partition(".")
        if service.startswith("DynamoDB_") and action in _DYNAMODB_WRITES:
            return (TABLE_WRITE,)
        actions, topic = _QUEUE_DELIVERIES.get(service, (frozenset(), ""))
        if action in actions:
            return (topic,)
        return ()
    # S3 and Scheduler speak REST: a PUT, POST or DELETE may fire a bucket notification into a queue, or change
    # a schedule.
    credential_scope = str(environ.get("HTTP_AUTHORIZATION") or "")
    writes = environ.get("REQUEST_METHOD") in ("PUT", "POST", "DELETE")
    if "/s3/aws4_request" in credential_scope and writes:
        return (QUEUE_MESSAGE,)
    if "/scheduler/aws4_request" in credential_scope and writes:
        return (SCHEDULE_CHANGE,)
    return ()


class Wakeups:
    """Topic -> the events of the pollers that listen to it. Setting an event that is already set is
    free, so a burst of writes costs a listener one poll, not one per write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, list[threading.Event]] = {}
        self._all: list[threading.Event] = []

    def listen(self, topics: Iterable[str]) -> threading.Event:
        event = threading.Event()
        with self._lock:
            self._all.append(event)
            for topic in topics:
                self._listeners.setdefault(topic, []).append(event)
        return event

    def notify(self, topics: Iterable[str]) -> None:
        with self._lock:
            listeners = [event for topic in topics for event in self._listeners.get(topic, ())]
        for event in listeners:
            event.set()

    def wake_all(self) -> None:
        with self._lock:
            listeners = list(self._all)
        for event in listeners:
            event.set()
