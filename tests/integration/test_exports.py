"""Exports end to end: POST /v1/exports checks the list at once as the caller, the export function builds the
file from the API's own pages, and the file, downloaded and opened with csv and openpyxl, holds exactly the
rows the caller's list holds, with names of linked records, custom fields as columns and no formula."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from crm.exports.sheets import FORMULA_STARTS
from openpyxl import load_workbook

from tests.conftest import table_items
from tests.support.api_client import ApiClient, ApiResponse
from tests.support.queues import drain

admin, sales, marketing, support = (ApiClient(role, user=f"{role}-1") for role in ("admin", "sales", "marketing",
                                                                                     "support"))
HOSTILE_NAME = '=HYPERLINK("http://x","y")'


def build_exports() -> int:
    from api.export_worker import handler
    from crm.platform.config import get_settings

    return drain(str(get_settings().export_queue_url), handler)


def exported(client: ApiClient, list_path: str, file_format: str = "csv") -> tuple[dict[str, Any], bytes]:
    """The export once built, and its file as downloaded through its link."""
    started = client.post("/v1/exports", {"list": list_path, "format": file_format})
    assert started.status == 202, started.body
    assert started.body["status"] == "queued" and started.body["download_url"] is None
    build_exports()
    done = client.get(f"/v1/exports/{started.body['id']}")
    assert done.status == 200 and done.body["status"] == "done", done.body
    return done.body, downloaded(done.body["download_url"])


def downloaded(url: str) -> bytes:
    """The object the presigned link names (moto does not serve the link itself)."""
    parts = urlsplit(url)
    bucket, key = parts.netloc.split(".")[0], parts.path.lstrip("/")
    return bytes(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def link_terms(url: str) -> tuple[int, str]:
    """How long the link lasts, in seconds, and the Content-Disposition it downloads with."""
    signed = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    lasts = int(signed["X-Amz-Expires"]) if "X-Amz-Expires" in signed else int(signed["Expires"]) - int(time.time())
    return lasts, signed["response-content-disposition"]


def csv_rows(raw: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def xlsx_rows(raw: bytes) -> tuple[list[dict[str, Any]], list[Any]]:
    sheet = load_workbook(io.BytesIO(raw)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return [dict(zip(header, row, strict=True)) for row in rows], cells


def whole_list(client: ApiClient, path: str, **query: str) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        page = client.get(path, **query, limit="200", **({"cursor": cursor} if cursor else {}))
        assert page.status == 200, page.body
        items += page.body["items"]
        if not (cursor := page.body["next_cursor"]):
            return items


def queued() -> int:
    from crm.platform.config import get_settings

    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=get_settings().export_queue_url,
                                                          AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def contact(body: dict[str, Any]) -> dict[str, Any]:
    response = sales.post("/v1/contacts", body)
    assert response.status == 201, response.body
    return dict(response.body)


@pytest.fixture
def people(aws: dict[str, Any]) -> dict[str, Any]:
    """A company and contacts in Persian, Russian and English, one named like a formula, one with custom fields."""
    nickname = {"entity": "contact", "key": "nickname", "label": "Nickname", "type": "text"}
    assert admin.post("/v1/custom-fields", nickname).status == 201
    company = sales.post("/v1/companies", {"name": "شرکت آریا", "domain": "arya.example",
                                           "lifecycle_stage": "customer"})
    assert company.status == 201, company.body
    return {
        "company": company.body,
        "sara": contact({"first_name": "سارا", "last_name": "محمدی", "email": "sara@arya.example",
                         "lifecycle_stage": "customer", "company_id": company.body["id"],
                         "custom_fields": {"nickname": "@sara", "budget": 5000}}),
        "ivan": contact({"first_name": "Иван", "last_name": "Петров", "email": "ivan@example.ru"}),
        "hostile": contact({"first_name": HOSTILE_NAME, "email": "x@example.com", "lifecycle_stage": "customer"}),
    }


def test_a_csv_export_holds_the_api_list_with_names_custom_fields_and_no_formula(aws, people):
    # Given contacts, one linked to a company, one with custom fields, one named like a formula
    expected = whole_list(sales, "/v1/contacts")

    # When sales exports the contacts as CSV and downloads the file
    export, raw = exported(sales, "/v1/contacts")

    # Then the file starts with the BOM, holds the API's rows in its order, names the company next to its
    # id, has a column per custom field, and neutralizes the formula-like texts
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(raw)
    assert [r["id"] for r in rows] == [c["id"] for c in expected] and export["rows"] == len(expected) == 3
    sara = next(r for r in rows if r["id"] == people["sara"]["id"])
    assert (sara["first_name"], sara["last_name"]) == ("سارا", "محمدی")
    assert (sara["company_id"], sara["company_name"]) == (people["company"]["id"], "شرکت آریا")
    assert (sara["custom.nickname"], sara["custom.budget"]) == ("'@sara", "5000")
    assert next(r for r in rows if r["id"] == people["ivan"]["id"])["first_name"] == "Иван"
    assert next(r for r in rows if r["id"] == people["hostile"]["id"])["first_name"] == f"'{HOSTILE_NAME}"
    assert not [value for r in rows for value in r.values() if value.startswith(FORMULA_STARTS)]
    assert export["list"] == "/v1/contacts" and export["format"] == "csv" and export["finished_at"]
    # And the link lasts five minutes and names the file after the list and the day
    lasts, disposition = link_terms(export["download_url"])
    assert 295 <= lasts <= 300
    assert disposition == f'attachment; filename="contacts-{export["created_at"][:10]}.csv"'


def test_an_xlsx_export_opens_in_a_spreadsheet_library_with_no_formula(aws, people):
    # When admin exports the contacts as XLSX
    export, raw = exported(admin, "/v1/contacts", "xlsx")

    # Then openpyxl finds every contact, numbers as numbers, names as text, and not one formula
    rows, cells = xlsx_rows(raw)
    assert [r["id"] for r in rows] == [c["id"] for c in whole_list(admin, "/v1/contacts")]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_STARTS)]
    sara = next(r for r in rows if r["id"] == people["sara"]["id"])
    assert (sara["first_name"], sara["company_name"], sara["custom.budget"]) == ("سارا", "شرکت آریا", 5000)
    assert next(r for r in rows if r["id"] == people["hostile"]["id"])["first_name"] == f"'{HOSTILE_NAME}"
    assert urlsplit(export["download_url"]).path.endswith(".xlsx")


def test_filters_and_sort_are_the_lists_own(aws, people):
    # Given contacts with different scores
    for score_name in ("a", "b", "c"):
        contact({"first_name": score_name, "lifecycle_stage": "customer"})

    # When sales exports the customers by score
    _, raw = exported(sales, "/v1/contacts?lifecycle_stage=customer&sort=-score")

    # Then the rows are the API's list with the same filter and order
    assert [r["id"] for r in csv_rows(raw)] == [
        c["id"] for c in whole_list(sales, "/v1/contacts", lifecycle_stage="customer", sort="-score")]
    assert {r["lifecycle_stage"] for r in csv_rows(raw)} == {"customer"}


def test_support_exports_customers_only(aws, people):
    # When support exports every contact
    _, raw = exported(support, "/v1/contacts")

    # Then it holds the customers alone, as support's own list does
    ids = [r["id"] for r in csv_rows(raw)]
    assert sorted(ids) == sorted([people["sara"]["id"], people["hostile"]["id"]])
    assert ids == [c["id"] for c in whole_list(support, "/v1/contacts")]


def test_marketing_may_not_export_deals_and_sales_may(aws, people):
    # Given a deal of a contact
    deal = sales.post("/v1/deals", {"name": "Большая сделка", "contact_id": people["sara"]["id"],
                                    "company_id": people["company"]["id"], "amount_minor": 990,
                                    "currency": "EUR"})
    assert deal.status == 201, deal.body
    before = table_items(aws["dynamodb"], aws["settings"].table_name)

    # When marketing asks for an export of deals
    refused = marketing.post("/v1/exports", {"list": "/v1/deals", "format": "csv"})

    # Then it is 403 at once, and nothing is stored or queued
    assert (refused.status, refused.body["error"]["code"]) == (403, "forbidden")
    assert table_items(aws["dynamodb"], aws["settings"].table_name) == before
    assert queued() == 0

    # And sales's export holds the deal with its contact's, company's and pipeline's names
    _, raw = exported(sales, "/v1/deals")
    [row] = csv_rows(raw)
    assert (row["name"], row["contact_name"], row["company_name"]) == ("Большая сделка", "سارا محمدی", "شرکت آریا")
    assert row["pipeline_name"] == "Sales pipeline" and row["amount_minor"] == "990"


def test_a_name_the_exporter_may_not_see_stays_empty(aws, people):
    # Given an activity on a lead who is not a customer, seen by support only through the customer's list
    lead_company = sales.post("/v1/companies", {"name": "Lead Co", "lifecycle_stage": "lead"}).body
    activity = sales.post("/v1/activities", {"type": "call", "subject": "Call", "contact_id": people["sara"]["id"],
                                             "company_id": lead_company["id"]})
    assert activity.status == 201, activity.body

    # When support exports the customer's activities
    _, raw = exported(support, f"/v1/activities?contact_id={people['sara']['id']}")

    # Then the customer's name is there, the lead company's id is kept and its name is not
    [row] = csv_rows(raw)
    assert (row["contact_name"], row["company_id"], row["company_name"]) == ("سارا محمدی", lead_company["id"], "")


def test_every_page_of_a_long_list_is_exported(aws):
    # Given more contacts than one page of the export holds
    for number in range(120):
        contact({"first_name": f"Person {number}", "email": f"p{number}@example.com"})

    # When they are exported
    export, raw = exported(sales, "/v1/contacts")

    # Then every one is in the file, once
    ids = [r["id"] for r in csv_rows(raw)]
    assert export["rows"] == len(ids) == len(set(ids)) == 120


def test_only_its_creator_sees_an_export_and_lists_list_their_own(aws, people):
    # Given an export of sales's
    export, _ = exported(sales, "/v1/contacts")

    # When another user, even an admin, asks for it
    other = ApiClient("sales", user="sales-2").get(f"/v1/exports/{export['id']}")
    by_admin = admin.get(f"/v1/exports/{export['id']}")

    # Then it does not exist for them, and each list holds its caller's exports alone, newest first
    assert (other.status, by_admin.status) == (404, 404)
    second = sales.post("/v1/exports", {"list": "/v1/companies", "format": "xlsx"}).body
    assert [e["id"] for e in sales.get("/v1/exports").body["items"]] == [second["id"], export["id"]]
    assert admin.get("/v1/exports").body == {"items": [], "next_cursor": None}


def test_a_message_delivered_again_changes_nothing(aws, people):
    # Given a finished export
    from api.export_worker import handler

    export, raw = exported(sales, "/v1/contacts")
    contact({"first_name": "Late"})

    # When its message comes again
    handler({"Records": [{"body": json.dumps({"export_id": export["id"]})}]}, None)

    # Then the export and its file are as they were
    again = sales.get(f"/v1/exports/{export['id']}").body
    assert {k: v for k, v in again.items() if k != "download_url"} == \
        {k: v for k, v in export.items() if k != "download_url"}
    assert downloaded(again["download_url"]) == raw


def test_a_list_the_exporter_may_no_longer_read_fails_the_export_with_the_reason(aws, people, monkeypatch):
    # Given an export sales asked for, and then the role matrix no longer lets sales read contacts
    from crm.platform.access import PERMISSIONS

    started = sales.post("/v1/exports", {"list": "/v1/contacts", "format": "csv"}).body
    monkeypatch.setitem(PERMISSIONS["contacts"], "read", frozenset({"admin"}))

    # When the export is built
    build_exports()

    # Then it failed with the reason, and has no file
    failed = sales.get(f"/v1/exports/{started['id']}").body
    assert (failed["status"], failed["download_url"]) == ("failed", None)
    assert failed["problem"] == "Your role may not read contacts."


HOSTILE = {
    "not under /v1": {"list": "/contacts", "format": "csv"},
    "another site": {"list": "https://evil.example/v1/contacts", "format": "csv"},
    "a climb": {"list": "/v1/../health", "format": "csv"},
    "a POST-only path": {"list": "/v1/contacts/abc/merge", "format": "csv"},
    "exports": {"list": "/v1/exports", "format": "csv"},
    "one record": {"list": "/v1/companies/{company}", "format": "csv"},
    "not a page": {"list": "/v1/scoring-model", "format": "csv"},
    "an unknown format": {"list": "/v1/contacts", "format": "pdf"},
    "extra fields": {"list": "/v1/contacts", "format": "csv", "bucket": "elsewhere"},
    "a cursor": {"list": "/v1/contacts?cursor=abc", "format": "csv"},
    "a limit": {"list": "/v1/contacts?limit=5", "format": "csv"},
    "a bad filter": {"list": "/v1/contacts?sort=nonsense", "format": "csv"},
    "a huge string": {"list": "/v1/contacts?owner=" + "x" * 100_000, "format": "csv"},
    "no list": {"format": "csv"},
    "not text": {"list": ["/v1/contacts"], "format": "csv"},
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_input_is_a_4xx_json_error_and_changes_nothing(aws, people, case):
    # Given a request no export should come from
    body = json.loads(json.dumps(HOSTILE[case]).replace("{company}", people["company"]["id"]))
    before = table_items(aws["dynamodb"], aws["settings"].table_name)

    # When sales sends it
    response: ApiResponse = sales.post("/v1/exports", body)

    # Then it is a 4xx in the API's error shape, and nothing is stored or queued
    assert 400 <= response.status < 500 and set(response.body["error"]) >= {"code", "message"}, response
    assert table_items(aws["dynamodb"], aws["settings"].table_name) == before
    assert queued() == 0
