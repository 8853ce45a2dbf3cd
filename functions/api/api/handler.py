"""Lambda entry for the clients' HTTP API (/v1, behind the Cognito JWT authorizer) and /health.

Powertools validates every request against the routes' pydantic models and generates the OpenAPI
document from the same code; it is served at /v1/openapi.json, with Swagger UI at /v1/docs.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from importlib import import_module
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from crm.platform.config import get_settings
from crm.platform.errors import HttpError, unavailable
from crm.platform.observability import logger, metrics
from crm.platform.startup import loaded
from crm.records.table import bind_table

from api.auth import authorize, declared_permission
from api.routers import ALL_ROUTERS, PREFIX, routers_for

TITLE = "Serverless CRM API"
VERSION = "1"

app = APIGatewayHttpResolver(enable_validation=True)
bind_table(get_settings())
_included: set[str] = set()


def include_routers(modules: tuple[str, ...]) -> None:
    """Imports each module once and adds its routes to the app (api.routers says which a path needs)."""
    for module in modules:
        if module not in _included:
            app.include_router(import_module(f"api.routes.{module}").router, prefix=PREFIX)
            _included.add(module)


def declares_permission(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """Fails closed: a route that declares no permission serves nobody. The route's own `requires`
    middleware checks the caller; Powertools validates a request before any middleware runs, and
    `invalid_request` gates those."""
    route = app.context["_route"]
    # A path no route serves reaches here on Powertools' own not-found route, and goes on to its 404.
    if declared_permission(route) is None and route in (*app._static_routes, *app._dynamic_routes):
        authorize(route)
    return next_middleware(app)


app.use([declares_permission])


@functools.cache
def openapi_document() -> str:
    """Built from every router's routes once per container (about 0.1 s). Powertools' OpenAPI models are
    imported here, not at cold start, where they took about 150 ms."""
    from aws_lambda_powertools.event_handler.openapi.models import (  # noqa: PLC0415 - ~150 ms at cold start
        HTTPBearer,
        SecurityScheme,
    )

    from api.spec import with_error_responses  # noqa: PLC0415 - only the document adds its error responses

    include_routers(ALL_ROUTERS)
    bearer = HTTPBearer(bearerFormat="JWT", description="A Cognito ID or access token.")
    security: dict[str, SecurityScheme] = {"cognito": bearer}
    generated = json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION, security_schemes=security,
                                                       security=[{"cognito": []}]))
    # Routers join in the order requests first needed them; sorted, the document is the same in any container.
    generated["paths"] = dict(sorted(generated["paths"].items()))
    return json.dumps(with_error_responses(generated), ensure_ascii=False)


def _json_error(error: HttpError) -> Response:
    return Response(status_code=error.status, content_type="application/json", body=error.body(),
                    headers=error.headers)


@app.get("/health", include_in_schema=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/v1/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    # The cached text as it is: parsing it only for Powertools to serialize it again would cost each call.
    return Response(200, "application/json", openapi_document())


@app.get("/v1/docs", include_in_schema=False)
def swagger_ui() -> Response[str]:
    """Swagger UI over the same document as /v1/openapi.json, its script and styles inlined from the
    copies Powertools ships, so the page needs no CDN."""
    from importlib.resources import files  # noqa: PLC0415 - only the docs page reads the shipped assets

    from aws_lambda_powertools.event_handler.openapi.swagger_ui import (  # noqa: PLC0415 - only the docs page
        generate_swagger_html,
    )

    assets = files("aws_lambda_powertools.event_handler.openapi.swagger_ui")
    html = generate_swagger_html(openapi_document().replace("</", "<\\/"),
                                 assets.joinpath("swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
                                 assets.joinpath("swagger-ui.min.css").read_text(encoding="utf-8"), "", None)
    return Response(200, "text/html", html)


@app.exception_handler(HttpError)
def client_error(error: HttpError) -> Response:
    return _json_error(error)


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response:
    return _refused(validation_error(error.errors()))


@app.exception_handler(RequestUnsupportedContentType)
def unsupported_media_type(_: Exception) -> Response:
    return _refused(HttpError(415, "unsupported_media_type", "Send the body as application/json."))


@app.exception_handler(ValueError)
def malformed_multipart(error: ValueError) -> Response:
    """Powertools parses a multipart body before validation and raises ValueError when it has no boundary;
    the API takes JSON only."""
    if app.current_event.headers.get("content-type", "").lower().startswith("multipart/"):
        return unsupported_media_type(error)
    return unexpected(error)


def _refused(error: HttpError) -> Response:
    """A request Powertools refused before any middleware ran. A caller who may not use the route
    learns that first, whatever its request looked like."""
    try:
        authorize(app.context["_route"])
    except HttpError as denied:
        return _json_error(denied)
    return _json_error(error)


def validation_error(errors: Sequence[Mapping[str, Any]]) -> HttpError:
    """pydantic's findings as the API's one error shape: 400 for a body that is not JSON or a bad query
    parameter, header or path, 422 for a well-formed body whose fields need attention."""
    if any(e.get("type") == "json_invalid" for e in errors):
        return HttpError(400, "invalid_json", "The request body is not valid JSON.")
    fields: dict[str, str] = {}
    for e in errors:
        location = [str(part) for part in e.get("loc", ())]
        fields.setdefault(".".join(location[1:]) or location[0] if location else "body",
                          str(e.get("msg", "Invalid value.")))
    if all(e.get("loc", ("body",))[0] != "body" for e in errors):
        return HttpError(400, "invalid_parameters", "Some parameters need attention.", fields)
    return HttpError(422, "invalid_fields", "Some fields need attention.", fields)


@app.not_found
def not_found(_: Exception) -> Response:
    return _json_error(HttpError(404, "not_found", "No such route."))


# What AWS answers when the table (or another service) is asked more than it takes at the moment.
THROTTLED = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
                       "Throttling", "SlowDown", "TooManyRequestsException"})


@app.exception_handler(Exception)
def unexpected(error: Exception) -> Response:
    if _throttled(error):
        logger.warning("api request throttled", extra={"error": type(error).__name__})
        return _json_error(HttpError(429, "throttled", "Too many requests just now; retry after a moment.",
                                     headers={"retry-after": "2"}))
    logger.exception("api request failed")
    return _json_error(unavailable("Please try again shortly.", retry_after=5))


def _throttled(error: BaseException | None) -> bool:
    """Somewhere in the chain (PynamoDB wraps botocore's error), an AWS error code that means slow down."""
    seen = 0
    while error is not None and seen < 10:
        code = getattr(error, "cause_response_code", None) or \
            (getattr(error, "response", None) or {}).get("Error", {}).get("Code")
        if code in THROTTLED:
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # The resolver's own reading of the path (it drops a named stage), so it finds the routers it matches.
    include_routers(routers_for(APIGatewayProxyEventV2(event).path))
    return app.resolve(event, context)


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
