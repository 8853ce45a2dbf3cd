"""Which column fills which field: headers in six languages, values when the header says nothing."""

from __future__ import annotations

import pytest
from crm.imports.headers import suggest_mapping

CONTACT_TARGETS: dict[str, list[str]] = {target: [] for target in (
    "id", "external_id", "first_name", "last_name", "full_name", "email", "phone", "company", "job_title", "city",
    "country", "owner", "lifecycle_stage", "lead_status", "source", "tags", "notes")}
COMPANY_TARGETS: dict[str, list[str]] = {target: [] for target in (
    "id", "external_id", "name", "domain", "website", "industry", "phone", "city", "country", "owner", "notes")}
DEAL_TARGETS: dict[str, list[str]] = {target: [] for target in (
    "id", "name", "amount", "currency", "pipeline", "stage", "expected_close_date", "contact", "company", "owner")}
ACTIVITY_TARGETS: dict[str, list[str]] = {target: [] for target in (
    "type", "subject", "due_at", "contact", "deal", "description")}


@pytest.mark.parametrize(("headers", "expected"), [
    (["First Name", "Last_Name", "E-mail", "Mobile", "Company", "Job title", "City", "Country"],
     ["first_name", "last_name", "email", "phone", "company", "job_title", "city", "country"]),
    (["نام", "نام خانوادگی", "ایمیل", "موبایل", "شرکت", "سمت", "شهر", "كشور"],
     ["first_name", "last_name", "email", "phone", "company", "job_title", "city", "country"]),
    (["الاسم الأول", "اسم العائلة", "البريد الإلكتروني", "رقم الهاتف", "الشركة", "المسمى الوظيفي", "المدينة",
      "الدولة"],
     ["first_name", "last_name", "email", "phone", "company", "job_title", "city", "country"]),
    (["Имя", "Фамилия", "Электронная почта", "Телефон", "Компания", "Должность", "Город", "Страна"],
     ["first_name", "last_name", "email", "phone", "company", "job_title", "city", "country"]),
    (["Nama pertama", "Nama keluarga", "Alamat emel", "No. telefon", "Syarikat", "Jawatan", "Bandar", "Negara"],
     ["first_name", "last_name", "email", "phone", "company", "job_title", "city", "country"]),
    (["ΟΝΟΜΑ", "Επώνυμο", "Ηλεκτρονικό ταχυδρομείο", "Τηλέφωνο", "Εταιρεία", "Θέση", "Πόλη", "Χώρα"],
     ["first_name", "last_name", "email", "phone", "company", "job_title", "city", "country"]),
], ids=["english", "persian", "arabic", "russian", "malay", "greek"])
def test_contact_headers_in_each_language_map_to_their_fields(headers: list[str], expected: list[str]) -> None:
    # Given a contact sheet's headers as people write them (case, punctuation, accents and Arabic letters vary)
    # When a mapping is suggested for contacts
    mapping = suggest_mapping(headers, [], CONTACT_TARGETS)
    # Then each header fills its field
    assert mapping == dict(zip(headers, expected, strict=True))


@pytest.mark.parametrize(("headers", "expected"), [
    (["Deal name", "Amount", "Currency", "Pipeline", "Stage", "Close date", "Contact email"],
     ["name", "amount", "currency", "pipeline", "stage", "expected_close_date", "contact"]),
    (["عنوان", "مبلغ", "واحد پول", "قیف فروش", "مرحله", "تاریخ بستن", "مخاطب"],
     ["name", "amount", "currency", "pipeline", "stage", "expected_close_date", "contact"]),
    (["Название", "Сумма", "Валюта", "Воронка", "Этап", "Дата закрытия", "Контакт"],
     ["name", "amount", "currency", "pipeline", "stage", "expected_close_date", "contact"]),
])
def test_deal_headers_map_to_deal_fields(headers: list[str], expected: list[str]) -> None:
    # Given a deal sheet's headers, When a mapping is suggested for deals, Then each fills its field
    assert suggest_mapping(headers, [], DEAL_TARGETS) == dict(zip(headers, expected, strict=True))


def test_activity_headers_map_to_activity_fields() -> None:
    # Given an activity sheet's headers in a mix of languages
    headers = ["Type", "Θέμα", "Due date", "جهة الاتصال", "Сделка", "Description"]
    # When a mapping is suggested for activities, Then each fills its field
    assert suggest_mapping(headers, [], ACTIVITY_TARGETS) == {
        "Type": "type", "Θέμα": "subject", "Due date": "due_at", "جهة الاتصال": "contact", "Сделка": "deal",
        "Description": "description"}


@pytest.mark.parametrize("header", ["Name", "نام", "الاسم", "Nama", "Όνομα"])
def test_a_name_is_a_companys_name_but_a_contacts_full_or_first_name(header: str) -> None:
    # Given a column called "name" in some language
    # When it is suggested for companies, Then it is the company's name
    assert suggest_mapping([header], [], COMPANY_TARGETS) == {header: "name"}
    # When it is suggested for contacts, Then it is the person's name
    assert suggest_mapping([header], [], CONTACT_TARGETS)[header] in ("full_name", "first_name")


def test_a_target_is_suggested_for_one_column_only() -> None:
    # Given two columns that both say email, and two that both say phone
    headers = ["Email", "E-mail address", "Phone", "Mobile", "Tel"]
    # When a mapping is suggested, Then the first of each fills the field and the others are left out
    assert suggest_mapping(headers, [], CONTACT_TARGETS) == {"Email": "email", "Phone": "phone"}


def test_a_target_the_entity_does_not_take_is_never_suggested() -> None:
    # Given contact headers offered to activities
    headers = ["Email", "City", "Subject"]
    # When a mapping is suggested for activities, Then only the activity's fields are used
    assert suggest_mapping(headers, [], ACTIVITY_TARGETS) == {"Subject": "subject"}


def test_a_targets_own_name_matches() -> None:
    # Given headers written as the API's field names (a file exported from this CRM)
    headers = ["id", "first_name", "LIFECYCLE_STAGE", "lead status"]
    # When a mapping is suggested, Then each is its field
    assert suggest_mapping(headers, [], CONTACT_TARGETS) == {
        "id": "id", "first_name": "first_name", "LIFECYCLE_STAGE": "lifecycle_stage", "lead status": "lead_status"}


def test_custom_fields_are_found_by_their_key_and_label() -> None:
    # Given two custom fields, one whose label shares a word with a built-in synonym
    targets = {**CONTACT_TARGETS, "custom.nps": ["nps", "Net promoter score"],
               "custom.shoe_size": ["shoe_size", "اندازه کفش"]}
    headers = ["Net Promoter Score", "اندازه کفش", "custom.nps", "Email"]
    # When a mapping is suggested, Then each custom field fills the column its label names, once
    assert suggest_mapping(headers, [], targets) == {
        "Net Promoter Score": "custom.nps", "اندازه کفش": "custom.shoe_size", "Email": "email"}


def test_a_label_the_caller_gives_wins_over_a_built_in_synonym() -> None:
    # Given a custom field labelled "Mobile", which is also a built-in name for phone
    targets = {**CONTACT_TARGETS, "custom.mobile": ["mobile", "Mobile"]}
    # When a mapping is suggested, Then "Mobile" fills the custom field and "Phone" the phone
    assert suggest_mapping(["Mobile", "Phone"], [], targets) == {"Mobile": "custom.mobile", "Phone": "phone"}


def test_columns_without_a_known_header_are_recognised_by_their_values() -> None:
    # Given columns whose headers say nothing, holding emails, phones (one in Persian digits), and web sites
    headers = ["Col A", "Col B", "Col C", "Col D", "When"]
    sample = [["sara@example.com", "+98 912 123 4567", "https://acme.example", "hello", "2026-11-24"],
              ["omid@example.ir", "۰۹۱۲۱۲۳۴۵۶۷", "www.beta.example", "", "2026-11-25"],
              ["", "(021) 8888-1234", "gamma.example/about", "12", "2026-11-26"],
              ["nima@example.org", "0912-123-4567", "https://delta.example/", "world", "2026-11-27"]]
    # When a mapping is suggested for contacts, Then emails and phones are found, not the words or the dates
    assert suggest_mapping(headers, sample, CONTACT_TARGETS) == {"Col A": "email", "Col B": "phone"}
    # When it is suggested for companies, Then the addresses are the website, and the phones the phone
    assert suggest_mapping(headers, sample, COMPANY_TARGETS) == {"Col B": "phone", "Col C": "website"}


def test_bare_host_names_are_a_domain_when_the_entity_has_one() -> None:
    # Given a column of bare host names under a header that says nothing
    sample = [["acme.example"], ["beta.co.uk"], ["گاما.ایران"]]
    # When a mapping is suggested for companies, Then it is the domain
    assert suggest_mapping(["Host"], sample, COMPANY_TARGETS) == {"Host": "domain"}


def test_values_do_not_take_a_target_a_header_already_filled() -> None:
    # Given a named email column and another column of emails
    headers = ["Email", "Other"]
    sample = [["a@x.io", "b@x.io"], ["c@x.io", "d@x.io"]]
    # When a mapping is suggested, Then the named column keeps email and the other is left out
    assert suggest_mapping(headers, sample, CONTACT_TARGETS) == {"Email": "email"}


def test_a_column_that_is_only_partly_emails_is_not_guessed() -> None:
    # Given a column where fewer than four in five values are emails
    sample = [["a@x.io"], ["b@x.io"], ["call me"], ["none"], ["c@x.io"]]
    # When a mapping is suggested, Then it is left out
    assert suggest_mapping(["Reach"], sample, CONTACT_TARGETS) == {}
