"""Search over moto: records written through the API and lead capture reach the search indexer over the
table stream, filtered and delivered the way template.yaml wires it (the local stack's StreamPoller),
and GET /v1/search finds them by any spelling, script or phone format, in one Query."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.aws_calls import counts, observing
from tests.conftest import sample_event, table_items
from tests.integration.test_lead_capture import submit_json
from tests.support.api_client import ApiClient
from tests.support.streams import FunctionStream, stream_source

admin = ApiClient("admin")
sales = ApiClient("sales", user="sales-1")
support = ApiClient("support", user="support-1")


class IndexerStream(FunctionStream):
    """The table stream as Lambda feeds it to SearchIndexerFunction."""

    def __init__(self, aws: dict[str, Any]) -> None:
        super().__init__(aws, "SearchIndexerFunction")


@pytest.fixture
def stream(aws) -> IndexerStream:
    return IndexerStream(aws)


@pytest.fixture
def russia(monkeypatch):
    """Phones typed without a country code are Russian, for writes and searches alike."""
    from crm.platform.config import get_settings

    monkeypatch.setenv("CRM_DEFAULT_PHONE_REGION", "RU")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def search(q: str, client: ApiClient = sales, **query: str) -> list[dict[str, Any]]:
    response = client.get("/v1/search", q=q, **query)
    assert response.status == 200, response.body
    return response.body["items"]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def search_items(aws) -> list[dict[str, Any]]:
    return sorted((i for i in table_items(aws["dynamodb"], aws["settings"].table_name)
                   if i["PK"]["S"].startswith("SEARCH#") or i["SK"]["S"] == "SEARCH_TERMS"),
                  key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


def test_contacts_from_the_api_and_from_forms_are_found_in_any_script_case_and_phone_format(aws, stream, russia):
    # Given contacts created through the API (Greek, Russian) and a lead from the web form (Persian)
    eleni = sales.post("/v1/contacts", {"first_name": "Ελένη", "last_name": "Παπαδοπούλου",
                                        "email": "Eleni.P@Example.gr", "company": "Acme Hellas"}).body
    ivan = sales.post("/v1/contacts", {"first_name": "Иван", "last_name": "Петров",
                                       "phone": "8 (912) 345 67 89", "lifecycle_stage": "customer"}).body
    lead = submit_json({"email": "  Ali.Rezaei@Example.COM ", "first_name": "علي", "last_name": "رضائی",
                        "phone": "+98 912 345 6789", "company": "Pars Trading"})
    assert lead["statusCode"] == 201, lead
    ali_id = json.loads(lead["body"])["contact_id"]
    # When the indexer has read the table stream
    stream.catch_up()
    # Then each is found by its name typed in another case, accent or letter form
    assert ids(search("ΕΛΕΝΗ")) == [eleni["id"]]
    assert ids(search("papadop", type="contact")) == []
    assert ids(search("παπαδοπουλου")) == [eleni["id"]]
    assert ids(search("ИВАН ПЕТ")) == [ivan["id"]]
    assert ids(search("علی")) == [ali_id]
    assert ids(search("رضايي")) == [ali_id]
    # And by an email in any case, or its beginning, and by company words
    assert ids(search("ali.rezaei@EXAMPLE.com")) == [ali_id]
    assert ids(search("eleni.p")) == [eleni["id"]]
    assert ids(search("hellas")) == [eleni["id"]]
    # And by a phone in any format, Persian digits included
    assert ids(search("+7 912 345-67-89")) == [ivan["id"]]
    assert ids(search("79123456789")) == [ivan["id"]]
    assert ids(search("+98 ۹۱۲ ۳۴۵ ۶۷۸۹")) == [ali_id]
    # And a result is the record's summary
    assert search("Иван")[0] == {"id": ivan["id"], "name": "Иван Петров", "email": None, "phone": "+79123456789",
                                 "company": None, "domain": None, "lifecycle_stage": "customer", "owner": None}


def test_companies_are_found_by_name_words_domain_and_phone(aws, stream):
    # Given two companies
    pars = sales.post("/v1/companies", {"name": "شركت نفت پارس", "domain": "https://www.Pars.ir/about",
                                        "phone": "+98 21 1234 5678", "owner": "sales-1"}).body
    acme = sales.post("/v1/companies", {"name": "Acme Hellas", "domain": "acme.gr"}).body
    stream.catch_up()
    # When searched by a name word typed with Persian letters, by domain or by phone / Then found
    assert ids(search("شرکت", type="company")) == [pars["id"]]
    assert ids(search("pars.ir", type="company")) == [pars["id"]]
    assert ids(search("+982112345678", type="company")) == [pars["id"]]
    assert ids(search("ACME", type="company")) == [acme["id"]]
    assert search("acme", type="company")[0]["domain"] == "acme.gr"
    # And contacts and companies are searched apart
    assert search("acme") == []


def test_a_change_moves_the_terms_and_a_delete_removes_them(aws, stream):
    # Given an indexed contact
    sara = {"first_name": "Sara", "last_name": "Ahmadi", "email": "sara@example.com"}
    contact = sales.post("/v1/contacts", sara).body
    path = f"/v1/contacts/{contact['id']}"
    stream.catch_up()
    assert ids(search("ahmadi")) == [contact["id"]]
    # When she is renamed and made a customer
    assert sales.patch(path, {"last_name": "Karimi", "lifecycle_stage": "customer"}, version=1).status == 200
    stream.catch_up()
    # Then the new name finds her, with her new stage, and the old one does not
    assert search("ahmadi") == []
    assert [(r["id"], r["name"], r["lifecycle_stage"]) for r in search("sara")] == [
        (contact["id"], "Sara Karimi", "customer")]
    # When she is deleted
    assert sales.delete(path, version=2).status == 204
    stream.catch_up()
    # Then nothing finds her and no term of hers is left
    assert search("sara") == [] and search("karimi") == [] and search("sara@example.com") == []
    assert [i for i in search_items(aws) if i["PK"]["S"].startswith("SEARCH#")] == []


def test_redelivered_and_out_of_order_records_converge_on_the_newest_image(aws, stream):
    # Given a contact created, renamed, and deleted company, all indexed
    contact = sales.post("/v1/contacts", {"first_name": "Reza", "last_name": "Tehrani"}).body
    company = sales.post("/v1/companies", {"name": "Gone Ltd"}).body
    stream.catch_up()
    sales.patch(f"/v1/contacts/{contact['id']}", {"last_name": "Shirazi"}, version=1)
    sales.delete(f"/v1/companies/{company['id']}", version=1)
    stream.catch_up()
    indexed = search_items(aws)
    records = stream.records()
    assert {r["eventName"] for r in records} == {"INSERT", "MODIFY", "REMOVE"}
    # When every record is delivered again, newest first, then in order, in one batch each time
    from search_indexer.handler import handler

    for batch in (list(reversed(records)), records):
        assert handler({"Records": batch}, None) == {"batchItemFailures": []}
        # Then the index is exactly as it was: the old name and the deleted company stay gone
        assert search_items(aws) == indexed
        assert search("tehrani") == [] and ids(search("shirazi")) == [contact["id"]]
        assert search("gone", type="company") == []


def test_the_indexer_reads_only_profiles_of_contacts_and_companies(aws, stream):
    # Given a contact (with its history, outbox and sentinel items) and a company
    sales.post("/v1/contacts", {"first_name": "Nur", "email": "nur@example.my", "phone": "+60 12-345 6789"})
    sales.post("/v1/companies", {"name": "Nur Sdn Bhd", "domain": "nur.my"})
    # When the stream is read / Then only the two profiles reach the indexer, and each indexed
    stream.catch_up()
    assert sorted(r["dynamodb"]["Keys"]["PK"]["S"].split("#")[0] for r in stream.records()) == ["COMPANY", "CONTACT"]
    assert all(r["dynamodb"]["Keys"]["SK"]["S"] == "PROFILE" for r in stream.records())
    assert stream.results == [{"batchItemFailures": []}] * len(stream.results)


def test_support_finds_only_customers(aws, stream):
    # Given a customer and a lead with the same name, and a customer company and another
    customer = sales.post("/v1/contacts", {"first_name": "Omid", "lifecycle_stage": "customer"}).body
    sales.post("/v1/contacts", {"first_name": "Omid", "lifecycle_stage": "lead"})
    client = sales.post("/v1/companies", {"name": "Omid Co", "lifecycle_stage": "customer"}).body
    sales.post("/v1/companies", {"name": "Omid Group"})
    stream.catch_up()
    # When support and sales search / Then support sees the customers only
    assert ids(search("omid", support)) == [customer["id"]]
    assert len(search("omid")) == 2
    assert ids(search("omid", support, type="company")) == [client["id"]]
    assert len(search("omid", type="company")) == 2


def test_a_search_is_one_query_and_pages_follow_signed_cursors(aws, stream):
    # Given five contacts sharing a last name (so each is found by one term only)
    created = {sales.post("/v1/contacts", {"first_name": f"P{n}", "last_name": "Hosseini"}).body["id"]
               for n in range(5)}
    stream.catch_up()
    # When they are searched two at a time
    found, cursor, pages = [], None, 0
    while True:
        with observing() as calls:
            response = sales.get("/v1/search", q="hossein", limit="2", cursor=cursor)
        # Then each page is one DynamoDB Query
        assert counts(calls) == {"dynamodb:Query": 1}, counts(calls)
        found += ids(response.body["items"])
        cursor, pages = response.body["next_cursor"], pages + 1
        if cursor is None:
            break
    # And every contact shows once
    assert sorted(found) == sorted(created) and pages >= 3
    # And a cursor is bound to its query and its role's view
    first = sales.get("/v1/search", q="hossein", limit="2").body["next_cursor"]
    for client, q in ((sales, "other"), (support, "hossein")):
        moved = client.get("/v1/search", q=q, limit="2", cursor=first)
        assert (moved.status, moved.body["error"]["code"]) == (400, "invalid_cursor")


@pytest.mark.parametrize(("query", "field"), [
    ({}, "q"), ({"q": ""}, "q"), ({"q": "   "}, "q"), ({"q": "\u0640\u064b"}, "q"), ({"q": "x" * 201}, "q"),
    ({"q": "x" * 1001}, "q"), ({"q": "ali", "type": "deal"}, "type"), ({"q": "ali", "limit": "0"}, "limit"),
    ({"q": "ali", "limit": "201"}, "limit"), ({"q": "ali", "cursor": "forged"}, "cursor"),
])
def test_a_bad_search_is_a_400_naming_the_parameter(aws, query, field):
    response = sales.get("/v1/search", **query)
    assert response.status == 400, response.body
    assert field in response.body["error"]["fields"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(q=st.text(max_size=250), kind=st.sampled_from(["contact", "company"]))
def test_any_query_a_stranger_types_gets_results_or_a_400(aws, q, kind):
    response = support.get("/v1/search", q=q, type=kind)
    assert response.status in (200, 400), response.body
    assert ("items" in response.body) == (response.status == 200)


def test_a_record_that_fails_is_reported_so_the_stream_retries_from_it(aws, stream, monkeypatch):
    # Given three new contacts on the stream, and a table that refuses the second one's terms
    for name in ("Arash", "Babak", "Cyrus"):
        sales.post("/v1/contacts", {"first_name": name})
    from crm.search import store

    save = store.save

    def flaky(entity, entity_id, writes, before):
        if "babak" in writes.put:
            raise RuntimeError("throttled")
        save(entity, entity_id, writes, before)

    monkeypatch.setattr(store, "save", flaky)
    stream.catch_up()
    # Then the batch reports the second record, and only the first was indexed
    second = stream.records()[1]["dynamodb"]["SequenceNumber"]
    assert stream.results == [{"batchItemFailures": [{"itemIdentifier": second}]}]
    assert len(search("arash")) == 1 and search("babak") == search("cyrus") == []
    # When Lambda retries from that record once the table accepts it / Then all are found
    monkeypatch.setattr(store, "save", save)
    from search_indexer.handler import handler

    assert handler({"Records": stream.records()[1:]}, None) == {"batchItemFailures": []}
    assert all(len(search(name)) == 1 for name in ("arash", "babak", "cyrus"))


def test_the_sample_stream_batch_indexes_a_lead_and_removes_a_company(aws):
    from crm_local.patterns import matches
    from search_indexer.handler import handler

    # Given the sample batch (a form lead's new profile, a deleted company's keys), which the filter passes
    event = sample_event("search_indexer_stream.json")
    [pattern] = stream_source("SearchIndexerFunction").filter_patterns
    assert all(matches(pattern, record) for record in event["Records"])
    # When the indexer gets it
    assert handler(event, None) == {"batchItemFailures": []}
    # Then the lead is found by its Persian name, and the company is marked removed
    assert [r["name"] for r in search("علی رضا")] == ["علي رضائی"]
    marker = [i for i in search_items(aws) if i["PK"]["S"].startswith("COMPANY#")]
    assert [(i["removed"]["BOOL"], "terms" in i) for i in marker] == [(True, False)]
