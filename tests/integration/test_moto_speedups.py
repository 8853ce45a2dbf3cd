"""The embedded AWS's faster moto still answers as DynamoDB does: reads carry every attribute type back as it
was written (binaries included), and an index's pages come in its key order, ties broken by the table's keys,
each item once, forwards and backwards."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

EVERY_TYPE = {"s": {"S": "مریم"}, "n": {"N": "1.50"}, "b": {"B": b"\x00\xff"}, "ss": {"SS": ["a", "b"]},
              "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"\x01"]}, "l": {"L": [{"S": "x"}, {"N": "3"}]},
              "m": {"M": {"inner": {"B": b"\x02"}, "flag": {"BOOL": True}}}, "nothing": {"NULL": True}}


@pytest.fixture
def table() -> Any:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "G", "O")],
            GlobalSecondaryIndexes=[{"IndexName": "GSI", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
                {"AttributeName": "G", "KeyType": "HASH"}, {"AttributeName": "O", "KeyType": "RANGE"}]}])
        yield client


def test_every_attribute_type_reads_back_as_written(table: Any) -> None:
    item = {"PK": {"S": "p"}, "SK": {"S": "s"}, **EVERY_TYPE}
    table.put_item(TableName="t", Item=item)
    key = {"PK": {"S": "p"}, "SK": {"S": "s"}}
    assert table.get_item(TableName="t", Key=key)["Item"] == item
    assert table.query(TableName="t", KeyConditionExpression="PK = :p",
                       ExpressionAttributeValues={":p": {"S": "p"}})["Items"] == [item]
    assert table.scan(TableName="t")["Items"] == [item]
    assert table.batch_get_item(RequestItems={"t": {"Keys": [key]}})["Responses"]["t"] == [item]
    assert table.get_item(TableName="t", Key={"PK": {"S": "none"}, "SK": {"S": "s"}}).get("Item") is None


@pytest.mark.parametrize("forward", [True, False])
def test_an_index_pages_in_its_key_order_with_ties_broken_by_the_tables_keys(table: Any, forward: bool) -> None:
    # Given items of one index partition, several sharing an order value, and items of another partition
    written = []
    for n in range(23):
        order = f"{n % 5:02d}"
        table.put_item(TableName="t", Item={"PK": {"S": f"p{22 - n:02d}"}, "SK": {"S": "x"}, "G": {"S": "one"},
                                            "O": {"S": order}})
        written.append((order, f"p{22 - n:02d}"))
        table.put_item(TableName="t", Item={"PK": {"S": f"q{n}"}, "SK": {"S": "x"}, "G": {"S": "two"},
                                            "O": {"S": order}})
    # When the partition is read a page of 4 at a time
    seen, start = [], None
    while True:
        page = table.query(TableName="t", IndexName="GSI", KeyConditionExpression="G = :g", Limit=4,
                           ExpressionAttributeValues={":g": {"S": "one"}}, ScanIndexForward=forward,
                           **({"ExclusiveStartKey": start} if start else {}))
        seen += [(i["O"]["S"], i["PK"]["S"]) for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    # Then each item comes once, in the index's order
    assert seen == sorted(written, reverse=not forward)


def test_a_query_of_the_table_reads_its_own_partition_in_sort_key_order(table: Any) -> None:
    for pk in ("a", "b", "c"):
        for sk in ("3", "1", "2"):
            table.put_item(TableName="t", Item={"PK": {"S": pk}, "SK": {"S": sk}, "G": {"S": "one"},
                                                "O": {"S": pk + sk}})
    page = table.query(TableName="t", KeyConditionExpression="PK = :p AND SK > :s", ScanIndexForward=False,
                       ExpressionAttributeValues={":p": {"S": "b"}, ":s": {"S": "1"}})
    assert [(i["PK"]["S"], i["SK"]["S"]) for i in page["Items"]] == [("b", "3"), ("b", "2")]
    # And the index still reads across every partition
    across = table.query(TableName="t", IndexName="GSI", KeyConditionExpression="G = :g",
                         ExpressionAttributeValues={":g": {"S": "one"}})
    assert len(across["Items"]) == 9
    assert table.query(TableName="t", KeyConditionExpression="PK = :p",
                       ExpressionAttributeValues={":p": {"S": "none"}})["Items"] == []
