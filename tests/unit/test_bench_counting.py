"""The bench's request counter (bench/aws_calls.py): each AWS call counted once, by operation, whichever
client made it; and its cost model (bench/cost.py): each write priced from the items it changed, with a
write per index entry it put, moved or rewrote."""

from __future__ import annotations

from typing import Any

import pytest

from bench.aws_calls import counts, observing


def test_one_put_item_and_one_query_are_counted_as_one_each(aws):
    # Given a moto table built from template.yaml, with the models bound to it
    from crm.contacts.spec import UniqueItem

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
    from crm.contacts.spec import UniqueItem
    from crm.records.table import transaction_connection
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


def _contact(contact_id: str = "c1", owner: str | None = "sales-1") -> Any:
    """A contact as every entry point builds it: in the newest-first index (GSI1) and the score indexes
    (GSI2 all, GSI3 by stage, GSI4 by owner when it has one)."""
    from crm.contacts.store import new_contact_item

    return new_contact_item(contact_id, now="2026-11-24T00:00:00.000Z", lifecycle_stage="lead",
                            source="web_form", email=f"{contact_id}@example.com", owner=owner)


def test_a_new_contact_costs_one_index_write_per_index_it_enters(aws):
    from crm.records.table import transaction_connection
    from pynamodb.transactions import TransactWrite

    from bench.cost import write_units_of
    from bench.requests_count import recording_item_writes

    # Given a contact under 1 KB that lands in four indexes
    contact = _contact()
    # When it is put in a transaction, its items recorded before and after
    with observing() as calls, recording_item_writes() as writes:
        with TransactWrite(connection=transaction_connection()) as tx:
            tx.save(contact)
    # Then it costs 2 WRU for the item (doubled by the transaction) and 1 for each index, not doubled
    [(call, items)] = writes
    assert call is calls[0] and [(w.before, w.action) for w in items] == [(None, "Put")]
    assert write_units_of(call, items) == 2 + 4
    # And without an owner it enters one index fewer
    with observing() as calls, recording_item_writes() as writes:
        with TransactWrite(connection=transaction_connection()) as tx:
            tx.save(_contact("c2", owner=None))
    [(call, items)] = writes
    assert write_units_of(call, items) == 2 + 3


def test_a_score_change_moves_the_contact_in_every_score_index_and_rewrites_the_others(aws):
    from crm.contacts.spec import ContactItem

    from bench.cost import write_units_of
    from bench.requests_count import recording_item_writes

    # Given the contact stored, at score 0
    contact = _contact()
    contact.save()
    # When a plain UpdateItem gives it a score (its score_key, a sort key of GSI2..4, changes)
    with observing(), recording_item_writes() as writes:
        contact.update([ContactItem.score.set(13), ContactItem.score_key.set(ContactItem.score_sort_key(13, "c1"))])
    # Then: 1 WRU for the item, 1 to rewrite its GSI1 entry (ALL projection) and 2 (delete and put) in each
    # of the three score indexes
    [(call, items)] = writes
    assert items[0].before["score_key"] == {"S": "000#c1"} and items[0].after["score_key"] == {"S": "013#c1"}
    assert write_units_of(call, items) == 1 + 1 + 3 * 2
    # And an update of an item in no index (a rate counter) costs the item alone
    from crm.forms.spec import RateCounterItem

    counter = RateCounterItem(*RateCounterItem.key("f", "ip", 1), hits=1, expires_at=1)
    counter.save()
    with observing(), recording_item_writes() as writes:
        counter.update([RateCounterItem.hits.add(1)])
    [(call, items)] = writes
    assert write_units_of(call, items) == 1


def test_index_writes_follow_the_entry_in_or_out_moved_or_rewritten():
    from bench.cost import Index, index_write_units

    # Given an index on (GSI1PK, GSI1SK) with ALL projection, and one with KEYS_ONLY
    everything = Index("GSI1", frozenset({"GSI1PK", "GSI1SK"}), "ALL", frozenset())
    keys_only = Index("GSI1", frozenset({"GSI1PK", "GSI1SK"}), "KEYS_ONLY", frozenset())
    item = {"PK": {"S": "A#1"}, "SK": {"S": "X"}, "GSI1PK": {"S": "A"}, "GSI1SK": {"S": "1"}, "n": {"N": "1"}}
    outside = {k: v for k, v in item.items() if not k.startswith("GSI1")}
    moved = {**item, "GSI1SK": {"S": "2"}}
    changed = {**item, "n": {"N": "2"}}
    # Then entering or leaving is one write, moving two, a changed projected attribute one, nothing none
    assert index_write_units(everything, None, item) == 1
    assert index_write_units(everything, item, None) == 1
    assert index_write_units(everything, item, outside) == 1
    assert index_write_units(everything, outside, outside) == 0
    assert index_write_units(everything, item, moved) == 2
    assert index_write_units(everything, item, changed) == 1
    assert index_write_units(everything, item, item) == 0
    # And an attribute the index does not project changes nothing in it
    assert index_write_units(keys_only, item, changed) == 0
    # And an entry over 1 KB costs a write per KB
    big = {**item, "blob": {"S": "x" * 1500}}
    assert index_write_units(everything, None, big) == 2


def test_a_cancelled_transaction_is_charged_for_its_items_and_no_index_write(aws):
    from crm.contacts.spec import ContactItem, UniqueItem
    from crm.records.table import transaction_connection
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    from bench.cost import write_units_of
    from bench.requests_count import recording_item_writes

    # Given the email's sentinel already taken
    UniqueItem(*UniqueItem.key("email", "c1@example.com"), kind="email", contact_id="other").save()
    # When a transaction puts the contact and claims the email
    with observing(), recording_item_writes() as writes, pytest.raises(TransactWriteError):
        with TransactWrite(connection=transaction_connection()) as tx:
            tx.save(_contact(), condition=ContactItem.PK.does_not_exist())
            tx.save(UniqueItem(*UniqueItem.key("email", "c1@example.com"), kind="email", contact_id="c1"),
                    condition=UniqueItem.PK.does_not_exist())
    # Then it is charged as if it completed (2 WRU per item), but no index changed
    [(call, items)] = writes
    assert call.status == 400 and items[0].after is None
    assert write_units_of(call, items) == 2 + 2


def test_a_composite_is_the_sum_of_its_operations():
    from bench.cost import COMPOSITES, Cost, composite_costs

    # Given each part of the captured and scored lead priced
    parts = COMPOSITES["captured and scored lead"]
    costs = [Cost(name, 0.25, 1.0 * n, 1.0 if n == 0 else 0.0, 0.0, 10, 2.0, 0.5) for n, name in enumerate(parts)]
    # When the composites are summed
    [composite] = composite_costs(costs)
    # Then its total, WRU and RRU are the parts' sums; and a composite with a part missing is left out
    assert composite.total_usd == sum(c.total_usd for c in costs)
    assert (composite.write_units, composite.read_units) == (2.0 * len(parts), 0.5 * len(parts))
    assert composite.parts == parts and composite.not_delivered == ()
    assert composite_costs(costs[1:]) == []


def test_a_part_its_rule_does_not_deliver_costs_the_composite_nothing():
    from bench.cost import Cost, composite_costs
    from bench.requests_count import NEW_LEAD_CREATED, NEW_LEAD_SUBMITTED, Operation

    # Given the submission priced, and the new lead's two events recorded as not delivered (unpriced)
    submission = Cost("new submission", 0.25, 10.0, 1.0, 0.0, 10, 7.0, 0.0)
    operations = [Operation("new submission", {}), Operation(NEW_LEAD_CREATED, {}, delivered=False),
                  Operation(NEW_LEAD_SUBMITTED, {}, delivered=False)]
    # When the composites are summed
    [composite] = composite_costs([submission], operations)
    # Then the captured and scored lead is the submission alone, the two events listed as not delivered
    assert composite.parts == ("new submission",)
    assert composite.not_delivered == (NEW_LEAD_CREATED, NEW_LEAD_SUBMITTED)
    assert (composite.total_usd, composite.write_units, composite.read_units) == (submission.total_usd, 7.0, 0.0)
    # And an event that was delivered but not priced (it failed) still leaves the composite out
    assert composite_costs([submission], operations[:2]) == []
    # And a not-delivered operation reports so, with no request and its target met
    assert operations[1].status == "not delivered"
    assert operations[1].targets() == [("no Scan", True), ("no request (the rule does not deliver it)", True)]


def test_the_bench_delivers_a_bus_event_by_the_template_rules_pattern():
    from bench.harness import bus_event, rule_function
    from bench.requests_count import rule_delivers

    # Given the function template.yaml's bus rule sends Form Submitted to (the scoring function)
    scoring = rule_function("Form Submitted")
    submitted = {"contact_id": "c1", "event_id": "e1", "created_contact": True}
    # Then a Form Submitted is delivered to it, unless it is marked scored at capture
    assert rule_delivers(scoring, bus_event("Form Submitted", submitted))
    assert rule_delivers(scoring, bus_event("Contact Created", {"contact_id": "c1", "event_id": "e2"}))
    assert not rule_delivers(scoring, bus_event("Form Submitted", submitted | {"scored_at_capture": True}))
    assert not rule_delivers(scoring, bus_event("Contact Created", {"contact_id": "c1", "scored_at_capture": True}))
    # And a type the rule does not list is not delivered either
    assert not rule_delivers(scoring, bus_event("Contact Qualified", {"contact_id": "c1"}))
