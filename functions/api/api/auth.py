"""Who is calling and what their Cognito groups allow. The role matrix is data, checked per route."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from crm.platform.access import Caller, caller_from_claims

# Every operation of the served OpenAPI document (method, path as the document spells it) -> the
# PERMISSIONS entry it needs. `authorize` checks it before anything else looks at the request, so a
# caller without the role gets 403 whatever it sent; tests/integration/test_api_roles.py fails for an
# operation without a row. The routes' own `require` calls stay as a second gate.
ROUTE_PERMISSIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "/v1/contacts"): ("contacts", "read"),
    ("POST", "/v1/contacts"): ("contacts", "write"),
    ("GET", "/v1/contacts/{contact_id}"): ("contacts", "read"),
    ("PATCH", "/v1/contacts/{contact_id}"): ("contacts", "write"),
    ("DELETE", "/v1/contacts/{contact_id}"): ("contacts", "write"),
    ("GET", "/v1/contacts/{contact_id}/timeline"): ("contacts", "read"),
    ("GET", "/v1/companies"): ("companies", "read"),
    ("POST", "/v1/companies"): ("companies", "write"),
    ("GET", "/v1/companies/{company_id}"): ("companies", "read"),
    ("PATCH", "/v1/companies/{company_id}"): ("companies", "write"),
    ("DELETE", "/v1/companies/{company_id}"): ("companies", "write"),
    ("GET", "/v1/custom-fields"): ("definitions", "read"),
    ("POST", "/v1/custom-fields"): ("definitions", "write"),
    ("PATCH", "/v1/custom-fields/{entity}/{key}"): ("definitions", "write"),
    ("DELETE", "/v1/custom-fields/{entity}/{key}"): ("definitions", "write"),
    ("GET", "/v1/audit"): ("audit", "read"),
    ("GET", "/v1/scoring-model"): ("scoring_model", "read"),
    ("PUT", "/v1/scoring-model"): ("scoring_model", "write"),
    ("GET", "/v1/payments"): ("payments", "read"),
    ("GET", "/v1/payments/{payment_id}"): ("payments", "read"),
    ("GET", "/v1/emails/{email_id}"): ("emails", "read"),
    ("GET", "/v1/attachments/{attachment_id}"): ("emails", "read"),
    ("GET", "/v1/cases/{case_id}"): ("cases", "read"),
    ("PATCH", "/v1/cases/{case_id}"): ("cases", "write"),
    ("GET", "/v1/mailboxes"): ("mailboxes", "read"),
    ("PUT", "/v1/mailboxes"): ("mailboxes", "write"),
    ("POST", "/v1/contacts/{contact_id}/reassign"): ("contacts", "write"),
    ("POST", "/v1/contacts/{contact_id}/merge"): ("contacts", "write"),
    ("POST", "/v1/contacts/{contact_id}/erase"): ("gdpr", "write"),
    # Qualifying writes a contact and a deal; the gate holds the narrower of the two (the route checks both).
    ("POST", "/v1/contacts/{contact_id}/qualify"): ("deals", "write"),
    ("GET", "/v1/search"): ("contacts", "read"),
    ("GET", "/v1/forms"): ("forms", "read"),
    ("GET", "/v1/forms/{form_id}"): ("forms", "read"),
    ("PUT", "/v1/forms/{form_id}"): ("forms", "write"),
    ("DELETE", "/v1/forms/{form_id}"): ("forms", "write"),
    ("GET", "/v1/pipelines"): ("definitions", "read"),
    ("POST", "/v1/pipelines"): ("definitions", "write"),
    ("GET", "/v1/pipelines/{pipeline_id}"): ("definitions", "read"),
    ("PATCH", "/v1/pipelines/{pipeline_id}"): ("definitions", "write"),
    ("DELETE", "/v1/pipelines/{pipeline_id}"): ("definitions", "write"),
    ("GET", "/v1/deals"): ("deals", "read"),
    ("POST", "/v1/deals"): ("deals", "write"),
    ("GET", "/v1/deals/{deal_id}"): ("deals", "read"),
    ("PATCH", "/v1/deals/{deal_id}"): ("deals", "write"),
    ("DELETE", "/v1/deals/{deal_id}"): ("deals", "write"),
    ("GET", "/v1/deals/{deal_id}/timeline"): ("deals", "read"),
    ("GET", "/v1/activities"): ("activities", "read"),
    ("POST", "/v1/activities"): ("activities", "write"),
    ("GET", "/v1/activities/{activity_id}"): ("activities", "read"),
    ("PATCH", "/v1/activities/{activity_id}"): ("activities", "write"),
    ("DELETE", "/v1/activities/{activity_id}"): ("activities", "write"),
}


# Served to anyone (template.yaml puts no authorizer on them); kept out of the OpenAPI document.
PUBLIC_ROUTES = frozenset({("GET", "/health"), ("GET", "/v1/openapi.json"), ("GET", "/v1/docs")})


def current_caller() -> Caller:
    """The caller of the request being handled (the resolver keeps the current event on its routers)."""
    claims = BaseRouter.current_event.request_context.authorizer.jwt_claim or {}  # type: ignore[attr-defined]
    return caller_from_claims(claims)


def authorize(method: str, path: str) -> None:
    """The first gate of every request, before its parameters and body are validated: 401 without a
    caller, 403 when the caller's roles lack the route's permission. A path no route serves passes on
    to its 404."""
    if (method, path) in PUBLIC_ROUTES:
        return
    caller = current_caller()
    permission = ROUTE_PERMISSIONS.get((method, path))
    if permission is not None:
        caller.require(*permission)
