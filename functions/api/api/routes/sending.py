"""Staff write from the CRM (decision 0052): POST /v1/emails sends through SES from the caller's own address on
the business's domain, threaded with the email it replies to, on the contact's timeline. A retry with the same
Idempotency-Key (or, without one, the same request the same day) sends nothing a second time."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.outbound.staff import MAX_ATTACHMENTS, Request, send_from_staff
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.auth import current_caller, requires
from api.params import answers

router = APIGatewayHttpRouter()
IdempotencyKey = Annotated[str | None, Header(alias="idempotency-key", max_length=200, description=(
    "Any unique string for this message: a retry with the same key sends nothing again."))]


class FileToAttach(BaseModel):
    """A file in the request (base64, 4 MB in all), or one the CRM holds (an attachment's id)."""

    model_config = ConfigDict(extra="forbid")
    attachment_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    filename: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    content_type: Annotated[str, Field(pattern=r"^[\w.+-]+/[\w.+-]+$", max_length=127)] | None = None
    content_base64: Annotated[str, Field(max_length=6 * 1024 * 1024)] | None = None

    @model_validator(mode="after")
    def one_kind(self) -> FileToAttach:
        inline = (self.filename, self.content_type, self.content_base64)
        if self.attachment_id is None and None in inline:
            raise ValueError("Give attachment_id, or filename, content_type and content_base64.")
        if self.attachment_id is not None and any(v is not None for v in inline):
            raise ValueError("Give attachment_id alone, or a file inline, not both.")
        return self


class OutgoingEmail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    to: Annotated[str, Field(min_length=3, max_length=320)] | None = None
    subject: Annotated[str, Field(max_length=998)] | None = None
    text: Annotated[str, Field(max_length=200_000)] | None = None
    html: Annotated[str, Field(max_length=400_000)] | None = None
    reply_to_email_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    template_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    variables: dict[str, Any] = {}
    attachments: Annotated[list[FileToAttach], Field(max_length=MAX_ATTACHMENTS)] = []


class SentEmail(BaseModel):
    status: str
    reason: str | None
    email_id: str | None
    message_id: str | None
    to: str
    contact_id: str | None
    thread_id: str | None
    subject: str


@router.post("/emails", responses=answers(201, {409: "The contact may not get this topic's mail, or the address "
                                                     "is suppressed.", 413: "The attached files are too large."}),
             middlewares=[requires("emails", "write")])
def send_email(body: OutgoingEmail, idempotency_key: IdempotencyKey = None) -> Response[dict[str, Any]]:
    """201 when sent; 200 with status `skipped` and reason `sent_before` for a retry of a message already sent."""
    values = body.model_dump()
    values["attachments"] = [{k: v for k, v in a.items() if v is not None} for a in values["attachments"]]
    result = send_from_staff(current_caller(), Request(**values), idempotency_key)
    return Response(201 if result["status"] == "sent" else 200, "application/json", result)
