"""Operations on a contact as a whole: hand it (with its open deals and activities) to another owner,
merge a duplicate into it, or erase the person (GDPR). The logic is in api.contact_moves and api.erase."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.contacts.edits import read_contact
from crm.contacts.erase import erase, tombstone_view
from crm.contacts.moves import ACTIVITIES, DEALS, merge, reassign
from crm.contacts.spec import CONTACT
from crm.records.reads import expect_version
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.auth import current_caller, requires
from api.params import IfMatch

router = APIGatewayHttpRouter()
Contact = CONTACT.output_model
# A user id (a Cognito `sub` or username): printable, no control characters, no surrounding blanks.
UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128,
                                          pattern=r"^[^\x00-\x1f\x7f]+$")]
ContactId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                             pattern=r"^[A-Za-z0-9_-]+$")]


class Reassignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner: UserId = Field(description="The user who owns the contact from now on.")
    include_open_deals: bool = Field(True, description="Move the contact's open deals to the new owner too.")
    include_open_activities: bool = Field(True, description="Move its activities not done yet too.")


class Merger(BaseModel):
    model_config = ConfigDict(extra="forbid")
    loser_id: ContactId = Field(description="The duplicate: it becomes a redirect to this contact.")


class Moved(BaseModel):
    contact: Contact
    moved: dict[str, Any]


class Tombstone(BaseModel):
    id: str
    erased_at: str | None
    erased_by: str | None
    version: int


@router.post("/contacts/<contact_id>/reassign", middlewares=[requires("contacts", "write")])
def reassign_contact(contact_id: str, body: Reassignment, if_match: IfMatch = None) -> Moved:
    """The contact and, in the same transaction, its open deals and not-done activities move to `owner`
    (up to 48 of them; more is a 409). Audited per record, on the timeline, and `Contact Reassigned`."""
    caller = current_caller()
    item = read_contact(caller, contact_id)
    version = expect_version(if_match, item, "contact")
    kinds = tuple(kind for kind, wanted in ((DEALS, body.include_open_deals),
                                            (ACTIVITIES, body.include_open_activities)) if wanted)
    return reassign(caller.user_id, item, version, body.owner, kinds)


@router.post("/contacts/<contact_id>/merge", middlewares=[requires("contacts", "write")])
def merge_contacts(contact_id: str, body: Merger, if_match: IfMatch = None) -> Moved:
    """Merges `loser_id` into this contact: this contact keeps its values and gains the loser's where it
    has none, every email and phone, its timeline, payments, deals and activities; the loser answers 308
    from then on. Repeating a merge that was cut short finishes it."""
    caller = current_caller()
    return merge(caller.user_id, contact_id, body.loser_id, if_match)


@router.post("/contacts/<contact_id>/erase", middlewares=[requires("gdpr", "write")])
def erase_contact(contact_id: str) -> Tombstone:
    """Admins only (GDPR). Deletes the person's data from the table and the buckets, keeps payments for
    the books and the audit trail without values; the contact answers 410 from then on. Repeating an
    erase finishes one that was cut short and answers the tombstone again."""
    caller = current_caller()
    return tombstone_view(erase(caller.user_id, contact_id))
