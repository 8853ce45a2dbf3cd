"""The dispatcher's pollers sleep outside the embedded AWS and wake on the changes they listen to."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from crm_local.dispatch import Dispatcher
from crm_local.wakeups import EVENT_DELIVERY, QUEUE_MESSAGE, TABLE_WRITE, Wakeups, changes

WAIT_SECONDS = 5.0


def signed(service: str) -> str:
    return f"AWS4-HMAC-SHA256 Credential=local/20261204/us-east-1/{service}/aws4_request, SignedHeaders=host"


def json_request(target: str, service: str) -> dict[str, Any]:
    return {"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": target, "HTTP_AUTHORIZATION": signed(service)}


@pytest.mark.parametrize(("request_environ", "expected"), [
    (json_request("DynamoDB_20120810.TransactWriteItems", "dynamodb"), (TABLE_WRITE,)),
    (json_request("DynamoDB_20120810.UpdateItem", "dynamodb"), (TABLE_WRITE,)),
    (json_request("DynamoDB_20120810.Query", "dynamodb"), ()),
    (json_request("DynamoDBStreams_20120810.GetRecords", "dynamodb"), ()),
    (json_request("AmazonSQS.SendMessage", "sqs"), (QUEUE_MESSAGE,)),
    (json_request("AmazonSQS.ChangeMessageVisibilityBatch", "sqs"), (QUEUE_MESSAGE,)),
    (json_request("AmazonSQS.ReceiveMessage", "sqs"), ()),
    (json_request("AmazonSQS.DeleteMessage", "sqs"), ()),
    (json_request("AWSEvents.PutEvents", "events"), (EVENT_DELIVERY,)),
    ({"REQUEST_METHOD": "PUT", "HTTP_AUTHORIZATION": signed("s3")}, (QUEUE_MESSAGE,)),
    ({"REQUEST_METHOD": "GET", "HTTP_AUTHORIZATION": signed("s3")}, ()),
    ({"REQUEST_METHOD": "GET"}, ()),
])
def test_each_aws_request_announces_only_what_it_may_have_changed(request_environ: dict[str, Any],
                                                                  expected: tuple[str, ...]) -> None:
    # Given a request as the embedded AWS receives it, When it is classified, Then reads announce nothing
    assert changes(request_environ) == expected


class CountingPoller:
    """Finds no work, and says each time it looked."""

    def __init__(self, topics: tuple[str, ...]) -> None:
        self.topics = topics
        self.polls = 0
        self.polled = threading.Condition()

    def poll(self) -> bool:
        with self.polled:
            self.polls += 1
            self.polled.notify_all()
        return False

    def idle_seconds(self) -> float:
        return 3600.0

    def wait_for(self, polls: int) -> bool:
        with self.polled:
            return self.polled.wait_for(lambda: self.polls >= polls, timeout=WAIT_SECONDS)


def test_an_idle_poller_sleeps_until_a_change_it_listens_to_wakes_it() -> None:
    # Given a table poller and a queue poller that find nothing, each polled once at start
    wakeups = Wakeups()
    table, queue = CountingPoller((TABLE_WRITE,)), CountingPoller((QUEUE_MESSAGE,))
    dispatcher = Dispatcher([table, queue], wakeups)
    dispatcher.start()
    try:
        assert table.wait_for(1) and queue.wait_for(1)
        # When a burst of table writes is announced
        for _ in range(50):
            wakeups.notify((TABLE_WRITE,))
        # Then the table poller looks again, at most once per poll it was woken for
        assert table.wait_for(2)
        assert 2 <= table.polls <= 51
        # And the queue poller, whose idle interval is an hour, has not looked again
        assert queue.polls == 1
        # When a message may have reached a queue, Then the queue poller looks
        wakeups.notify((QUEUE_MESSAGE,))
        assert queue.wait_for(2)
    finally:
        dispatcher.stop()


def test_stopping_wakes_every_sleeping_poller() -> None:
    # Given a poller asleep for an hour
    poller = CountingPoller((TABLE_WRITE,))
    dispatcher = Dispatcher([poller], Wakeups())
    dispatcher.start()
    assert poller.wait_for(1)
    # When the dispatcher stops, Then its thread ends at once, not after the hour (nor its 5 s join limit)
    stopping = threading.Thread(target=dispatcher.stop)
    stopping.start()
    stopping.join(timeout=2.0)
    assert not stopping.is_alive()
