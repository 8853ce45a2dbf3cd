"""The OpenAPI document as served: the one Powertools generates from the routes, with the errors every
operation may answer in the API's one error shape (Powertools documents only its own 422 shape)."""

from __future__ import annotations

from typing import Any

from api.params import STALE, ErrorBody

_REF = "#/components/schemas/{model}"
# What any operation may answer: the role gate and the handler's error mapping (api.handler).
_EVERY_OPERATION = {
    400: "A query parameter, header or path part needs attention, or the body is not JSON.",
    401: "No caller: the request carried no token claims.",
    403: "The caller's roles may not do this (checked before the request is validated).",
    422: "Some fields of the body need attention; `fields` says which.",
    429: "Too many requests just now (the table is throttling); retry after the `retry-after` seconds.",
    503: "Temporarily unavailable; retry after the `retry-after` seconds.",
}
_NOT_FOUND = "There is no record with this id (or the caller may not see it)."


def with_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorBody.model_json_schema(ref_template=_REF)
    schemas.update(error_schema.pop("$defs", {}), ErrorBody=error_schema)
    # Powertools' own validation errors are never answered: a bad request gets ErrorBody, a bad response is ours.
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            parameters = operation.get("parameters", [])
            errors = dict(_EVERY_OPERATION)
            if any(p["in"] == "path" for p in parameters):
                errors[404] = _NOT_FOUND
            if "requestBody" in operation:
                errors[415] = "The body is not sent as application/json."
            if any(p["in"] == "header" and p["name"].lower() == "if-match" for p in parameters):
                errors[412] = STALE
            responses = operation.setdefault("responses", {})
            for status, description in errors.items():
                if str(status) == "422" or str(status) not in responses:
                    responses[str(status)] = {"description": description, "content": {
                        "application/json": {"schema": {"$ref": _REF.format(model="ErrorBody")}}}}
    return document
