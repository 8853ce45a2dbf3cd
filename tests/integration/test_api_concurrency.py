"""Concurrent edits of one record: every PATCH read the same version, so one wins and the rest get 412."""

from __future__ import annotations

import threading

from tests.support.api_client import ApiClient

RACERS = 10


def test_concurrent_patches_with_the_same_version_one_wins_the_rest_412(serialized_aws):
    from crm.records.table import transaction_connection

    # Given a contact at version 1
    sales = ApiClient("sales")
    contact = sales.post("/v1/contacts", {"first_name": "Race", "email": "race@example.com"}).body
    path = f"/v1/contacts/{contact['id']}"
    # And every racer's write held back until all of them have read the record, so they truly race
    # on DynamoDB's condition rather than on our If-Match check
    all_have_read = threading.Barrier(RACERS, timeout=30)
    events = transaction_connection().client.meta.events

    def hold(**_: object) -> None:
        all_have_read.wait()

    events.register("before-call.dynamodb.TransactWriteItems", hold)
    results = []

    def patch() -> None:
        results.append(sales.patch(path, {"job_title": "Racer"}, version=1))

    # When they all PATCH at once naming version 1
    try:
        threads = [threading.Thread(target=patch) for _ in range(RACERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", hold)

    # Then exactly one wins, every other gets 412, and the record moved on by exactly one version
    assert sorted(r.status for r in results) == [200] + [412] * (RACERS - 1)
    assert {r.body["error"]["code"] for r in results if r.status == 412} == {"version_mismatch"}
    saved = sales.get(path).body
    assert (saved["version"], saved["job_title"]) == (2, "Racer")
    audit = ApiClient("admin").get("/v1/audit", entity=f"contact:{contact['id']}").body["items"]
    assert [entry["action"] for entry in audit] == ["update", "create"]
