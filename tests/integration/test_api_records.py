"""Writing records through the clients' API over moto: create, PATCH with If-Match, delete, uniqueness,
custom fields checked on every write, and the audit log of every change."""

from __future__ import annotations

import pytest

from tests.support.api_client import ApiClient

admin = ApiClient("admin")
sales = ApiClient("sales", user="sales-1")


def table_items(aws) -> list[dict]:
    from tests.conftest import table_items as dump

    return dump(aws["dynamodb"], aws["settings"].table_name)


def test_a_contact_is_created_read_updated_and_deleted_with_its_versions(aws):
    # Given a contact created by sales with a Russian phone in local format
    created = sales.post("/v1/contacts", {"first_name": "Елена", "email": "Elena@Example.com",
                                           "phone": "+7 912 345-67-89"})
    assert created.status == 201 and created.headers["etag"] == '"1"'
    contact = created.body
    assert (contact["email"], contact["phones"], contact["version"]) == ("Elena@example.com", ["+79123456789"], 1)
    path = f"/v1/contacts/{contact['id']}"
    # When it is updated with the version read
    updated = sales.patch(path, {"lead_status": "contacted", "job_title": "CTO"}, version=1)
    # Then the change is saved, the version moves on, and the score fields stay untouched
    assert updated.status == 200, updated.body
    assert (updated.body["lead_status"], updated.body["job_title"], updated.body["version"]) == ("contacted", "CTO", 2)
    assert sales.get(path).body == updated.body
    # And a write naming the old version is refused and changes nothing
    stale = sales.patch(path, {"job_title": "CEO"}, version=1)
    assert (stale.status, stale.body["error"]["code"]) == (412, "version_mismatch")
    assert sales.get(path).body["job_title"] == "CTO"
    # And deleting frees the email for a new contact
    assert sales.delete(path, version=2).status == 204
    assert sales.get(path).status == 404
    assert sales.post("/v1/contacts", {"email": "elena@example.com"}).status == 201


def test_an_email_or_phone_of_another_contact_is_a_409_that_changes_nothing(aws):
    first = sales.post("/v1/contacts", {"email": "ali@example.com", "phone": "+98 912 123 4567"}).body
    second = sales.post("/v1/contacts", {"email": "sara@example.com"}).body
    before = table_items(aws)
    taken = sales.patch(f"/v1/contacts/{second['id']}", {"phone": "۰۹۱۲۱۲۳۴۵۶۷"}, version=1)
    assert taken.status in (409, 422)
    duplicate = sales.post("/v1/contacts", {"email": "ALI@example.com"})
    assert (duplicate.status, duplicate.body["error"]["code"]) == (409, "email_taken")
    assert table_items(aws) == before
    assert first["id"] != second["id"]


def test_removing_an_email_releases_it_and_adding_one_claims_it(aws):
    contact = sales.post("/v1/contacts", {"email": "a@example.com"}).body
    path = f"/v1/contacts/{contact['id']}"
    changed = sales.patch(path, {"email": "b@example.com", "emails": ["b@example.com"]}, version=1)
    assert changed.status == 200 and changed.body["emails"] == ["b@example.com"]
    assert sales.post("/v1/contacts", {"email": "a@example.com"}).status == 201
    assert sales.post("/v1/contacts", {"email": "b@example.com"}).status == 409


@pytest.mark.parametrize("body", [
    {"email": "not an email"}, {"phone": "12"}, {"lifecycle_stage": "king"}, {"unknown": 1},
    {"custom_fields": {"no_such_field": 1}}, {"custom_fields": {"authority": "emperor"}},
    {"custom_fields": {"budget": "lots"}}, {}, {"first_name": "x" * 201},
])
def test_bad_contact_fields_are_422_and_write_nothing(aws, body):
    before = table_items(aws)
    response = sales.post("/v1/contacts", body)
    assert response.status == 422, response.body
    assert response.body["error"]["fields"]
    assert table_items(aws) == before


@pytest.mark.parametrize("raw", ["{", "[1, 2]", "null", "\"text\""])
def test_a_body_that_is_not_a_json_object_is_a_4xx(aws, raw):
    response = sales.call("POST", "/v1/contacts", raw_body=raw)
    assert response.status in (400, 422)
    assert "error" in response.body


def test_companies_are_unique_by_domain_whatever_way_it_is_written(aws):
    created = sales.post("/v1/companies", {"name": "Acme", "domain": "https://www.Acme.com/about"})
    assert created.status == 201 and created.body["domain"] == "acme.com"
    again = sales.post("/v1/companies", {"name": "Acme Inc", "domain": "acme.COM"})
    assert (again.status, again.body["error"]["code"]) == (409, "domain_taken")
    idn = sales.post("/v1/companies", {"name": "Ελληνική", "domain": "παράδειγμα.gr"})
    assert idn.status == 201 and idn.body["domain"].startswith("xn--")


def test_companies_list_by_name_and_contacts_link_to_an_existing_company(aws):
    for name in ("Zeta", "alpha", "Beta"):
        sales.post("/v1/companies", {"name": name})
    names = [c["name"] for c in sales.get("/v1/companies", sort="name").body["items"]]
    assert names == ["alpha", "Beta", "Zeta"]
    company = sales.get("/v1/companies").body["items"][0]
    linked = sales.post("/v1/contacts", {"first_name": "Ali", "company_id": company["id"]})
    assert linked.status == 201
    assert [c["id"] for c in sales.get("/v1/contacts", company_id=company["id"]).body["items"]] == [linked.body["id"]]
    missing = sales.post("/v1/contacts", {"first_name": "Sara", "company_id": "nope"})
    assert missing.status == 422
    assert missing.body["error"]["fields"] == {"company_id": "There is no company with this id."}


def test_custom_fields_are_defined_by_admins_and_checked_on_every_write(aws):
    # Given an admin defines a picklist on companies
    definition = {"entity": "company", "key": "tier", "label": "Tier", "type": "picklist",
                  "options": ["gold", "silver"]}
    assert sales.post("/v1/custom-fields", definition).status == 403
    assert admin.post("/v1/custom-fields", definition).status == 201
    assert admin.post("/v1/custom-fields", definition).status == 409
    # When companies are written with it / Then only its options are accepted
    assert sales.post("/v1/companies", {"name": "A", "custom_fields": {"tier": "gold"}}).status == 201
    bad = sales.post("/v1/companies", {"name": "B", "custom_fields": {"tier": "bronze"}})
    assert (bad.status, list(bad.body["error"]["fields"])) == (422, ["custom_fields.tier"])
    keys = [d["key"] for d in sales.get("/v1/custom-fields", entity="company").body["items"]]
    assert keys == ["tier"]
    assert "budget" in [d["key"] for d in sales.get("/v1/custom-fields", entity="contact").body["items"]]


@pytest.mark.parametrize(("field_type", "good", "bad"), [
    ("number", 12.5, "twelve"), ("date", "2026-11-24", "24/11/2026"), ("checkbox", True, "yes"),
    ("email", "x@example.com", "x@"), ("phone", "+989121234567", "call me"), ("url", "https://a.example", "ftp://a"),
    ("currency", {"amount_minor": 1999, "currency": "EUR"}, {"amount_minor": 1.5, "currency": "EUR"}),
    ("text", "anything", 42),
])
def test_each_custom_field_type_accepts_its_values_only(aws, field_type, good, bad):
    definition = {"entity": "contact", "key": "f", "label": "F", "type": field_type}
    assert admin.post("/v1/custom-fields", definition).status == 201
    assert sales.post("/v1/contacts", {"first_name": "A", "custom_fields": {"f": good}}).status == 201
    assert sales.post("/v1/contacts", {"first_name": "B", "custom_fields": {"f": bad}}).status == 422


def test_every_write_is_audited_with_who_and_field_level_before_and_after(aws):
    contact = sales.post("/v1/contacts", {"first_name": "Ali", "email": "ali@example.com"}).body
    sales.patch(f"/v1/contacts/{contact['id']}", {"first_name": "Alí", "owner": "sales-2"}, version=1)
    log = admin.get("/v1/audit", entity=f"contact:{contact['id']}")
    assert log.status == 200
    update, create = log.body["items"]
    assert (update["action"], update["actor"]) == ("update", "sales-1")
    assert update["changes"] == {"first_name": {"before": "Ali", "after": "Alí"},
                                 "owner": {"before": None, "after": "sales-2"}}
    assert create["action"] == "create" and create["changes"]["email"] == {"before": None, "after": "ali@example.com"}
    assert [e["entity_id"] for e in admin.get("/v1/audit").body["items"]][:2] == [contact["id"]] * 2
    assert sales.get("/v1/audit").status == 403


def test_the_openapi_document_and_swagger_ui_are_served(aws):
    spec = admin.get("/v1/openapi.json")
    assert spec.status == 200 and spec.body["openapi"].startswith("3.")
    assert {"/v1/contacts", "/v1/companies", "/v1/audit"} <= set(spec.body["paths"])
    docs = admin.get("/v1/docs")
    assert docs.status == 200 and "SwaggerUIBundle" in docs.body


def test_every_reference_in_the_openapi_document_resolves(aws):
    # Given the document the console's API types are generated from
    spec = admin.get("/v1/openapi.json").body
    # When every $ref in it is collected
    references: set[str] = set()

    def collect(node: object) -> None:
        if isinstance(node, dict):
            references.update([node["$ref"]] if isinstance(node.get("$ref"), str) else [])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(spec)
    # Then each names a schema the document holds (a generator refuses a document with a dangling one)
    schemas = spec["components"]["schemas"]
    assert references and {r for r in references if r.rpartition("/")[2] not in schemas} == set()


def test_a_timeline_page_holds_history_only_whatever_else_the_contact_partition_keeps(aws):
    from crm.search.spec import SearchTermsItem

    # Given a contact with one timeline entry, and the search indexer's item in its partition
    contact = sales.post("/v1/contacts", {"first_name": "Ali"}).body
    SearchTermsItem(*SearchTermsItem.key("contact", contact["id"]), terms={"ali"}).save()
    # When the first page of one entry is read / Then it is the timeline's entry, not room taken by others
    page = sales.get(f"/v1/contacts/{contact['id']}/timeline", limit="1").body
    assert [entry["type"] for entry in page["items"]] == ["created"]
