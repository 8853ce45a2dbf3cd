"""A contact's consent per marketing topic (decision 0052): PUT /v1/contacts/{id}/consent subscribes or
unsubscribes the topics named and leaves the others as they were. Unsubscribing emits Contact Unsubscribed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.contacts.spec import CONTACT, ContactItem
from crm.outbound.consent import MAX_TOPICS, TOPIC, TRANSACTIONAL
from crm.outbound.subscriptions import consent_of, set_consent
from crm.platform.errors import HttpError
from crm.records.reads import expect_version
from crm.records.table import get_item
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.auth import current_caller, requires
from api.params import IfMatch, answers

router = APIGatewayHttpRouter()
Topic = Annotated[str, StringConstraints(pattern=TOPIC.pattern)]


class ConsentChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topics: Annotated[dict[Topic, Literal["subscribed", "unsubscribed"]], Field(min_length=1, max_length=MAX_TOPICS)]
    source: Annotated[str, Field(min_length=1, max_length=100, examples=["phone call", "signed form"])] = "api"


class Consent(BaseModel):
    contact_id: str
    consent: dict[str, Any]


@router.put("/contacts/<contact_id>/consent", responses=answers(200), middlewares=[requires("contacts", "write")])
def put_consent(contact_id: str, body: ConsentChanges, if_match: IfMatch = None) -> Consent:
    """Each topic named is set; `transactional` mail needs no consent and cannot be unsubscribed from."""
    caller = current_caller()
    if TRANSACTIONAL in body.topics:
        raise HttpError(422, "invalid_fields", "Transactional mail needs no consent.",
                        {f"topics.{TRANSACTIONAL}": "Not a marketing topic."})
    contact = get_item(ContactItem, ContactItem.key(contact_id), consistent=True)
    if contact is None or contact.merged_into or contact.erased_at or not CONTACT.viewer(caller)(contact):
        raise HttpError(404, "not_found", "There is no contact with this id.")
    version = expect_version(if_match, contact, "contact") if if_match is not None else None
    after = set_consent(contact_id, body.topics, body.source, caller.user_id, version)
    return {"contact_id": contact_id, "consent": after if after is not None else consent_of(contact)}
