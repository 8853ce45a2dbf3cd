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


def stream_insert(item: object, sequence_number: str) -> dict:
    return {"eventName": "INSERT", "dynamodb": {"NewImage": item.serialize(), "SequenceNumber": sequence_number}}


def test_an_outbox_item_carrying_two_events_is_read_as_two_entries_of_one_record():
    from crm.records.outbox import new_event, outbox_item

    # Given one outbox item announcing both events of a new lead, and a single-event item after it
    created = new_event("Contact Created", {"contact_id": "c1"})
    submitted = new_event("Form Submitted", {"contact_id": "c1"})
    event = {"Records": [stream_insert(outbox_item([created, submitted]), "1"),
                         stream_insert(outbox_item([new_event("Contact Updated", {"contact_id": "c2"})]), "2")]}
    # When the publisher reads the stream batch
    found = outbox_events(event)
    # Then each event is its own entry, with its own id, under its record's sequence number
    assert [(e.sequence_number, e.event_id, e.detail_type) for e in found][:2] == [
        ("1", created.event_id, "Contact Created"), ("1", submitted.event_id, "Form Submitted")]
    assert [json.loads(e.detail)["event_id"] for e in found[:2]] == [created.event_id, submitted.event_id]
    assert (found[2].sequence_number, found[2].detail_type) == ("2", "Contact Updated")


def two_event_record() -> list[OutboxEvent]:
    """Record 1 carries e1a and e1b (one outbox item); record 2 carries e2."""
    return [OutboxEvent("1", "e1a", "Contact Created", "{}", "t"), OutboxEvent("1", "e1b", "Form Submitted", "{}", "t"),
            OutboxEvent("2", "e2", "Contact Updated", "{}", "t")]


def test_both_events_of_one_item_are_sent_once_each():
    # Given a batch whose first record carries two events, and a bus that takes everything
    bus = FakeBus(set(), 0)
    # When it is published / Then every event went once, in one PutEvents, and nothing is reported
    assert publish(two_event_record(), "bus", bus, pause=lambda s: None) == []
    assert [[e["Resources"][0] for e in call] for call in bus.calls] == [
        ["crm:event/e1a", "crm:event/e1b", "crm:event/e2"]]


def test_a_failed_event_of_a_two_event_item_is_resent_alone_and_its_record_reported_once():
    # Given a bus that refuses the second event of the first record once, then (another batch) always
    once, always = FakeBus({"e1b"}, times=1), FakeBus({"e1b"}, times=99)
    # When each publishes the batch
    # Then a passing refusal resends that entry alone, and nothing is reported
    assert publish(two_event_record(), "bus", once, pause=lambda s: None) == []
    assert [[e["Resources"][0] for e in call] for call in once.calls] == [
        ["crm:event/e1a", "crm:event/e1b", "crm:event/e2"], ["crm:event/e1b"]]
    # And a lasting one reports the record once, for the stream to retry (its events are deduplicated by
    # their consumers on event_id)
    assert publish(two_event_record(), "bus", always, pause=lambda s: None) == ["1"]
    assert all(call == always.calls[1] for call in always.calls[1:]) and len(always.calls[1]) == 1
