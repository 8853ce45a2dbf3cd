"""Importing any file and then reverting it leaves the CRM as it was: its records, their uniqueness
sentinels and the search index (what remains is the history of what happened: audit entries, timeline
entries, outbox events, the import's own bookkeeping). And a chunk that fails halfway, delivered again,
applies each row once."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import table_items
from tests.integration.test_search import IndexerStream
from tests.support.api_client import ApiClient
from tests.support.imports import csv_bytes, step, upload

SALES = ApiClient(role="sales", user="sales-1")
# Records of what happened, which a revert adds to rather than removes.
HISTORY_PREFIXES = ("AUDIT#", "IMPORT#", "OUTBOX#", "EVENT#")
# Attributes every write moves on.
BOOKKEEPING = {"version", "updated_at"}

names = st.text(alphabet=st.sampled_from("abcدسیژЖжΩωé -'"), max_size=12)
emails = st.sampled_from([f"p{n}@example.com" for n in range(6)] + ["", "broken@", "P1@EXAMPLE.com"])
phones = st.sampled_from(["", "0912 345 6789", "+7 912 345-67-89", "۰۹۱۲۰۰۰۱۱۱۱", "12", "+44 20 7946 0958"])
rows = st.lists(st.tuples(names, names, emails, phones), min_size=1, max_size=8)


def crm_state(aws: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every item that is the CRM's present state, without what each write moves on."""
    state = {}
    for item in table_items(aws["dynamodb"], aws["settings"].table_name):
        key = (item["PK"]["S"], item["SK"]["S"])
        if key[0].startswith(HISTORY_PREFIXES) or key[1].startswith("HISTORY#"):
            continue
        if key[1] == "SEARCH_TERMS" and item.get("removed"):
            continue  # the indexer's tombstone of a deleted record: it expires, and finds nothing meanwhile
        state[key] = {name: value for name, value in item.items() if name not in BOOKKEEPING}
    return state


@pytest.mark.fuzz
@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(existing=rows, imported=rows, mode=st.sampled_from(["create", "create_or_update", "update"]))
def test_importing_any_file_and_reverting_it_leaves_the_crm_as_it_was(aws, existing, imported, mode):
    # Given contacts the CRM has (some of the file's people among them), indexed for search
    stream = IndexerStream(aws)
    for first, last, email, phone in existing:
        SALES.post("/v1/contacts", {"first_name": first or None, "last_name": last or None, "email": email or None,
                                    "phone": phone or None})
    stream.catch_up()
    before = crm_state(aws)
    # When any file of those people is imported in any mode, and the import reverted
    job = upload(SALES, "contacts", csv_bytes([["First", "Last", "Email", "Phone"], *map(list, imported)]))
    step(SALES, job["id"], "check", {"mapping": {"First": "first_name", "Last": "last_name", "Email": "email",
                                                 "Phone": "phone"}, "mode": mode, "default_region": "IR"})
    ran = step(SALES, job["id"], "run")
    stream.catch_up()
    reverted = step(SALES, job["id"], "revert")
    stream.catch_up()
    # Then every record it touched is back, nothing it created is left, and the search index agrees
    assert reverted["status"] == "reverted"
    assert reverted["progress"]["kept"] == 0
    assert reverted["progress"]["reverted"] == len({row for row in ran_records(job["id"])})
    after = crm_state(aws)
    assert after == before, {key: (before.get(key), after.get(key)) for key in {*before, *after}
                             if before.get(key) != after.get(key)}
    assert ran["progress"]["rows_done"] == len(imported)


def ran_records(import_id: str) -> set[str]:
    from crm.imports.spec import ImportRowItem

    return {str(item.record_id) for item in ImportRowItem.query(f"IMPORT#{import_id}",
                                                                 ImportRowItem.SK.startswith("ROW#"))}


def test_a_chunk_that_fails_halfway_applies_each_row_once_when_it_is_delivered_again(aws, monkeypatch):
    # Given an import of three new people, whose run fails on the third row's write the first time
    from crm.imports import rows

    job = upload(SALES, "contacts", csv_bytes([["email"], ["a@example.com"], ["b@example.com"], ["c@example.com"]]))
    step(SALES, job["id"], "check")
    original, calls = rows.Change.commit, []

    def fails_once_on_the_third(self: Any) -> None:
        calls.append(self.entity_id)
        if len(calls) == 3:
            raise ConnectionError("the network went away")
        original(self)

    monkeypatch.setattr(rows.Change, "commit", fails_once_on_the_third)
    # When the chunk's first delivery fails, and the queue delivers it again
    with pytest.raises(ConnectionError):
        step(SALES, job["id"], "run")
    from tests.support.imports import work

    work()
    # Then every row is applied exactly once, and counted once
    finished = SALES.get(f"/v1/imports/{job['id']}").body
    assert finished["status"] == "completed"
    assert (finished["progress"]["created"], finished["progress"]["rows_done"]) == (3, 3)
    listed = SALES.get("/v1/contacts").body["items"]
    assert sorted(contact["email"] for contact in listed) == ["a@example.com", "b@example.com", "c@example.com"]
