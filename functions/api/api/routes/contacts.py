"""Contacts: create, read, update (If-Match), delete, and list newest first or by score."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.contacts.edits import add_contact, edit_contact, read_contact, remove_contact
from crm.contacts.spec import CONTACT, CUSTOMER_STAGE, LEAD_STATUSES, LIFECYCLE_STAGES, RFM_SEGMENTS, ContactItem
from crm.platform.config import get_settings
from crm.platform.secrets import cursor_secret
from crm.records.reads import all_of, expect_version, list_page
from crm.records.writes import Change, new_id

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit, answers
from api.responses import created

router = APIGatewayHttpRouter()
LifecycleStage = Literal[LIFECYCLE_STAGES]
LeadStatus = Literal[LEAD_STATUSES]
RfmSegment = Literal[RFM_SEGMENTS]
MERGED = "This contact was merged into another; `location` names it."
TAKEN = "An email or phone belongs to another contact."
ContactFields = CONTACT.input_model
Contact = CONTACT.output_model
ContactPage = CONTACT.page_model


@router.get("/contacts/<contact_id>", responses=answers(200, {308: MERGED}), middlewares=[requires("contacts", "read")])
def get_contact(contact_id: str) -> Contact:
    return CONTACT.view(read_contact(current_caller(), contact_id))


@router.get("/contacts", middlewares=[requires("contacts", "read")])
def list_contacts(limit: Limit = None, cursor: Cursor = None,
                  sort: Annotated[Literal["score", "-score"] | None, Query(description="By score.")] = None,
                  lifecycle_stage: Annotated[LifecycleStage | None, Query()] = None,
                  owner: Annotated[str | None, Query(max_length=128)] = None,
                  lead_status: Annotated[LeadStatus | None, Query()] = None,
                  company_id: Annotated[str | None, Query(max_length=64)] = None,
                  rfm_segment: Annotated[RfmSegment | None, Query(description="Only contacts the RFM "
                                                                  "analysis put in this segment.")] = None,
                  ) -> ContactPage:
    """Newest first; or by score (`sort=-score` or `sort=score`), optionally for one lifecycle stage
    and one owner, each served by an index so a page is one Query."""
    stage = lifecycle_stage
    if current_caller().customers_only:
        if stage not in (None, CUSTOMER_STAGE):
            return {"items": [], "next_cursor": None}
        stage = CUSTOMER_STAGE
    by_score = sort is not None or stage is not None or owner is not None
    filters = all_of((ContactItem.lead_status == lead_status) if lead_status else None,
                     (ContactItem.company_id == company_id) if company_id else None,
                     (ContactItem.rfm_segment == rfm_segment) if rfm_segment else None)
    if not by_score:
        query = partial(ContactItem.by_created.query, ContactItem.list_key())
    elif owner is not None:
        filters = all_of(filters, (ContactItem.lifecycle_stage == stage) if stage else None)
        query = partial(ContactItem.by_owner_score.query, ContactItem.owner_key(owner))
    elif stage is not None:
        query = partial(ContactItem.by_stage_score.query, ContactItem.stage_key(stage))
    else:
        query = partial(ContactItem.by_score.query, ContactItem.list_key())
    query = partial(query, filter_condition=filters)
    scope = f"contacts:{sort}:{stage}:{owner}:{lead_status}:{company_id}" + (f":{rfm_segment}" if rfm_segment else "")
    return list_page(query, CONTACT.view, scope=scope, secret=cursor_secret(get_settings()), limit=limit,
                     cursor=cursor, ascending=sort == "score").as_dict()


@router.post("/contacts", responses=answers(201, {409: TAKEN}), middlewares=[requires("contacts", "write")])
def create_contact(body: ContactFields) -> Response[Contact]:
    change = Change("contact", new_id(), "create", current_caller().user_id)
    view = add_contact(change, body)
    change.commit()
    return created(view, f"/v1/contacts/{change.entity_id}")


@router.patch("/contacts/<contact_id>", responses=answers(200, {308: MERGED, 409: TAKEN}),
              middlewares=[requires("contacts", "write")])
def update_contact(contact_id: str, body: ContactFields, if_match: IfMatch = None) -> Contact:
    caller = current_caller()
    item = read_contact(caller, contact_id)
    version = expect_version(if_match, item, "contact")
    change = Change("contact", contact_id, "update", caller.user_id)
    after = edit_contact(change, item, version, body)
    change.commit()
    return after


@router.delete("/contacts/<contact_id>", responses=answers(204, {308: MERGED}),
               middlewares=[requires("contacts", "write")])
def delete_contact(contact_id: str, if_match: IfMatch = None) -> Response[None]:
    """Removes the record and frees its emails and phones; history and payments stay where they are.
    To remove a person's data everywhere, erase them (GDPR) instead."""
    caller = current_caller()
    item = read_contact(caller, contact_id)
    version = expect_version(if_match, item, "contact")
    change = Change("contact", contact_id, "delete", caller.user_id)
    remove_contact(change, item, version)
    change.commit()
    return Response(204)
