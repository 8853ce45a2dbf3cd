"""An SQS event source in the tests: what a queue holds, delivered to a function's handler the way Lambda
delivers it, until the queue is empty (a handler's failure leaves its messages, as Lambda's would)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def drain(queue_url: str, handler: Callable[[dict[str, Any], Any], Any], limit: int = 10_000) -> int:
    """Delivers every message, one per invocation, including those the deliveries send; returns how many."""
    import boto3

    sqs = boto3.client("sqs")
    delivered = 0
    while delivered < limit:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1,
                                       AttributeNames=["All"]).get("Messages", [])
        if not messages:
            return delivered
        message = messages[0]
        try:
            handler({"Records": [{"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                                  "body": message["Body"], "attributes": message.get("Attributes", {}),
                                  "eventSource": "aws:sqs"}]}, None)
        except Exception:
            # Visible again at once rather than after the queue's visibility timeout: the next drain retries it.
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"],
                                          VisibilityTimeout=0)
            raise
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        delivered += 1
    raise AssertionError(f"{queue_url} still had messages after {limit} deliveries")
