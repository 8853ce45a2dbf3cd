"""The embedded AWS's transactions roll back from an undo log, not from whole-table copies: what a
cancelled transaction leaves behind must be exactly what moto's own rollback left."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.request import Request, urlopen

import pytest
from botocore.exceptions import ClientError
from crm_local.clients import local_client
from crm_local.embedded_aws import EmbeddedAws
from crm_local.template import create_table_kwargs

from tests.e2e.conftest import free_port

TABLE = "crm-moto-test"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    port = free_port()
    aws = EmbeddedAws("127.0.0.1", port)
    aws.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = local_client("dynamodb", endpoint)
    client.create_table(**create_table_kwargs(TABLE))
    try:
        yield client, local_client("dynamodbstreams", endpoint)
    finally:
        urlopen(Request(f"{endpoint}/moto-api/reset", method="POST")).close()  # noqa: S310 - the local moto's http URL
        aws.stop()


def stream_records(client: Any, streams: Any) -> list[dict[str, Any]]:
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return streams.get_records(ShardIterator=iterator)["Records"]


def key(pk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": "X"}}


def everything(client: Any) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName=TABLE)["Items"], key=lambda item: item["PK"]["S"])


def test_a_cancelled_transaction_leaves_items_and_stream_as_they_were(dynamodb: tuple[Any, Any]) -> None:
    client, streams = dynamodb
    # Given an item with a counter and a nested map, and the stream record of its creation
    client.put_item(TableName=TABLE, Item=key("A") | {"n": {"N": "1"}, "m": {"M": {"k": {"S": "v"}}}})
    before, records_before = everything(client), stream_records(client, streams)
    # When a transaction updates it, adds a new item and deletes nothing, but a condition fails last
    with pytest.raises(ClientError) as cancelled:
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": key("A"), "UpdateExpression": "SET n = n + :one, m.k = :w",
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":w": {"S": "changed"}}}},
            {"Put": {"TableName": TABLE, "Item": key("B")}},
            {"ConditionCheck": {"TableName": TABLE, "Key": key("C"), "ConditionExpression": "attribute_exists(PK)"}},
        ])
    # Then it is cancelled, naming the failed condition, and nothing it did remains, in the table or the stream
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert everything(client) == before
    assert stream_records(client, streams) == records_before


def test_a_transaction_naming_one_item_twice_changes_nothing(dynamodb: tuple[Any, Any]) -> None:
    client, streams = dynamodb
    client.put_item(TableName=TABLE, Item=key("A") | {"n": {"N": "1"}})
    before, records_before = everything(client), stream_records(client, streams)
    # When a transaction's first action succeeds and its second names the same item again
    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[
            {"Delete": {"TableName": TABLE, "Key": key("A")}},
            {"Put": {"TableName": TABLE, "Item": key("A") | {"n": {"N": "9"}}}},
        ])
    # Then the first action is undone too
    assert everything(client) == before
    assert stream_records(client, streams) == records_before


def test_a_committed_transaction_writes_every_item_and_its_stream_records(dynamodb: tuple[Any, Any]) -> None:
    client, streams = dynamodb
    client.put_item(TableName=TABLE, Item=key("A") | {"n": {"N": "1"}})
    # When a transaction whose conditions hold updates one item and creates another
    client.transact_write_items(TransactItems=[
        {"Update": {"TableName": TABLE, "Key": key("A"), "UpdateExpression": "SET n = n + :one",
                    "ConditionExpression": "n = :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Put": {"TableName": TABLE, "Item": key("B"), "ConditionExpression": "attribute_not_exists(PK)"}},
    ])
    # Then both changes are there, each with its stream record
    assert [(item["PK"]["S"], item.get("n")) for item in everything(client)] == [("A", {"N": "2"}), ("B", None)]
    assert [record["eventName"] for record in stream_records(client, streams)] == ["INSERT", "MODIFY", "INSERT"]
