"""Lambda entry for public web forms: POST submissions, CORS preflight, and the embed script."""

from __future__ import annotations

import re
import time
from typing import Any

from crm.forms.capture import handle_form_submission
from crm.forms.config import FormConfig, InvalidFormConfig, load_form
from crm.forms.request import parse_form_request
from crm.forms.store import DynamoLeadStore
from crm.platform.cache import TtlCache
from crm.platform.clock import iso_now
from crm.platform.config import get_settings
from crm.platform.errors import HttpError, answered, error_response, json_response
from crm.platform.http_event import HttpEvent
from crm.platform.observability import count, logger, metrics
from crm.platform.startup import loaded
from crm.records.table import bind_table

from lead_capture.embed import render_embed_script

_FORM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# A missing form is kept too: submissions to an unknown id cost one read per id and cache period.
_form_cache: TtlCache[str, FormConfig | None] = TtlCache(max_entries=256)
_store: DynamoLeadStore | None = None


def _lead_store() -> DynamoLeadStore:
    global _store
    if _store is None:
        settings = get_settings()
        bind_table(settings)
        _store = DynamoLeadStore(settings)
    return _store


def forget_cached_forms() -> None:
    """Drops this container's cached form configurations (a changed form is seen at once)."""
    _form_cache.clear()


def cached_form(form_id: str) -> FormConfig:
    """The form's configuration, cached per container so a warm submission needs no read."""
    _lead_store()  # binds the table on first use
    config = _form_cache.get(form_id, lambda: _load_form(form_id), get_settings().form_cache_seconds)
    if config is None:
        raise HttpError(404, "form_not_found", "There is no form with this id.")
    return config


def _load_form(form_id: str) -> FormConfig | None:
    try:
        return load_form(form_id) if _FORM_ID.match(form_id) else None
    except InvalidFormConfig:
        logger.warning("stored form configuration is invalid", extra={"form_id": form_id})
        return None


def cors_headers(config: FormConfig, origin: str | None) -> dict[str, str]:
    """CORS only for the form's configured origins; a request from anywhere else is refused."""
    if origin is None:
        return {}
    if origin.rstrip("/") not in config.allowed_origins:
        raise HttpError(403, "origin_not_allowed", "This form does not accept submissions from this site.")
    return {"access-control-allow-origin": origin, "vary": "Origin"}


def submit(http: HttpEvent) -> dict:
    config = cached_form(http.path_parameters.get("form_id", ""))
    headers = cors_headers(config, http.headers.get("origin"))
    try:
        request = parse_form_request(http, config.max_body_bytes)
        outcome = handle_form_submission(config, request, _lead_store(), int(time.time() * 1000), iso_now())
    except HttpError as error:
        count("FormSubmissionRejected")
        return error_response(error, headers)
    if outcome.spam:
        count("FormSubmissionSpam")
        body: dict[str, Any] = {"status": "received"}
        status = 202
    else:
        count("FormSubmissionAccepted")
        count("ContactCreated", int(outcome.created))
        body = {"contact_id": outcome.contact_id, "created": outcome.created}
        status = 201 if outcome.created else 200
    if not request.wants_json and config.redirect_url:
        return {"statusCode": 303, "headers": {**headers, "location": config.redirect_url}, "body": ""}
    return json_response(status, body, headers)


def preflight(http: HttpEvent) -> dict:
    config = cached_form(http.path_parameters.get("form_id", ""))
    headers = cors_headers(config, http.headers.get("origin"))
    return {"statusCode": 204, "body": "", "headers": {
        **headers, "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-headers": "content-type, accept", "access-control-max-age": "600"}}


def embed_script(http: HttpEvent) -> dict:
    config = cached_form(http.path_parameters.get("form_id", ""))
    return {"statusCode": 200, "body": render_embed_script(config, int(time.time() * 1000)), "headers": {
        "content-type": "application/javascript; charset=utf-8", "cache-control": "no-cache",
        "access-control-allow-origin": "*"}}


ROUTES = {
    "POST /forms/{form_id}/submissions": submit,
    "OPTIONS /forms/{form_id}/submissions": preflight,
    "GET /forms/{form_id}/embed.js": embed_script,
}


@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    # An AWS fault or a bug: nothing was accepted, so the client may retry; never show a trace.
    return answered(lambda: _route(event), failed="form request failed", metric="FormRequestFailed",
                    message="The form could not be processed right now; please try again.", retry_after=5)


def _route(event: dict) -> dict:
    http = HttpEvent.from_event(event)
    route = ROUTES.get(http.route_key)
    if route is None:
        raise HttpError(404, "not_found", "No such route.")
    return route(http)


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
