"""The publisher resends only the entries PutEvents failed, and reports what still failed."""

from __future__ import annotations

import json

from event_publisher.handler import outbox_events
from event_publisher.publish import OutboxEvent, publish

from tests.conftest import sample_event


def outbox(n: int) -> list[OutboxEvent]:
    return [OutboxEvent(str(i), f"e{i}", "Contact Created", json.dumps({"contact_id": f"c{i}"}), "t")
            for i in range(n)]


class FakeBus:
    """A PutEvents that fails the entries it is told to, a set number of times."""

    def __init__(self, fail_ids: set[str], times: int) -> None:
        self.fail_ids, self.times, self.calls = fail_ids, times, []

    def __call__(self, entries):
        self.calls.append(entries)
        results = []
        for entry in entries:
            event_id = entry["Resources"][0].rsplit("/", 1)[1]
            if event_id in self.fail_ids and self.times > 0:
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "boom"})
            else:
                results.append({"EventId": "x"})
        if any("ErrorCode" in r for r in results):
            self.times -= 1
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def test_entries_go_in_batches_of_ten():
    bus = FakeBus(set(), 0)
    assert publish(outbox(23), "bus", bus, pause=lambda s: None) == []
    assert [len(c) for c in bus.calls] == [10, 10, 3]
    assert {e["EventBusName"] for c in bus.calls for e in c} == {"bus"}


def test_only_failed_entries_are_resent():
    bus = FakeBus({"e3"}, times=1)
    assert publish(outbox(5), "bus", bus, pause=lambda s: None) == []
    assert [len(c) for c in bus.calls] == [5, 1]
    assert bus.calls[1][0]["Resources"] == ["crm:event/e3"]


def test_entries_that_keep_failing_are_reported_for_the_stream_to_retry():
    bus = FakeBus({"e1", "e4"}, times=99)
    assert publish(outbox(5), "bus", bus, pause=lambda s: None) == ["1", "4"]


def test_only_new_outbox_items_are_read_from_the_stream():
    event = sample_event("event_publisher_stream.json")
    event["Records"].append({"eventName": "MODIFY", "dynamodb": {"NewImage": {"PK": {"S": "OUTBOX#x"}}}})
    event["Records"].append({"eventName": "INSERT", "dynamodb": {"NewImage": {"PK": {"S": "CONTACT#x"}}}})
    found = outbox_events(event)
    assert [(e.event_id, e.detail_type) for e in found] == [("e1", "Contact Created"), ("e2", "Form Submitted")]
