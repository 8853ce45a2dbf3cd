"""Who is calling, and the permission each route declares on itself: `middlewares=[requires("deals", "read")]`.

The role matrix itself (which roles hold which permission) is data in crm.platform.access.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter, Route
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from crm.platform.access import PERMISSIONS, Caller, caller_from_claims
from crm.platform.errors import HttpError

Permission = tuple[str, str]

# Served to anyone (template.yaml puts no authorizer on them); kept out of the OpenAPI document.
PUBLIC_ROUTES = frozenset({("GET", "/health"), ("GET", "/v1/openapi.json"), ("GET", "/v1/docs")})


@dataclass(frozen=True)
class Requires:
    """A route's permission, as a route middleware: the request goes on only if the caller's roles grant
    every permission named (qualifying a contact writes a contact and a deal)."""

    permissions: tuple[Permission, ...]

    # Powertools names each middleware in its call chain.
    __name__ = "requires"

    def check(self, caller: Caller) -> None:
        for resource, action in self.permissions:
            caller.require(resource, action)

    def __call__(self, app: Any, next_middleware: NextMiddleware) -> Any:
        self.check(current_caller())
        return next_middleware(app)


def requires(resource: str, action: str, *more: Permission) -> Requires:
    for name, verb in ((resource, action), *more):
        if verb not in PERMISSIONS[name]:
            raise ValueError(f"the role matrix has no {name}:{verb}")
    return Requires(((resource, action), *more))


def declared_permission(route: Route) -> Requires | None:
    return next((m for m in route.middlewares if isinstance(m, Requires)), None)


def current_caller() -> Caller:
    """The caller of the request being handled (the resolver keeps the current event on its routers)."""
    # Powertools types the current event as its base class; the HTTP API's event has the JWT authorizer.
    claims = BaseRouter.current_event.request_context.authorizer.jwt_claim or {}  # type: ignore[attr-defined]
    return caller_from_claims(claims)


def authorize(route: Route) -> None:
    """The gate of a request Powertools refused before the route's middlewares ran (a body or parameter
    it could not validate): a caller without the route's permission learns that first. A route that
    declares no permission serves nobody but the public routes."""
    if (route.method, route.openapi_path) in PUBLIC_ROUTES:
        return
    permission = declared_permission(route)
    if permission is None:
        raise HttpError(403, "forbidden", "This operation declares no permission.")
    permission.check(current_caller())
