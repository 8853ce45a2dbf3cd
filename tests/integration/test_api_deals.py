"""Pipelines, deals, deal timelines and qualifying a contact into a deal, through the clients' API over moto."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api_client import ApiClient

admin = ApiClient("admin")
sales = ApiClient("sales", user="sales-1")
marketing = ApiClient("marketing", user="marketing-1")
support = ApiClient("support", user="support-1")
STAGES = [{"id": "demo", "name": "Demo", "probability": 30}, {"id": "contract", "name": "Contract", "probability": 80}]


def table_items(aws) -> list[dict]:
    from tests.conftest import table_items as dump

    return dump(aws["dynamodb"], aws["settings"].table_name)


def events(aws, detail_type: str) -> list[dict]:
    return [json.loads(i["detail"]["S"]) for i in table_items(aws)
            if i["PK"]["S"].startswith("OUTBOX#") and i["detail_type"]["S"] == detail_type]


def audited(aws, entity: str, entity_id: str) -> list[str]:
    return sorted(i["action"]["S"] for i in table_items(aws) if i["PK"]["S"] == f"AUDIT#{entity}#{entity_id}")


def new_contact(**fields) -> dict:
    response = sales.post("/v1/contacts", {"first_name": "Ali", **fields})
    assert response.status == 201, response.body
    return response.body


def new_deal(**fields) -> dict:
    response = sales.post("/v1/deals", {"name": "Licences", **fields})
    assert response.status == 201, response.body
    return response.body


# Pipelines

def test_the_default_pipeline_exists_without_setup_and_ends_in_won_and_lost(aws):
    # Given a fresh CRM / When anyone lists the pipelines
    listed = marketing.get("/v1/pipelines")
    # Then the built-in default is there, with open stages and the two closed ones
    assert listed.status == 200
    default, = listed.body["items"]
    assert (default["id"], default["is_default"], default["built_in"], default["version"]) == ("default", True, True, 0)
    assert [s["id"] for s in default["stages"]] == ["new", "qualified", "proposal", "negotiation"]
    assert default["closed_stages"] == [{"id": "won", "name": "Won", "probability": 100},
                                        {"id": "lost", "name": "Lost", "probability": 0}]
    assert not [i for i in table_items(aws) if i["PK"]["S"].startswith("PIPELINE#")]


def test_admins_write_pipelines_with_if_match_and_everyone_reads_them(aws):
    # Given an admin creates a pipeline (sales may not)
    assert sales.post("/v1/pipelines", {"name": "Renewals", "stages": STAGES}).status == 403
    created = admin.post("/v1/pipelines", {"name": "Renewals", "stages": STAGES})
    assert created.status == 201 and created.headers["etag"] == '"1"'
    path = f"/v1/pipelines/{created.body['id']}"
    assert support.get(path).body == created.body
    # When it is renamed with the version read, and then again with the stale one
    renamed = admin.patch(path, {"name": "Renewals 2027"}, version=1)
    stale = admin.patch(path, {"name": "Lost update"}, version=1)
    # Then the first is saved and the second is a 412 that changes nothing
    assert (renamed.status, renamed.body["name"], renamed.body["version"]) == (200, "Renewals 2027", 2)
    assert (stale.status, stale.body["error"]["code"]) == (412, "version_mismatch")
    assert sales.get(path).body["name"] == "Renewals 2027"
    # And the default lists first, then the others
    assert [p["id"] for p in sales.get("/v1/pipelines").body["items"]] == ["default", created.body["id"]]
    assert audited(aws, "pipeline", created.body["id"]) == ["create", "update"]


def test_editing_the_built_in_default_stores_it_and_it_still_lists_first(aws):
    other = admin.post("/v1/pipelines", {"name": "Other", "stages": STAGES}).body
    # When an admin edits the default at version 0
    edited = admin.patch("/v1/pipelines/default", {"stages": STAGES}, version=0)
    # Then the edited copy is version 1 and its stages rule new deals
    assert (edited.status, edited.body["built_in"], edited.body["version"]) == (200, False, 1)
    assert [p["id"] for p in sales.get("/v1/pipelines").body["items"]] == ["default", other["id"]]
    assert new_deal()["stage"] == "demo"
    assert admin.patch("/v1/pipelines/default", {"name": "x"}, version=0).status == 412


@pytest.mark.parametrize("body", [
    {"name": "No stages"}, {"stages": STAGES}, {"name": "", "stages": STAGES}, {"name": "X", "stages": []},
    {"name": "X", "stages": [{"id": "won", "name": "Won", "probability": 100}]},
    {"name": "X", "stages": [STAGES[0], STAGES[0]]},
    {"name": "X", "stages": [{"id": "Bad Id", "name": "B", "probability": 1}]},
    {"name": "X", "stages": [{"id": "a", "name": "A", "probability": 101}]},
    {"name": "X", "stages": [{"id": "a", "name": "A", "probability": "50"}]},
    {"name": "X", "stages": [{"id": "a", "name": "A", "probability": 5, "colour": "red"}]},
    {"name": "X", "stages": STAGES, "is_default": True}, {"name": "\u0000", "stages": STAGES},
])
def test_bad_pipelines_are_422_and_write_nothing(aws, body):
    before = table_items(aws)
    response = admin.post("/v1/pipelines", body)
    assert response.status == 422, response.body
    assert response.body["error"]["fields"]
    assert table_items(aws) == before


def test_a_pipeline_with_deals_cannot_be_deleted_and_the_default_never(aws):
    # Given a pipeline with a deal in it
    pipeline = admin.post("/v1/pipelines", {"name": "Renewals", "stages": STAGES}).body
    path = f"/v1/pipelines/{pipeline['id']}"
    deal = new_deal(pipeline_id=pipeline["id"])
    # When an admin deletes it / Then 409 until the deal is gone
    assert admin.delete(path, version=1).status == 409
    assert admin.delete(path).body["error"]["code"] == "pipeline_has_deals"
    assert sales.delete(f"/v1/deals/{deal['id']}", version=1).status == 204
    assert admin.delete(path, version=2).status == 412
    assert admin.delete(path, version=1).status == 204
    assert sales.get(path).status == 404
    assert admin.delete("/v1/pipelines/default").body["error"]["code"] == "default_pipeline"
    assert admin.delete("/v1/pipelines/nope").status == 404


def test_a_deal_added_while_its_pipeline_is_deleted_is_refused_not_orphaned(aws, monkeypatch):
    from crm.deals import pipelines

    # Given an empty pipeline, and a deal created for it just as an admin's delete looks for deals
    pipeline = admin.post("/v1/pipelines", {"name": "Renewals", "stages": STAGES}).body
    racing: list = []
    memberships = pipelines.PipelineDealItem

    def query_after_a_deal_is_added(*args, **kwargs):
        racing.append(sales.post("/v1/deals", {"name": "Late", "contact_id": new_contact()["id"],
                                               "pipeline_id": pipeline["id"]}))
        return memberships.query(*args, **kwargs)

    monkeypatch.setattr(pipelines, "PipelineDealItem", type("Memberships", (), {
        "key": memberships.key, "SK": memberships.SK, "query": staticmethod(query_after_a_deal_is_added)}))
    # When the delete goes on
    deleted = admin.delete(f"/v1/pipelines/{pipeline['id']}", version=1)
    # Then the pipeline is gone, and the racing deal was refused rather than left in a deleted pipeline
    assert deleted.status == 204
    assert (racing[0].status, racing[0].body["error"]["code"]) == (409, "pipeline_changed")
    assert sales.get("/v1/deals", pipeline_id=pipeline["id"]).body["items"] == []


def test_a_refused_pipeline_delete_leaves_it_as_it_was(aws):
    pipeline = admin.post("/v1/pipelines", {"name": "Renewals", "stages": STAGES}).body
    new_deal(pipeline_id=pipeline["id"])
    before = [i for i in table_items(aws) if i["PK"]["S"] == f"PIPELINE#{pipeline['id']}" and i["SK"]["S"] == "PROFILE"]
    assert admin.delete(f"/v1/pipelines/{pipeline['id']}", version=1).status == 409
    after = [i for i in table_items(aws) if i["PK"]["S"] == f"PIPELINE#{pipeline['id']}" and i["SK"]["S"] == "PROFILE"]
    assert after == before
    assert new_deal(pipeline_id=pipeline["id"])["pipeline_id"] == pipeline["id"]


def test_a_stage_that_holds_deals_is_not_removed_and_an_empty_one_is(aws):
    # Given a pipeline of three stages with a deal in the second, and many deals elsewhere
    stages = [{"id": "intro", "name": "Intro", "probability": 10}, *STAGES]
    pipeline = admin.post("/v1/pipelines", {"name": "Partners", "stages": stages}).body
    path = f"/v1/pipelines/{pipeline['id']}"
    for n in range(3):
        new_deal(name=f"Other {n}")
    deal = new_deal(pipeline_id=pipeline["id"], stage="demo")
    # When an admin leaves the deal's stage out
    refused = admin.patch(path, {"stages": [stages[0], stages[2]]}, version=1)
    # Then 409 names it, and the pipeline is as it was, open to deals as before
    assert (refused.status, refused.body["error"]["code"]) == (409, "stage_has_deals")
    assert "demo" in refused.body["error"]["fields"]["stages"]
    assert admin.get(path).body["version"] == 1 and len(admin.get(path).body["stages"]) == 3
    assert sales.patch(f"/v1/deals/{deal['id']}", {"stage": "contract"}, version=1).status == 200
    # When the stage left out holds no deal any more
    changed = admin.patch(path, {"stages": [stages[2], stages[0]]}, version=1)
    # Then it goes, and deals are written in the pipeline at once (no fence left up)
    assert changed.status == 200 and [s["id"] for s in changed.body["stages"]] == ["contract", "intro"]
    assert new_deal(pipeline_id=pipeline["id"], stage="intro")["stage"] == "intro"
    assert admin.patch(path, {"stages": [stages[0]]}, version=2).body["error"]["code"] == "stage_has_deals"


def test_a_deal_moved_into_a_stage_while_its_removal_looks_for_deals_is_refused(aws, monkeypatch):
    from crm.deals import pipelines

    # Given a deal in one stage, moved into the other just as an admin's edit removing that other stage looks
    pipeline = admin.post("/v1/pipelines", {"name": "Renewals", "stages": STAGES}).body
    deal = new_deal(pipeline_id=pipeline["id"], stage="contract")
    racing: list = []
    memberships = pipelines.PipelineDealItem

    def query_after_a_move(*args, **kwargs):
        racing.append(sales.patch(f"/v1/deals/{deal['id']}", {"stage": "demo"}, version=1))
        return memberships.query(*args, **kwargs)

    monkeypatch.setattr(pipelines, "PipelineDealItem", type("Memberships", (), {
        "key": memberships.key, "SK": memberships.SK, "query": staticmethod(query_after_a_move)}))
    # When the edit goes on
    edited = admin.patch(f"/v1/pipelines/{pipeline['id']}", {"stages": [STAGES[1]]}, version=1)
    # Then the stage is gone, and the racing move was refused rather than left in a stage that is no more
    assert edited.status == 200
    assert (racing[0].status, racing[0].body["error"]["code"]) == (409, "pipeline_changed")
    assert sales.get(f"/v1/deals/{deal['id']}").body["stage"] == "contract"


def test_the_default_pipelines_stage_with_deals_stays_too(aws):
    default = admin.get("/v1/pipelines/default").body
    first = default["stages"][0]["id"]
    new_deal(stage=first)
    refused = admin.patch("/v1/pipelines/default", {"stages": default["stages"][1:]})
    assert (refused.status, refused.body["error"]["code"]) == (409, "stage_has_deals")
    assert admin.patch("/v1/pipelines/default", {"name": "Sales"}).status == 200


def test_moving_a_deal_to_another_pipeline_frees_the_old_one(aws):
    pipeline = admin.post("/v1/pipelines", {"name": "Renewals", "stages": STAGES}).body
    deal = new_deal(pipeline_id=pipeline["id"], stage="contract")
    moved = sales.patch(f"/v1/deals/{deal['id']}", {"pipeline_id": "default"}, version=1)
    assert (moved.status, moved.body["stage"], moved.body["probability"]) == (200, "new", 10)
    assert admin.delete(f"/v1/pipelines/{pipeline['id']}").status == 204


# Deals

def test_a_deal_is_created_read_updated_and_deleted_with_its_versions(aws):
    # Given a contact and a company
    contact = new_contact()
    company = sales.post("/v1/companies", {"name": "Acme", "domain": "acme.com"}).body
    # When sales creates a deal for them
    created = sales.post("/v1/deals", {"name": "  Licences ", "amount_minor": 125000, "currency": "EUR",
                                       "expected_close_date": "2026-12-31", "contact_id": contact["id"],
                                       "company_id": company["id"], "owner": "sales-1"})
    # Then it opens in the default pipeline's first stage with that stage's probability
    assert created.status == 201 and created.headers["location"] == f"/v1/deals/{created.body['id']}"
    deal = created.body
    assert (deal["name"], deal["pipeline_id"], deal["stage"], deal["status"], deal["probability"]) == \
        ("Licences", "default", "new", "open", 10)
    path = f"/v1/deals/{deal['id']}"
    assert sales.get(path).body == deal
    # When its stage moves, then its probability follows unless the caller sets one
    moved = sales.patch(path, {"stage": "proposal"}, version=1)
    assert (moved.body["stage"], moved.body["probability"], moved.body["version"]) == ("proposal", 50, 2)
    overridden = sales.patch(path, {"probability": 65, "amount_minor": None, "currency": None}, version=2)
    assert (overridden.body["probability"], overridden.body["amount_minor"]) == (65, None)
    # And a stale version or an unknown id change nothing
    assert sales.patch(path, {"name": "Other"}, version=1).status == 412
    assert sales.patch("/v1/deals/nope", {"name": "Other"}).status == 404
    assert sales.get(path).body == overridden.body
    # And deleting removes it
    assert sales.delete(path, version=3).status == 204
    assert (sales.get(path).status, sales.delete(path).status) == (404, 404)
    assert audited(aws, "deal", deal["id"]) == ["create", "delete", "update", "update"]
    assert [e["deal_id"] for e in events(aws, "Deal Created")] == [deal["id"]]


def test_won_and_lost_close_a_deal_and_reopening_clears_the_close(aws):
    contact = new_contact()
    deal = new_deal(contact_id=contact["id"], amount_minor=900, currency="USD")
    path = f"/v1/deals/{deal['id']}"
    # When it is lost without a reason / Then 422; with one, it closes
    assert sales.patch(path, {"status": "lost"}, version=1).body["error"]["fields"] == \
        {"close_reason": "Say why the deal was lost."}
    lost = sales.patch(path, {"status": "lost", "close_reason": "Price"}, version=1).body
    assert (lost["stage"], lost["status"], lost["probability"], lost["close_reason"]) == ("lost", "lost", 0, "Price")
    assert lost["closed_at"]
    # When it is reopened, then it goes back to the first stage and the close is cleared
    reopened = sales.patch(path, {"status": "open"}, version=2).body
    assert (reopened["stage"], reopened["status"], reopened["closed_at"], reopened["close_reason"]) == \
        ("new", "open", None, None)
    # When it is won by stage, then its status follows
    won = sales.patch(path, {"stage": "won", "close_reason": "Best fit"}, version=3).body
    assert (won["status"], won["probability"], won["close_reason"]) == ("won", 100, "Best fit")
    # And a stage and a status that disagree, or a probability on a closed deal, are 422
    assert sales.patch(path, {"stage": "new", "status": "won"}, version=4).status == 422
    assert sales.patch(path, {"probability": 50}, version=4).status == 422
    assert [e["deal_id"] for e in events(aws, "Deal Lost")] == [deal["id"]]
    assert [(e["deal_id"], e["contact_id"], e["amount_minor"]) for e in events(aws, "Deal Won")] == \
        [(deal["id"], contact["id"], 900)]
    assert sorted((e["from"], e["to"]) for e in events(aws, "Deal Stage Changed")) == \
        [("lost", "new"), ("new", "lost"), ("new", "won")]


@pytest.mark.parametrize("body", [
    {}, {"name": ""}, {"name": "X", "stage": "nowhere"}, {"name": "X", "amount_minor": 100},
    {"name": "X", "amount_minor": -1, "currency": "EUR"}, {"name": "X", "amount_minor": "100", "currency": "EUR"},
    {"name": "X", "amount_minor": 1.5, "currency": "EUR"}, {"name": "X", "amount_minor": 1, "currency": "eur"},
    {"name": "X", "probability": 101}, {"name": "X", "probability": True},
    {"name": "X", "expected_close_date": "tomorrow"},
    {"name": "X", "expected_close_date": "2026-02-30"}, {"name": "X", "expected_close_date": 1700000000},
    {"name": "X", "status": "lost"}, {"name": "X", "status": "pending"}, {"name": "X", "close_reason": "early"},
    {"name": "X", "pipeline_id": "nope"}, {"name": "X", "contact_id": "nope"}, {"name": "X", "company_id": "nope"},
    {"name": "X", "custom_fields": {"no_such_field": 1}}, {"name": "X", "unknown": 1}, {"name": "x" * 201},
    {"name": "X", "owner": ""}, {"name": "X", "contact_id": ["a"]},
])
def test_bad_deals_are_422_and_write_nothing(aws, body):
    before = table_items(aws)
    response = sales.post("/v1/deals", body)
    assert response.status == 422, response.body
    assert response.body["error"]["fields"]
    assert table_items(aws) == before


deal_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
                        st.lists(st.text(max_size=5), max_size=2), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                                     max_size=2))
deal_bodies = st.dictionaries(st.sampled_from(["name", "stage", "status", "amount_minor", "currency", "probability",
                                               "expected_close_date", "close_reason", "owner", "contact_id",
                                               "pipeline_id", "custom_fields", "extra"]), deal_values, max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(body=deal_bodies)
def test_any_deal_body_is_created_or_refused_with_a_4xx_that_writes_nothing(aws, body):
    before = table_items(aws)
    response = sales.post("/v1/deals", body)
    assert response.status == 201 or 400 <= response.status < 500, response.body
    if response.status != 201:
        assert "error" in response.body and table_items(aws) == before


def test_deals_list_newest_first_by_close_date_and_filtered_one_query_per_page(aws):
    # Given deals of two contacts, owners and close dates
    ali, sara = new_contact(), new_contact(first_name="Sara")
    first = new_deal(name="A", contact_id=ali["id"], owner="u1", expected_close_date="2026-12-01")
    second = new_deal(name="B", contact_id=sara["id"], owner="u2")
    third = new_deal(name="C", contact_id=ali["id"], owner="u2", expected_close_date="2026-06-01")
    sales.patch(f"/v1/deals/{third['id']}", {"stage": "won"}, version=1)
    def names(response: Any) -> list[str]:
        return [d["name"] for d in response.body["items"]]

    # Then the list is newest first, or by close date (a deal without one last)
    assert names(sales.get("/v1/deals")) == ["C", "B", "A"]
    assert names(sales.get("/v1/deals", sort="expected_close_date")) == ["C", "A", "B"]
    assert names(sales.get("/v1/deals", sort="-expected_close_date")) == ["B", "A", "C"]
    # And filters narrow it on any ordering
    assert names(sales.get("/v1/deals", contact_id=ali["id"], sort="expected_close_date")) == ["C", "A"]
    assert names(sales.get("/v1/deals", contact_id=ali["id"])) == ["C", "A"]
    assert names(sales.get("/v1/deals", owner="u2", sort="expected_close_date")) == ["C", "B"]
    assert names(sales.get("/v1/deals", owner="u2", contact_id=ali["id"], sort="expected_close_date")) == ["C"]
    assert names(sales.get("/v1/deals", status="open")) == ["B", "A"]
    assert names(sales.get("/v1/deals", stage="won", pipeline_id="default")) == ["C"]
    assert names(sales.get("/v1/deals", pipeline_id="other")) == []
    # And pages follow their cursor, which is bound to the filters it was made for
    page = sales.get("/v1/deals", limit="2")
    assert names(page) == ["C", "B"] and page.body["next_cursor"]
    assert names(sales.get("/v1/deals", limit="2", cursor=page.body["next_cursor"])) == ["A"]
    assert sales.get("/v1/deals", status="open", cursor=page.body["next_cursor"]).status == 400
    assert sales.get("/v1/deals", sort="amount").status == 400
    assert first["id"] != second["id"]


def test_a_deals_timeline_shows_creation_stage_moves_and_the_win(aws):
    # Given a deal of a contact that moves twice
    contact = new_contact()
    deal = new_deal(contact_id=contact["id"])
    path = f"/v1/deals/{deal['id']}"
    sales.patch(path, {"stage": "proposal"}, version=1)
    sales.patch(path, {"stage": "won"}, version=2)
    sales.patch(path, {"name": "Renamed"}, version=3)
    # When its timeline is read / Then it is newest first, one entry per move
    timeline = sales.get(f"{path}/timeline")
    assert timeline.status == 200
    assert [e["type"] for e in timeline.body["items"]] == ["deal_won", "deal_stage_changed", "deal_created"]
    assert timeline.body["items"][1]["data"]["from"] == "new"
    # And the contact's timeline has the same moves
    contact_entries = [e["type"] for e in sales.get(f"/v1/contacts/{contact['id']}/timeline").body["items"]]
    assert contact_entries == ["deal_won", "deal_stage_changed", "deal_created", "created"]
    # And it pages, and an unknown deal is a 404
    first = sales.get(f"{path}/timeline", limit="2")
    rest = sales.get(f"{path}/timeline", limit="2", cursor=first.body["next_cursor"])
    assert [e["type"] for e in first.body["items"] + rest.body["items"]] == \
        ["deal_won", "deal_stage_changed", "deal_created"]
    assert sales.get("/v1/deals/nope/timeline").status == 404
    assert sales.get(f"/v1/deals/{deal['id']}/timeline", cursor=first.body["next_cursor"][:-2] + "xx").status == 400


# Qualifying a contact

def test_qualifying_a_contact_creates_the_deal_the_company_and_moves_the_contact_in_one_go(aws):
    # Given a lead
    contact = new_contact(email="ali@acme.com")
    # When sales qualifies them naming a company that does not exist yet
    response = sales.post(f"/v1/contacts/{contact['id']}/qualify", {
        "deal": {"amount_minor": 50000, "currency": "EUR"},
        "company": {"name": "Acme", "domain": "https://www.acme.com/"}})
    # Then the deal opens in the default pipeline's first stage for the contact and the new company
    assert response.status == 201, response.body
    deal, company, qualified = response.body["deal"], response.body["company"], response.body["contact"]
    assert (deal["stage"], deal["contact_id"], deal["company_id"], deal["name"]) == \
        ("new", contact["id"], company["id"], "Acme – Ali")
    assert (company["name"], company["domain"]) == ("Acme", "acme.com")
    assert (qualified["lifecycle_stage"], qualified["company_id"], qualified["version"]) == \
        ("opportunity", company["id"], 2)
    assert sales.get(f"/v1/contacts/{contact['id']}").body == qualified
    # And every record is audited, on the timeline, and announced
    assert (audited(aws, "deal", deal["id"]), audited(aws, "company", company["id"]),
            audited(aws, "contact", contact["id"])) == (["qualify"], ["qualify"], ["create", "qualify"])
    entries = sales.get(f"/v1/contacts/{contact['id']}/timeline").body["items"]
    assert sorted(e["type"] for e in entries) == ["created", "deal_created", "qualified"]
    assert [e["deal_id"] for e in events(aws, "Deal Created")] == [deal["id"]]
    assert [e["company_id"] for e in events(aws, "Company Created")] == [company["id"]]
    assert events(aws, "Contact Updated")[-1]["fields"] == ["company_id", "lifecycle_stage"]


def test_qualifying_reuses_the_company_with_that_domain_and_keeps_a_customer_a_customer(aws):
    # Given a company and a customer
    company = sales.post("/v1/companies", {"name": "Acme", "domain": "acme.com"}).body
    customer = new_contact(lifecycle_stage="customer")
    # When the customer is qualified naming the company's domain in another form
    response = sales.post(f"/v1/contacts/{customer['id']}/qualify",
                          {"company": {"name": "ACME Inc", "domain": "ACME.com"}, "deal": {"name": "Upsell"}})
    # Then the existing company is linked, no other is created, and the customer stays a customer
    assert response.status == 201, response.body
    assert response.body["company"] == company
    assert response.body["deal"]["company_id"] == company["id"]
    assert response.body["contact"]["lifecycle_stage"] == "customer"
    assert len(sales.get("/v1/companies").body["items"]) == 1


@pytest.mark.parametrize("body", [
    {"deal": {"pipeline_id": "nope"}}, {"deal": {"stage": "won"}}, {"deal": {"contact_id": "x"}},
    {"company_id": "nope"}, {"company": {"domain": "not a domain"}}, {"company": {"domain": "new.example"}},
    {"company_id": "x", "company": {"name": "A"}}, {"deal": {"amount_minor": 5}}, {"extra": 1},
])
def test_a_qualification_that_cannot_be_done_changes_nothing(aws, body):
    contact = new_contact()
    before = table_items(aws)
    response = sales.post(f"/v1/contacts/{contact['id']}/qualify", body)
    assert response.status == 422, response.body
    assert table_items(aws) == before


def test_a_qualification_on_a_stale_or_unknown_contact_or_by_the_wrong_role_changes_nothing(aws):
    contact = new_contact()
    sales.patch(f"/v1/contacts/{contact['id']}", {"job_title": "CTO"}, version=1)
    before = table_items(aws)
    assert sales.call("POST", f"/v1/contacts/{contact['id']}/qualify", {},
                      headers={"if-match": '"1"'}).status == 412
    assert sales.post("/v1/contacts/nope/qualify", {}).status == 404
    assert marketing.post(f"/v1/contacts/{contact['id']}/qualify", {}).status == 403
    assert table_items(aws) == before


# Who may do what

ROUTES = [  # method, path, body, roles allowed
    ("GET", "/v1/pipelines", None, {"admin", "sales", "marketing", "support"}),
    ("GET", "/v1/pipelines/default", None, {"admin", "sales", "marketing", "support"}),
    ("POST", "/v1/pipelines", {}, {"admin"}),
    ("PATCH", "/v1/pipelines/default", {}, {"admin"}),
    ("DELETE", "/v1/pipelines/x", None, {"admin"}),
    ("GET", "/v1/deals", None, {"admin", "sales"}),
    ("GET", "/v1/deals/x", None, {"admin", "sales"}),
    ("GET", "/v1/deals/x/timeline", None, {"admin", "sales"}),
    ("POST", "/v1/deals", {}, {"admin", "sales"}),
    ("PATCH", "/v1/deals/x", {}, {"admin", "sales"}),
    ("DELETE", "/v1/deals/x", None, {"admin", "sales"}),
    ("POST", "/v1/contacts/x/qualify", {}, {"admin", "sales"}),
    ("GET", "/v1/activities/x", None, {"admin", "sales", "marketing", "support"}),
    ("GET", "/v1/activities", None, {"admin", "sales", "marketing", "support"}),
    ("POST", "/v1/activities", {}, {"admin", "sales", "support"}),
    ("PATCH", "/v1/activities/x", {}, {"admin", "sales", "support"}),
    ("DELETE", "/v1/activities/x", None, {"admin", "sales", "support"}),
]


@pytest.mark.parametrize("role", ["admin", "sales", "marketing", "support"])
@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROUTES)
def test_each_role_reaches_only_the_routes_the_role_matrix_gives_it(aws, role, method, path, body, allowed):
    response = ApiClient(role).call(method, path, body)
    if role in allowed:
        assert response.status != 403 and response.status < 500, (response.status, response.body)
    else:
        assert (response.status, response.body["error"]["code"]) == (403, "forbidden")


def test_the_new_routes_are_in_the_openapi_document(aws):
    paths = sales.get("/v1/openapi.json").body["paths"]
    assert {"/v1/deals", "/v1/deals/{deal_id}", "/v1/deals/{deal_id}/timeline", "/v1/pipelines",
            "/v1/pipelines/{pipeline_id}", "/v1/activities", "/v1/activities/{activity_id}",
            "/v1/contacts/{contact_id}/qualify"} <= set(paths)
