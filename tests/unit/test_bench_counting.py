"""The bench's request counter (bench/aws_calls.py): each AWS call counted once, by operation, whichever
client made it."""

from __future__ import annotations

from bench.aws_calls import counts, observing


def test_one_put_item_and_one_query_are_counted_as_one_each(aws):
    # Given a moto table built from template.yaml, with the models bound to it
    from crm.models import UniqueItem

    pk, sk = UniqueItem.key("email", "ali@example.com")
    # When one PutItem goes through a PynamoDB model and one Query through a boto3 client
    with observing() as calls:
        UniqueItem(pk, sk, kind="email", contact_id="c1").save()
        found = aws["dynamodb"].query(TableName=aws["settings"].table_name, KeyConditionExpression="PK = :pk",
                                      ExpressionAttributeValues={":pk": {"S": pk}})
    # Then the counter says one of each and nothing else, and the query saw the put
    assert counts(calls) == {"dynamodb:PutItem": 1, "dynamodb:Query": 1}
    assert found["Count"] == 1


def test_a_transaction_through_the_shared_connection_is_one_request(aws):
    # Given the connection every function's transactions go through
    from crm.models import UniqueItem, transaction_connection
    from pynamodb.transactions import TransactWrite

    # When two items are written in one transaction
    with observing() as calls, TransactWrite(connection=transaction_connection()) as tx:
        for email in ("a@example.com", "b@example.com"):
            tx.save(UniqueItem(*UniqueItem.key("email", email), kind="email", contact_id="c1"))
    # Then that is one TransactWriteItems request, carrying both items
    assert counts(calls) == {"dynamodb:TransactWriteItems": 1}
    assert len(calls[0].params["TransactItems"]) == 2


def test_the_benchs_api_calls_reach_the_api_through_its_template_route(aws):
    # Given the function template.yaml routes client calls to, and the bench's event for an admin's audit read
    from bench.harness import API_ROUTE, api_event, route_function

    function = route_function(API_ROUTE)
    module, name = function.handler.rsplit(".", 1)
    handler = getattr(__import__(module, fromlist=[name]), name)

    # When the handler is invoked with it
    with observing() as calls:
        response = handler(api_event("GET", "/v1/audit", {"limit": "5"}, role="admin"), None)

    # Then the route answers, from one Query, as the bench counts it
    assert response["statusCode"] == 200, response
    assert counts(calls) == {"dynamodb:Query": 1}
