"""The API's routers load lazily (api.routers): a request loads the routers that may serve its path, a cold
container loads none of them, and the OpenAPI document still lists every route of every router."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from tests.conftest import ROOT

# A fresh container: one request a role may not make (answered 403 before any AWS call), then the document.
COLD_CONTAINER = """
import json, sys
import api.handler
from tests.support.api_client import ApiClient

def loaded():
    return sorted(name for name in sys.modules if name.startswith("api."))

cold = loaded()
denied = ApiClient("sales").get("/v1/audit").status
after_audit = loaded()
spec = ApiClient(authenticated=False).get("/v1/openapi.json").body
operations = sorted([method.upper(), path] for path, item in spec["paths"].items() for method in item)
print(json.dumps({"cold": cold, "denied": denied, "after_audit": after_audit, "operations": operations,
                  "paths": list(spec["paths"])}))
"""


def router_routes() -> dict[str, set[tuple[str, str]]]:
    """Each api module with a router -> (method, rule) of each of its routes, as the router declares them."""
    import api.routes

    routes = {}
    for info in pkgutil.iter_modules(api.routes.__path__):
        router = getattr(importlib.import_module(f"api.routes.{info.name}"), "router", None)
        if isinstance(router, APIGatewayHttpRouter):
            # Powertools keeps a router's routes keyed by (rule, methods, ...) until a resolver includes them.
            routes[info.name] = {(method.upper(), key[0]) for key in router._routes for method in key[1]}
    return routes


def test_every_route_of_every_router_is_loaded_by_the_paths_it_serves():
    from api.routers import ALL_ROUTERS, routers_for

    # Given every route of every module of the api package that has a router
    routes = router_routes()

    # Then each module is in the table, and a path each route serves (any value in its parameters) loads it
    assert set(routes) == set(ALL_ROUTERS)
    for module, module_routes in routes.items():
        for _, rule in module_routes:
            assert module in routers_for("/v1" + re.sub(r"<\w+>", "x", rule)), (module, rule)
    assert routers_for("/health") == routers_for("/v1/openapi.json") == routers_for("/v1/nothing") == ()


def test_a_cold_container_loads_only_the_routers_a_request_needs_and_documents_every_route():
    # Given a fresh interpreter, as a cold Lambda container
    # (whose AWS is a closed local port: nothing it does may leave the machine)
    result = subprocess.run([sys.executable, "-c", COLD_CONTAINER], cwd=ROOT, capture_output=True, text=True,
                            env=os.environ | {"CRM_AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, timeout=120, check=True)
    seen = json.loads(result.stdout.splitlines()[-1])
    routes = router_routes()

    # Then importing the handler loads no router, a request loads its own router and not another's
    assert not {f"api.routes.{module}" for module in routes} & set(seen["cold"])
    assert seen["denied"] == 403
    assert "api.routes.audit" in seen["after_audit"] and "api.routes.deals" not in seen["after_audit"]
    # And the document lists every route of every router, though only one had been loaded before it
    documented = {(method, path) for method, path in seen["operations"]}
    declared = {(method, "/v1" + re.sub(r"<(\w+)>", r"{\1}", rule)) for module_routes in routes.values()
                for method, rule in module_routes}
    assert documented == declared
    # In one order whatever order the routers were loaded in, so every container serves the same document
    assert seen["paths"] == sorted(seen["paths"])
