"""Route selection as API Gateway does it for an HttpApi."""

from __future__ import annotations

from crm_local.routes import RouteTable
from crm_local.template import HttpRoute


def route(method: str, path: str) -> HttpRoute:
    return HttpRoute("Fn", method, path, None)


TABLE = RouteTable([
    route("GET", "/v1/contacts/{id}"),
    route("GET", "/v1/contacts/export"),
    route("ANY", "/files/{proxy+}"),
    route("GET", "/files/{proxy+}"),
    route("POST", "/forms/{form_id}/submissions"),
])


def test_a_literal_segment_beats_a_parameter() -> None:
    match = TABLE.match("GET", "/v1/contacts/export")
    assert match is not None
    assert match.route.path == "/v1/contacts/export"


def test_path_parameters_are_bound_and_decoded() -> None:
    match = TABLE.match("GET", "/v1/contacts/a%20b")
    assert match is not None
    assert match.path_parameters == {"id": "a b"}


def test_greedy_parameter_takes_the_rest_and_a_named_method_beats_any() -> None:
    get = TABLE.match("GET", "/files/2024/a.pdf")
    put = TABLE.match("PUT", "/files/2024/a.pdf")
    assert get is not None and put is not None
    assert (get.route.method, get.path_parameters) == ("GET", {"proxy": "2024/a.pdf"})
    assert put.route.method == "ANY"


def test_unrouted_paths_and_methods_do_not_match() -> None:
    assert TABLE.match("GET", "/forms/contact-us/submissions") is None
    assert TABLE.match("POST", "/forms/contact-us/submissions/extra") is None
    assert TABLE.match("GET", "/files") is None
    assert TABLE.match("GET", "/") is None
