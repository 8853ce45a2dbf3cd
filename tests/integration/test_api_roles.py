"""The role matrix, route by route: every operation the API serves (read from its own OpenAPI document, so a
new route joins by itself) declares its permission on its route (`middlewares=[requires(...)]`), and each
role, and a caller with no role, gets exactly what the role matrix grants it: 403 before anything looks at
its request, else not 403."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api.auth import PUBLIC_ROUTES, Requires, declared_permission
from crm.platform.access import PERMISSIONS, ROLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import table_items
from tests.support.api_client import ApiClient, ApiResponse

NO_ROLE = ""
CALLERS = (*ROLES, NO_ROLE)
# A body no route accepts: a role that may use the route gets 400/422 for it, one that may not gets 403.
HOSTILE_BODY = {"unexpected": ["<script>", "' OR 1=1 --"], "first_name": {"$gt": ""}}
HOSTILE_QUERY = {"limit": "-1", "cursor": "forged", "sort": "nonsense"}


def served_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the document GET /v1/openapi.json serves."""
    spec = ApiClient(authenticated=False).get("/v1/openapi.json")
    assert spec.status == 200, spec.body
    return sorted((method.upper(), path) for path, operations in spec.body["paths"].items()
                  for method in operations)


OPERATIONS = served_operations()


def declared_permissions() -> dict[tuple[str, str], Requires | None]:
    """(method, path) of every route of every router -> the permission it declares on itself."""
    from api.handler import app, include_routers
    from api.routers import ALL_ROUTERS

    include_routers(ALL_ROUTERS)
    return {(route.method, route.openapi_path): declared_permission(route)
            for route in app._static_routes + app._dynamic_routes}


DECLARED = declared_permissions()


def request(caller: ApiClient, method: str, path: str, body: Any = HOSTILE_BODY,
            query: dict[str, str] | None = None) -> ApiResponse:
    """The operation called on a record that does not exist, with the request others would reject."""
    concrete = re.sub(r"\{[^}]+\}", "no-such-record", path)
    return caller.call(method, concrete, body if method in ("POST", "PUT", "PATCH") else None,
                       query=HOSTILE_QUERY if query is None else query, headers={"if-match": '"1"'})


def allowed(role: str, method: str, path: str) -> bool:
    declared = DECLARED[(method, path)]
    assert declared is not None
    return all(role in PERMISSIONS[resource][action] for resource, action in declared.permissions)


def test_every_served_operation_declares_its_permission_on_its_route():
    # Given the operations the API serves and the permission each route declares
    served = set(OPERATIONS)
    declaring = {operation for operation, permission in DECLARED.items() if permission is not None}

    # Then every documented operation declares one, only the public routes declare none, and each names a
    # resource and an action of the role matrix; the public routes stay out of the document
    assert served - declaring == set(), "operations that declare no permission"
    assert set(DECLARED) - declaring == PUBLIC_ROUTES
    assert all(action in PERMISSIONS[resource] for permission in DECLARED.values() if permission
               for resource, action in permission.permissions)
    assert served & PUBLIC_ROUTES == set()
    assert {("GET", "/v1/mailboxes"), ("GET", "/v1/scoring-model"), ("GET", "/v1/payments"),
            ("GET", "/v1/emails/{email_id}"), ("GET", "/v1/cases/{case_id}"),
            ("GET", "/v1/attachments/{attachment_id}"), ("GET", "/v1/contacts/{contact_id}/timeline")} <= served


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_each_role_gets_what_the_matrix_grants_whatever_it_sends(aws, method, path):
    # Given every role and a caller in no group, each sending the same hostile request
    before = table_items(aws["dynamodb"], aws["settings"].table_name)

    # When each calls the operation
    answers = {role: request(ApiClient(role), method, path) for role in CALLERS}

    # Then the roles the matrix grants get past the gate (to their 4xx about the request), the others
    # get 403 forbidden, however malformed their request; nobody gets a 5xx; nothing is written
    for role, response in answers.items():
        assert response.status < 500, (role, response)
        if allowed(role, method, path):
            assert response.status != 403, (role, response)
        else:
            assert (response.status, response.body["error"]["code"]) == (403, "forbidden"), (role, response)
    assert allowed(NO_ROLE, method, path) is False
    assert table_items(aws["dynamodb"], aws["settings"].table_name) == before


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_a_request_without_token_claims_gets_401(aws, method, path):
    # When the operation is called with no JWT claims at all
    response = request(ApiClient(authenticated=False), method, path)

    # Then it is 401 before anything else
    assert (response.status, response.body["error"]["code"]) == (401, "unauthorized")


def test_the_document_and_swagger_ui_need_no_token(aws):
    # When someone without a token opens the API's description
    anonymous = ApiClient(authenticated=False)
    spec, docs = anonymous.get("/v1/openapi.json"), anonymous.get("/v1/docs")

    # Then both are served
    assert spec.status == 200 and spec.body["paths"]
    assert docs.status == 200 and "SwaggerUIBundle" in docs.body


def test_a_valid_write_by_each_granted_role_goes_through_the_gate(aws):
    # Given the roles the matrix lets write contacts
    writers = sorted(PERMISSIONS["contacts"]["write"])

    # When each creates a contact with a valid body, and support tries the same
    created = {role: ApiClient(role).post("/v1/contacts", {"first_name": role}) for role in writers}
    refused = ApiClient("support").post("/v1/contacts", {"first_name": "support"})

    # Then the writers' contacts exist and support's does not
    assert {role: r.status for role, r in created.items()} == dict.fromkeys(writers, 201)
    assert refused.status == 403
    assert len(ApiClient("admin").get("/v1/contacts").body["items"]) == len(writers)


DENIED = [(method, path, role) for method, path in OPERATIONS for role in CALLERS
          if not allowed(role, method, path) and method in ("POST", "PUT", "PATCH")]
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                           max_leaves=12)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(denied=st.sampled_from(DENIED), body=json_values,
       query=st.dictionaries(st.sampled_from(["limit", "cursor", "sort", "entity", "contact_id"]), st.text(),
                             max_size=3))
def test_a_denied_write_is_403_and_changes_nothing_whatever_the_body(aws, denied, body, query):
    # Given a role the matrix does not let write here, and any JSON body and query a stranger could send
    method, path, role = denied
    before = table_items(aws["dynamodb"], aws["settings"].table_name)

    # When it sends them
    response = request(ApiClient(role), method, path, body, query)

    # Then it is 403, never a 400 or 422 that would tell it about the route's fields, and nothing changed
    assert (response.status, response.body["error"]["code"]) == (403, "forbidden")
    assert table_items(aws["dynamodb"], aws["settings"].table_name) == before
