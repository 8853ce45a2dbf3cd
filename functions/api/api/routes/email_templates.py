"""Email templates (decision 0052): a name, a topic (a marketing topic such as newsletter or offers, whose mail
needs the contact's consent, or transactional), and a variant per language with variables such as
{{ contact.first_name }} and {{ user.name }}. Admin and marketing write; everyone reads. A variant that does not
parse, or steps outside the sandbox's language (no loops, calls or arithmetic), is refused with 422 naming it."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.contacts.spec import CONTACT, ContactItem
from crm.outbound.compose import preview
from crm.outbound.render import MAX_LANGUAGE, MAX_SOURCE
from crm.outbound.templates import (
    add_template,
    edit_template,
    read_template,
    remove_template,
    template_view,
    templates_page,
)
from crm.platform.errors import HttpError
from crm.records.reads import expect_version
from crm.records.table import get_item
from pydantic import BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit, answers
from api.responses import created

router = APIGatewayHttpRouter()
REFUSED = "A variant does not parse or uses what templates may not (named in `fields`), or the topic is malformed."
Language = Annotated[str, Field(min_length=1, max_length=MAX_LANGUAGE, examples=["en", "fa", "pt-BR"])]


class Variant(BaseModel):
    """One language's subject, plain text and (optionally) HTML, each a template."""

    model_config = ConfigDict(extra="forbid")
    subject: Annotated[str, Field(min_length=1, max_length=MAX_SOURCE["subject"])]
    text: Annotated[str, Field(min_length=1, max_length=MAX_SOURCE["text"])]
    html: Annotated[str, Field(max_length=MAX_SOURCE["html"])] | None = None


class TemplateFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    topic: Annotated[str, Field(min_length=1, max_length=64, examples=["newsletter", "offers", "transactional"])]
    default_language: Language = "en"
    variants: dict[Language, Variant]


class EmailTemplate(TemplateFields):
    id: str
    version: int
    created_at: str
    updated_at: str
    updated_by: str


class EmailTemplatePage(BaseModel):
    items: list[EmailTemplate]
    next_cursor: str | None


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact_id: Annotated[str, Field(min_length=1, max_length=128)]
    variables: dict[str, Any] = {}


class EmailPreview(BaseModel):
    contact_id: str
    template_id: str
    topic: str | None
    would_send: bool
    skip_reason: str | None
    from_: Annotated[str | None, Field(alias="from")] = None
    to: str | None
    language: str | None
    subject: str | None
    text: str | None
    html: str | None


def _values(body: TemplateFields) -> dict[str, Any]:
    values = body.model_dump()
    values["variants"] = {k: {p: v for p, v in variant.items() if v is not None}
                          for k, variant in values["variants"].items()}
    return values


@router.post("/email-templates", responses=answers(201, {422: REFUSED}),
             middlewares=[requires("email_templates", "write")])
def create_email_template(body: TemplateFields) -> Response[EmailTemplate]:
    view = add_template(current_caller().user_id, _values(body))
    return created(view, f"/v1/email-templates/{view['id']}")


@router.get("/email-templates", middlewares=[requires("email_templates", "read")])
def list_email_templates(limit: Limit = None, cursor: Cursor = None) -> EmailTemplatePage:
    return templates_page(limit, cursor).as_dict()


@router.get("/email-templates/<template_id>", middlewares=[requires("email_templates", "read")])
def get_email_template(template_id: str) -> EmailTemplate:
    return template_view(read_template(template_id))


@router.put("/email-templates/<template_id>", responses=answers(200, {422: REFUSED}),
            middlewares=[requires("email_templates", "write")])
def update_email_template(template_id: str, body: TemplateFields, if_match: IfMatch = None) -> EmailTemplate:
    """Replaces the template whole; with If-Match, only if it is still the version you read."""
    item = read_template(template_id)
    return edit_template(current_caller().user_id, item, expect_version(if_match, item, "email template"),
                         _values(body))


@router.delete("/email-templates/<template_id>", responses=answers(204),
               middlewares=[requires("email_templates", "write")])
def delete_email_template(template_id: str, if_match: IfMatch = None) -> Response[None]:
    item = read_template(template_id)
    remove_template(current_caller().user_id, item, expect_version(if_match, item, "email template"))
    return Response(204)


@router.post("/email-templates/<template_id>/preview", middlewares=[requires("email_templates", "read",
                                                                              ("contacts", "read"))])
def preview_email_template(template_id: str, body: PreviewRequest) -> EmailPreview:
    """The template as the contact would get it (their language, their fields, the unsubscribe link), and
    whether it would be skipped and why (no_consent, unsubscribed, suppressed, no_address...). Sends nothing."""
    read_template(template_id)
    contact = get_item(ContactItem, ContactItem.key(body.contact_id))
    if contact is None or not CONTACT.viewer(current_caller())(contact):
        raise HttpError(422, "invalid_fields", "There is no contact with this id.", {"contact_id": "Not found."})
    return preview(body.contact_id, template_id, body.variables)
