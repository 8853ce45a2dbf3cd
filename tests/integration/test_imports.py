"""Imports end to end in process: the file as users make it, a dry run, the run, its error file, a revert,
and the hostile requests around them. Each write is the API's own (crm.imports.rows)."""

from __future__ import annotations

import pytest

from tests.support.api_client import ApiClient
from tests.support.imports import csv_bytes, download, step, upload, work

pytestmark = pytest.mark.usefixtures("aws")
SALES = ApiClient(role="sales", user="sales-1")

PEOPLE = [
    ["نام", "نام خانوادگی", "ایمیل", "تلفن", "شرکت", "Notes"],
    ["سارا", "احمدی", "Sara.Ahmadi@Example.ir", "۰۹۱۲ ۳۴۵ ۶۷۸۹", "Acme Co", "x"],
    ["Ivan", "Petrov", "ivan@example.ru", "+7 (912) 345-67-89", "", ""],
    ["سارا", "", "sara.ahmadi@example.ir", "", "", ""],          # the same person as row 2
    ["Ali", "Karimi", "not-an-email", "", "", ""],                # fails: no valid email
    ["Existing", "Person", "known@example.com", "", "", ""],      # updates the contact already there
    ["", "", "", "", "", ""],                                     # empty: skipped by the reader
]
MAPPING = {"نام": "first_name", "نام خانوادگی": "last_name", "ایمیل": "email", "تلفن": "phone", "شرکت": "company",
           "Notes": None}


def subset(totals: dict, **expected: int) -> bool:
    return {name: totals[name] for name in expected} == expected


def contacts_by_email() -> dict[str, dict]:
    listed = SALES.get("/v1/contacts", limit="200").body["items"]
    return {contact["email"]: contact for contact in listed if contact["email"]}


def test_a_persian_file_becomes_one_clean_contact_per_person_and_the_failed_row_comes_back_with_its_reason():
    # Given a company and a contact the CRM has already
    company = SALES.post("/v1/companies", {"name": "Acme Co", "domain": "acme.example"}).body
    known = SALES.post("/v1/contacts", {"email": "known@example.com", "first_name": "Old"}).body
    # When a sales rep uploads a file with Persian headers, a duplicate row and a bad email
    job = upload(SALES, "contacts", csv_bytes(PEOPLE))
    assert job["status"] == "ready"
    assert job["progress"]["total_rows"] == 5
    assert {job["suggested_mapping"].get(h) for h in ("ایمیل", "تلفن")} == {"email", "phone"}
    checked = step(SALES, job["id"], "check", {"mapping": MAPPING, "default_region": "IR"})
    # Then the dry run says what each row will do, and wrote nothing
    assert checked["status"] == "checked", checked
    assert subset(checked["check_totals"], created=2, updated=2, errors=1)
    assert set(contacts_by_email()) == {"known@example.com"}
    # When it runs
    ran = step(SALES, job["id"], "run")
    assert ran["status"] == "completed"
    assert ran["progress"]["rows_done"] == 5 and ran["progress"]["errors"] == 1
    # Then one person is one contact, phones in E.164, the company linked by name
    contacts = contacts_by_email()
    assert set(contacts) == {"sara.ahmadi@example.ir", "ivan@example.ru", "known@example.com"}
    sara = contacts["sara.ahmadi@example.ir"]
    assert (sara["first_name"], sara["last_name"], sara["phone"]) == ("سارا", "احمدی", "+989123456789")
    assert sara["company_id"] == company["id"] and sara["source"] == "import"
    assert contacts["ivan@example.ru"]["phone"] == "+79123456789"
    assert contacts["known@example.com"]["first_name"] == "Existing"
    assert contacts["known@example.com"]["version"] == known["version"] + 1
    # And the error file is the failed row as it was, with its reason, ready to fix and import again
    errors = download(SALES, job["id"], "errors", "run")
    assert errors[0] == [*PEOPLE[0], "error"]
    assert errors[1][:6] == PEOPLE[4] and "email" in errors[1][6]
    results = download(SALES, job["id"], "results", "run")
    assert [row[1] for row in results[1:]].count("create") == 2
    # And once fixed, the error file itself imports (its error column is left out of the mapping)
    errors[1][2] = "ali.karimi@example.ir"
    again = upload(SALES, "contacts", csv_bytes(errors))
    assert "error" not in again["suggested_mapping"]
    step(SALES, again["id"], "check", {"mapping": MAPPING})
    assert step(SALES, again["id"], "run")["progress"]["created"] == 1
    assert contacts_by_email()["ali.karimi@example.ir"]["last_name"] == "Karimi"


def test_a_revert_undoes_creates_and_updates_but_keeps_what_someone_changed_since():
    # Given an import that created two contacts and updated one
    known = SALES.post("/v1/contacts", {"email": "known@example.com", "first_name": "Old"}).body
    job = upload(SALES, "contacts", csv_bytes([["email", "first name"], ["a@example.com", "A"],
                                               ["b@example.com", "B"], ["known@example.com", "New"]]))
    step(SALES, job["id"], "check")
    step(SALES, job["id"], "run")
    # And someone edits one of the created contacts afterwards
    b = contacts_by_email()["b@example.com"]
    assert SALES.patch(f"/v1/contacts/{b['id']}", {"job_title": "CEO"}, b["version"]).status == 200
    # When the import is reverted
    reverted = step(SALES, job["id"], "revert")
    # Then the untouched create is gone, the update is back to its old value, the edited one is kept
    assert reverted["status"] == "reverted"
    assert reverted["progress"]["reverted"] == 2 and reverted["progress"]["kept"] == 1
    contacts = contacts_by_email()
    assert set(contacts) == {"known@example.com", "b@example.com"}
    assert contacts["known@example.com"]["first_name"] == "Old"
    kept = [row for row in download(SALES, job["id"], "results", "revert")[1:] if row[1] == "kept"]
    assert [row[2] for row in kept] == [b["id"]]
    # And the email of the removed contact is free for a new one
    assert SALES.post("/v1/contacts", {"email": "a@example.com"}).status == 201
    # And a second revert or run is refused
    assert SALES.post(f"/v1/imports/{job['id']}/revert", {}).status == 409
    assert SALES.post(f"/v1/imports/{job['id']}/run", {}).status == 409
    assert known["id"] == contacts["known@example.com"]["id"]


def test_companies_match_by_domain_and_deals_and_activities_link_by_names_and_emails():
    # Given a contact and a company file with the same company twice by its website
    SALES.post("/v1/contacts", {"email": "buyer@acme.example", "first_name": "Buyer"})
    companies = upload(SALES, "companies", csv_bytes([["Company", "Website", "Industry"],
                                                      ["Acme", "https://www.acme.example/about", "Retail"],
                                                      ["ACME Inc", "acme.example", ""]]), "companies.csv")
    step(SALES, companies["id"], "check")
    done = step(SALES, companies["id"], "run")
    assert subset(done["progress"], created=1, updated=1)
    listed = SALES.get("/v1/companies").body["items"]
    assert [(c["name"], c["domain"], c["industry"]) for c in listed] == [("ACME Inc", "acme.example", "Retail")]
    # When deals are imported by pipeline and stage names, the contact by email and the company by domain
    deals = upload(SALES, "deals", csv_bytes([["Deal", "Amount", "Currency", "Stage", "Contact", "Company", "Ref"],
                                             ["Big order", "1,250.50", "EUR", "Proposal", "buyer@acme.example",
                                              "acme.example", "D-1"]]), "deals.csv")
    step(SALES, deals["id"], "check", {"mapping": {"Deal": "name", "Amount": "amount", "Currency": "currency",
                                                   "Stage": "stage", "Contact": "contact", "Company": "company",
                                                   "Ref": "external_id"}})
    assert step(SALES, deals["id"], "run")["progress"]["created"] == 1
    deal = SALES.get("/v1/deals").body["items"][0]
    assert (deal["amount_minor"], deal["stage"], deal["external_id"]) == (125050, "proposal", "D-1")
    assert deal["company_id"] == listed[0]["id"] and deal["contact_id"]
    # And an activity names its deal by the deal's external id
    activities = upload(SALES, "activities", csv_bytes([["Type", "Subject", "Deal", "Contact"],
                                                        ["call", "Kick-off", "D-1", "buyer@acme.example"]]))
    step(SALES, activities["id"], "check", {"mapping": {"Type": "type", "Subject": "subject", "Deal": "deal",
                                                        "Contact": "contact"}})
    assert step(SALES, activities["id"], "run")["progress"]["created"] == 1
    activity = SALES.get("/v1/activities").body["items"][0]
    assert (activity["deal_id"], activity["contact_id"]) == (deal["id"], deal["contact_id"])


def test_matching_on_an_external_id_updates_the_record_it_names():
    first = upload(SALES, "contacts", csv_bytes([["ID", "Email"], ["crm-7", "seven@example.com"]]))
    step(SALES, first["id"], "check", {"mapping": {"ID": "external_id", "Email": "email"}})
    step(SALES, first["id"], "run")
    second = upload(SALES, "contacts", csv_bytes([["ID", "Email"], ["crm-7", "seven.new@example.com"]]))
    checked = step(SALES, second["id"], "check", {"mapping": {"ID": "external_id", "Email": "email"},
                                                 "match_on": ["external_id"]})
    assert checked["check_totals"]["updated"] == 1
    step(SALES, second["id"], "run")
    contacts = SALES.get("/v1/contacts").body["items"]
    assert len(contacts) == 1 and contacts[0]["email"] == "seven.new@example.com"
    assert SALES.post("/v1/contacts", {"email": "x@example.com", "external_id": "crm-7"}).status == 409


def test_who_may_import_what_and_see_which_import():
    # Marketing may not write deals, so it may not import them
    assert ApiClient(role="marketing").post("/v1/imports", {"entity": "deals", "file_name": "d.csv"}).status == 403
    job = upload(SALES, "contacts", csv_bytes([["email"], ["a@example.com"]]))
    # Another sales rep does not see the import; an admin does
    assert ApiClient(role="sales", user="sales-2").get(f"/v1/imports/{job['id']}").status == 404
    assert ApiClient(role="admin", user="boss").get(f"/v1/imports/{job['id']}").status == 200
    assert [item["id"] for item in SALES.get("/v1/imports").body["items"]] == [job["id"]]


@pytest.mark.parametrize("body", [
    {"mapping": {"no such column": "email"}},
    {"mapping": {"email": "shoe_size"}},
    {"mapping": {"email": "email", "other": "email"}},
    {"mapping": {"email": None}},
    {"mode": "merge"},
    {"match_on": ["domain"]},
    {"default_region": "Iran"},
    {"mapping_name": "never-saved"},
    {"surprise": 1},
])
def test_a_dry_run_asked_wrongly_gets_a_4xx_and_changes_nothing(body):
    job = upload(SALES, "contacts", csv_bytes([["email", "other"], ["a@example.com", "b"]]))
    answer = SALES.post(f"/v1/imports/{job['id']}/check", body)
    assert 400 <= answer.status < 500 and "error" in answer.body
    assert SALES.get(f"/v1/imports/{job['id']}").body["status"] == "ready"
    assert work() == 0


@pytest.mark.parametrize(("data", "problem"), [
    (b"%PDF-1.7 not a table", "spreadsheet"),
    (b"email\n", "no rows"),
    (b"", "no rows"),
])
def test_a_file_that_is_not_an_importable_table_ends_the_import_with_a_clear_problem(data, problem):
    job = upload(SALES, "contacts", data or b"\n")
    assert job["status"] == "failed"
    assert problem in job["problem"]
    assert SALES.post(f"/v1/imports/{job['id']}/check", {}).status == 409


def test_a_saved_mapping_serves_the_next_file_of_the_same_shape():
    saved = SALES.call("PUT", "/v1/import-mappings/crm-export",
                       {"entity": "contacts", "columns": {"E-mail": "email", "Given": "first_name"}})
    assert saved.status == 200, saved.body
    assert SALES.call("PUT", "/v1/import-mappings/bad", {"entity": "contacts", "columns": {"x": "nope"}}).status == 422
    job = upload(SALES, "contacts", csv_bytes([["E-mail", "Given"], ["m@example.com", "Mina"]]))
    step(SALES, job["id"], "check", {"mapping_name": "crm-export"})
    step(SALES, job["id"], "run")
    assert contacts_by_email()["m@example.com"]["first_name"] == "Mina"
    assert [m["name"] for m in SALES.get("/v1/import-mappings", entity="contacts").body] == ["crm-export"]


# The same people as users' spreadsheet programs write them: each encoding, delimiter and header language.
PEOPLE_TABLE = [("رضا", "+989121112233", "reza@example.ir"), ("Мария", "+79161234567", "maria@example.ru"),
                ("Νίκος", "+306912345678", "nikos@example.gr"), ("Aisyah", "+60123456789", "aisyah@example.my")]
FILES = {
    "utf-8 with BOM, Persian headers": (["نام", "موبایل", "ایمیل"], "utf-8-sig", ","),
    "utf-16 from Excel, tab-separated": (["Name", "Phone", "Email"], "utf-16", "\t"),
    "windows-1256, Arabic headers": (["الاسم", "الهاتف", "البريد الإلكتروني"], "cp1256", ";"),
    "windows-1251, Russian headers": (["Имя", "Телефон", "Электронная почта"], "cp1251", ";"),
    "koi8-r, Russian headers": (["Имя", "Телефон", "Почта"], "koi8-r", ","),
    "iso-8859-7, Greek headers": (["Όνομα", "Τηλέφωνο", "Email"], "iso8859-7", ","),
}


def written_people(encoding: str) -> list[list[str]]:
    """The people whose names the encoding can write (windows-1256 has no Cyrillic), phones as typed locally."""
    local = {"+989121112233": "0912 111 2233", "+79161234567": "+7 (916) 123-45-67",
             "+306912345678": "+30 691 234 5678", "+60123456789": "+60 12-345 6789"}
    rows = []
    for name, phone, email in PEOPLE_TABLE:
        try:
            name.encode(encoding)
        except UnicodeEncodeError:
            continue
        rows.append([name, local[phone], email])
    return rows


@pytest.mark.parametrize("case", list(FILES))
def test_a_file_in_each_encoding_people_send_imports_the_same_people(case):
    headers, encoding, delimiter = FILES[case]
    rows = written_people(encoding)
    job = upload(SALES, "contacts", csv_bytes([headers, *rows], encoding, delimiter))
    assert job["status"] == "ready", job
    assert job["layout"]["delimiter"] == delimiter
    assert set(job["suggested_mapping"].values()) == {"first_name", "phone", "email"} or \
        set(job["suggested_mapping"].values()) == {"full_name", "phone", "email"}
    step(SALES, job["id"], "check", {"default_region": "IR"})
    assert step(SALES, job["id"], "run")["progress"]["created"] == len(rows)
    contacts = contacts_by_email()
    expected = {email: (name, phone) for name, phone, email in PEOPLE_TABLE if [name] in [r[:1] for r in rows]}
    assert {email: (c["first_name"], c["phone"]) for email, c in contacts.items()} == expected


def test_an_xlsx_from_a_spreadsheet_program_imports_its_chosen_sheet_with_numbers_as_typed():
    import io

    from openpyxl import Workbook

    # Given a workbook whose second sheet has the people, phones stored as numbers, a date custom field
    definition = {"entity": "contact", "key": "signed_on", "label": "Signed on", "type": "date"}
    assert ApiClient(role="admin").post("/v1/custom-fields", definition).status == 201
    book = Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("People")
    sheet.append(["Full name", "Mobile", "E-mail", "Signed on"])
    import datetime as dt

    sheet.append(["Sara Ahmadi", 989121234567, "sara@example.ir", dt.date(2026, 11, 24)])
    sheet.append(["Ivan Petrov", 79161234567, "ivan@example.ru", None])
    data = io.BytesIO()
    book.save(data)
    # When it is imported from the sheet named People
    job = upload(SALES, "contacts", data.getvalue(), "people.xlsx", sheet="People")
    assert (job["status"], job["layout"]["format"], job["layout"]["sheet"]) == ("ready", "xlsx", "People"), job
    assert job["suggested_mapping"] == {"Full name": "full_name", "Mobile": "phone", "E-mail": "email",
                                        "Signed on": "custom.signed_on"}
    step(SALES, job["id"], "check", {"default_region": "IR"})
    step(SALES, job["id"], "run")
    # Then the names are split, the numbers are phones again, and the date is the custom field's
    contacts = contacts_by_email()
    sara, ivan = contacts["sara@example.ir"], contacts["ivan@example.ru"]
    assert (sara["first_name"], sara["last_name"], sara["phone"]) == ("Sara", "Ahmadi", "+989121234567")
    assert sara["custom_fields"]["signed_on"] == "2026-11-24"
    assert (ivan["first_name"], ivan["phone"]) == ("Ivan", "+79161234567")


def test_hostile_rows_are_reported_one_by_one_and_the_rest_imports():
    # Given a file with a 1 MB cell, a row wider than its header, and a good row
    rows = [["email", "first name"], ["big@example.com", "x" * 1_000_000], ["wide@example.com", "W", "extra"],
            ["good@example.com", "Good"]]
    job = upload(SALES, "contacts", csv_bytes(rows))
    step(SALES, job["id"], "check")
    ran = step(SALES, job["id"], "run")
    # Then the two bad rows are errors with reasons, and the good one is in
    assert subset(ran["progress"], created=1, errors=2)
    assert set(contacts_by_email()) == {"good@example.com"}
    errors = download(SALES, job["id"], "errors", "run")[1:]
    # The csv reader cannot hand back a cell past its limit: that row comes back empty, its reason naming the line
    assert [(row[0], "line 2" in row[-1]) for row in errors] == [("", True), ("wide@example.com", False)]


def test_a_zip_bomb_and_a_sheet_of_thousands_of_columns_are_refused_whole():
    import io
    import zipfile

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 60_000_000)
    wide = csv_bytes([[f"c{n}" for n in range(5000)], ["a"] * 5000])
    for data, problem in ((bomb.getvalue(), "would unpack to far more"), (wide, "5000 columns; at most 500")):
        job = upload(SALES, "contacts", data)
        assert job["status"] == "failed" and problem in job["problem"], job


@pytest.mark.parametrize(("empty_cells", "job_title"), [("keep", "CTO"), ("clear", None)])
def test_empty_cells_leave_filled_fields_alone_unless_the_import_says_to_clear(empty_cells, job_title):
    # Given a contact with a job title, and a file that has the column empty for them
    SALES.post("/v1/contacts", {"email": "kept@example.com", "job_title": "CTO", "first_name": "Old"})
    job = upload(SALES, "contacts", csv_bytes([["email", "job title", "first name"], ["kept@example.com", "", "New"],
                                               ["nobody@example.com", "", "Nobody"]]))
    # When it updates only, keeping or clearing with empty cells
    step(SALES, job["id"], "check", {"mode": "update", "empty_cells": empty_cells,
                                     "mapping": {"email": "email", "job title": "job_title",
                                                 "first name": "first_name"}})
    ran = step(SALES, job["id"], "run")
    # Then the title is kept or cleared as asked, and the row without a match is skipped, not created
    assert subset(ran["progress"], updated=1, skipped=1, created=0)
    contact = contacts_by_email()["kept@example.com"]
    assert (contact["first_name"], contact["job_title"]) == ("New", job_title)
    assert "nobody@example.com" not in contacts_by_email()


def test_a_step_that_could_not_be_queued_answers_503_and_leaves_the_import_where_it_was(monkeypatch):
    from crm.imports import jobs

    job = upload(SALES, "contacts", csv_bytes([["email"], ["a@example.com"]]))

    def queue_down(body):
        raise ConnectionError("SQS is away")

    monkeypatch.setattr(jobs, "send", queue_down)
    answer = SALES.post(f"/v1/imports/{job['id']}/check", {})
    assert answer.status == 503 and answer.body["error"]["code"] == "temporarily_unavailable"
    assert SALES.get(f"/v1/imports/{job['id']}").body["status"] == "ready"
    monkeypatch.undo()
    assert step(SALES, job["id"], "check")["status"] == "checked"


def test_the_runs_totals_are_kept_when_the_import_is_reverted():
    job = upload(SALES, "contacts", csv_bytes([["email"], ["a@example.com"], ["b@example.com"]]))
    step(SALES, job["id"], "check")
    step(SALES, job["id"], "run")
    reverted = step(SALES, job["id"], "revert")
    assert subset(reverted["run_totals"], created=2, rows_done=2)
    assert subset(reverted["progress"], reverted=2)
