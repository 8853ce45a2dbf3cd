"""The admin's assignment rules and the staff directory over the API: who may read and write them, the order
rules are tried in, and hostile bodies refused with a 4xx naming the field, changing nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api_client import ApiClient
from tests.support.fuzz import assert_accepted_or_refused_cleanly

admin, sales, support = ApiClient("admin", user="boss"), ApiClient("sales", user="rep-a"), ApiClient("support")
RULE = {"name": "Web leads", "strategy": "round_robin", "members": [{"user_id": "rep-a"}]}


def rules() -> list[dict[str, Any]]:
    listed = admin.get("/v1/assignment-rules")
    assert listed.status == 200, listed.body
    return list(listed.body["items"])


def saved(**fields: Any) -> dict[str, Any]:
    response = admin.post("/v1/assignment-rules", {**RULE, **fields})
    assert response.status == 201, response.body
    return dict(response.body)


def test_only_admins_read_or_write_assignment_rules(aws):
    rule = saved()
    for client in (sales, support, ApiClient("marketing")):
        assert client.get("/v1/assignment-rules").status == 403
        assert client.get(f"/v1/assignment-rules/{rule['id']}").status == 403
        assert client.post("/v1/assignment-rules", RULE).status == 403
    assert [r["id"] for r in rules()] == [rule["id"]]


def test_rules_are_tried_in_the_order_an_admin_puts_them(aws):
    # Given three rules, the third put first on creation
    first, second = saved(name="First"), saved(name="Second")
    top = saved(name="Top", position=1)
    assert [(r["name"], r["position"]) for r in rules()] == [("Top", 1), ("First", 2), ("Second", 3)]
    # When the admin reorders them
    ordered = admin.post("/v1/assignment-rules/order", {"rule_ids": [second["id"], top["id"], first["id"]]})
    assert ordered.status == 200, ordered.body
    # Then the list follows, and a reorder that leaves one out is refused
    assert [r["name"] for r in rules()] == ["Second", "Top", "First"]
    refused = admin.post("/v1/assignment-rules/order", {"rule_ids": [second["id"], top["id"]]})
    assert (refused.status, list(refused.body["error"]["fields"])) == (422, ["rule_ids"])
    # And deleting one closes the gap
    stale = admin.get(f"/v1/assignment-rules/{top['id']}").body
    assert admin.call("DELETE", f"/v1/assignment-rules/{top['id']}",
                      headers={"if-match": str(stale["version"])}).status == 204
    assert [(r["name"], r["position"]) for r in rules()] == [("Second", 1), ("First", 2)]


def test_a_rule_is_replaced_whole_with_if_match_and_a_stale_write_is_refused(aws):
    rule = saved()
    changed = admin.call("PUT", f"/v1/assignment-rules/{rule['id']}", {**RULE, "strategy": "least_loaded",
                                                                        "sla_minutes": 60},
                         headers={"if-match": str(rule["version"])})
    assert changed.status == 200, changed.body
    assert (changed.body["strategy"], changed.body["sla_action"]) == ("least_loaded", "alert_manager")
    stale = admin.call("PUT", f"/v1/assignment-rules/{rule['id']}", RULE, headers={"if-match": str(rule["version"])})
    assert stale.status == 412


@pytest.mark.parametrize(("body", "where"), [
    ({**RULE, "strategy": "random"}, "strategy"),
    ({**RULE, "members": []}, "members"),
    ({**RULE, "members": [{"user_id": "rep-a"}, {"user_id": "rep-a"}]}, "members"),
    ({**RULE, "strategy": "weighted", "members": [{"user_id": "rep-a", "weight": 0}]}, "members"),
    ({**RULE, "members": [{"user_id": "rep-a", "daily_cap": -1}]}, "members.0.daily_cap"),
    ({**RULE, "members": [{"user_id": ""}]}, "members.0.user_id"),
    ({**RULE, "conditions": {"min_score": 80, "max_score": 20}}, "conditions.min_score"),
    ({**RULE, "conditions": {"countries": ["Iran"]}}, "conditions.countries.0"),
    ({**RULE, "conditions": {"shoe_size": 44}}, "conditions.shoe_size"),
    ({**RULE, "sla_action": "reassign"}, "sla_minutes"),
    ({**RULE, "sla_minutes": 0}, "sla_minutes"),
    ({**RULE, "name": "\u0000\u0001 "}, "name"),
    ({**RULE, "name": "x" * 201}, "name"),
    ({**RULE, "owner": "me"}, "owner"),
])
def test_a_hostile_rule_is_refused_naming_the_field_and_nothing_is_stored(aws, body, where):
    response = admin.post("/v1/assignment-rules", body)
    assert response.status == 422, response.body
    assert any(key.startswith(where) for key in response.body["error"]["fields"]), response.body
    assert rules() == []


def test_a_body_that_is_no_json_is_a_400(aws):
    response = admin.call("POST", "/v1/assignment-rules", raw_body="{not json")
    assert response.status in (400, 422) and "error" in response.body
    assert rules() == []


json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=40),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                        max_size=4), max_leaves=12)
rule_bodies = st.fixed_dictionaries({}, optional={
    "name": json_values, "strategy": st.sampled_from(["round_robin", "weighted", "least_loaded", "x"]) | json_values,
    "members": st.lists(st.fixed_dictionaries({"user_id": st.text(max_size=130)}, optional={
        "weight": json_values, "daily_cap": json_values, "monthly_cap": json_values}), max_size=3) | json_values,
    "conditions": st.fixed_dictionaries({}, optional={"countries": json_values, "min_score": json_values,
                                                      "sources": json_values}) | json_values,
    "sla_minutes": json_values, "sla_action": json_values, "position": json_values})


def raw(method: str, path: str, body: Any, role: str = "admin") -> dict[str, Any]:
    response = ApiClient(role, user="boss").call(method, path, raw_body=json.dumps(body))
    return {"statusCode": response.status, "body": json.dumps(response.body)}


@pytest.mark.fuzz
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(body=rule_bodies)
def test_any_rule_body_is_accepted_or_refused_cleanly(fuzz_table, body):
    with fuzz_table.example() as table:
        response = raw("POST", "/v1/assignment-rules", body)
        if response["statusCode"] != 201:
            assert_accepted_or_refused_cleanly(response, table)


# --- The staff directory -----------------------------------------------------------------------------------

def test_everyone_reads_and_edits_their_own_profile(aws):
    me = ApiClient("support", user="desk-1")
    blank = me.get("/v1/users/me")
    assert (blank.status, blank.body["id"], blank.body["version"]) == (200, "desk-1", 0)
    saved_profile = me.call("PUT", "/v1/users/me", {"time_zone": "Asia/Tehran", "language": "fa",
                                                   "working_days": ["sat", "sun", "mon"], "work_starts": "09:00",
                                                   "work_ends": "17:30", "away_from": "2026-12-20T00:00:00Z",
                                                   "away_until": "2027-01-03T00:00:00Z"})
    assert saved_profile.status == 200, saved_profile.body
    assert me.get("/v1/users/me").body["time_zone"] == "Asia/Tehran"
    # And a second edit, with the version read, keeps what it does not name
    again = me.call("PUT", "/v1/users/me", {"work_ends": "18:00"}, headers={"if-match": "1"})
    assert (again.status, again.body["work_starts"], again.body["work_ends"]) == (200, "09:00", "18:00")


def test_only_an_admin_sets_a_manager_or_an_email_and_lists_everyone(aws):
    rep = ApiClient("sales", user="rep-a")
    refused = rep.call("PUT", "/v1/users/me", {"manager": "rep-a-friend"})
    assert (refused.status, list(refused.body["error"]["fields"])) == (403, ["manager"])
    assert rep.call("PUT", "/v1/users/rep-b", {"time_zone": "UTC"}).status == 403
    assert rep.get("/v1/users").status == 403
    done = admin.call("PUT", "/v1/users/rep-a", {"manager": "boss", "email": "Rep.A@Example.com"})
    assert done.status == 200, done.body
    assert (done.body["manager"], done.body["email"]) == ("boss", "Rep.A@example.com")
    directory = admin.get("/v1/users")
    assert directory.status == 200 and [p["id"] for p in directory.body["profiles"]] == ["rep-a"]


def test_the_directory_lists_the_pools_users_with_their_groups_read_only(aws, monkeypatch):
    import boto3
    from crm.platform.config import get_settings

    # Given a user pool with a sales rep and an admin who is also in marketing
    cognito = boto3.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="crm-test")["UserPool"]["Id"]
    for group in ("admin", "sales", "marketing", "support"):
        cognito.create_group(UserPoolId=pool, GroupName=group)
    for username, groups in (("ana", ("sales",)), ("bo", ("admin", "marketing"))):
        cognito.admin_create_user(UserPoolId=pool, Username=username,
                                  UserAttributes=[{"Name": "email", "Value": f"{username}@crm.example.com"}])
        for group in groups:
            cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=group)
    monkeypatch.setenv("CRM_USER_POOL_ID", pool)
    get_settings.cache_clear()
    try:
        # When an admin reads the directory
        directory = admin.get("/v1/users")
    finally:
        monkeypatch.delenv("CRM_USER_POOL_ID")
        get_settings.cache_clear()
    # Then each user is there with their sign-in, address and groups
    assert directory.status == 200, directory.body
    assert [(u["username"], u["email"], sorted(u["groups"])) for u in directory.body["users"]] == [
        ("ana", "ana@crm.example.com", ["sales"]), ("bo", "bo@crm.example.com", ["admin", "marketing"])]
    assert all(u["id"] for u in directory.body["users"])


@pytest.mark.parametrize(("body", "where"), [
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"time_zone": "../../etc/passwd"}, "time_zone"),
    ({"work_starts": "9am"}, "work_starts"),
    ({"work_starts": "24:00"}, "work_starts"),
    ({"work_ends": "17:60"}, "work_ends"),
    ({"working_days": ["someday"]}, "working_days"),
    ({"language": "English please"}, "language"),
    ({"away_from": "2026-12-20T00:00:00Z"}, "away_until"),
    ({"away_from": "2026-12-20T00:00:00Z", "away_until": "2026-12-01T00:00:00Z"}, "away_until"),
    ({"away_until": "tomorrow"}, "away_until"),
    ({"shoe_size": 44}, "shoe_size"),
])
def test_a_hostile_profile_is_refused_naming_the_field_and_nothing_is_stored(aws, body, where):
    response = ApiClient("sales", user="rep-a").call("PUT", "/v1/users/me", body)
    assert response.status == 422, response.body
    assert any(key.startswith(where) for key in response.body["error"]["fields"]), response.body
    assert ApiClient("sales", user="rep-a").get("/v1/users/me").body["version"] == 0


def test_a_manager_is_someone_else(aws):
    response = admin.call("PUT", "/v1/users/rep-a", {"manager": "rep-a"})
    assert (response.status, list(response.body["error"]["fields"])) == (422, ["manager"])


profile_bodies = st.fixed_dictionaries({}, optional={
    name: json_values | st.text(max_size=30) for name in (
        "time_zone", "language", "working_days", "work_starts", "work_ends", "away_from", "away_until", "name")})


@pytest.mark.fuzz
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(body=profile_bodies)
def test_any_profile_body_is_accepted_or_refused_cleanly(fuzz_table, body):
    with fuzz_table.example() as table:
        response = raw("PUT", "/v1/users/me", body, role="sales")
        if response["statusCode"] != 200:
            assert_accepted_or_refused_cleanly(response, table)
