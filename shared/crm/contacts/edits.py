"""What the API's and an import's edits of a contact write: a create, an update and a delete as one
transaction each; the contact a caller may see (308 for a merged id, 410 for an
erased one), the sentinels that keep an email or phone on one contact, and an update's index keys. Apart
from crm.contacts.store so that forms, mail and payments do not load it at cold start."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from crm.companies.spec import CompanyItem
from crm.contacts.spec import CONTACT, CUSTOMER_STAGE, ContactItem, UniqueItem, created_detail
from crm.contacts.store import new_contact_item
from crm.platform.access import Caller
from crm.platform.errors import HttpError
from crm.platform.identity import email_key
from crm.platform.text import fold_text
from crm.records.history import HistoryItem, history_entry
from crm.records.reads import load
from crm.records.writes import Change, create, delete, must_exist, new_id, update_viewed

if TYPE_CHECKING:
    from pydantic import BaseModel


def read_contact(caller: Caller, contact_id: str) -> ContactItem:
    """The contact a caller may see; a merged-away id answers with where it went (308), an erased one
    that it is gone for good (410)."""
    item = load(ContactItem, ContactItem.key(contact_id), "contact", CONTACT.viewer(caller))
    if item.erased_at:
        raise HttpError(410, "erased", "This contact was erased.")
    if item.merged_into:
        raise HttpError(308, "merged", f"This contact was merged into {item.merged_into}.",
                        {"merged_into": item.merged_into},
                        headers={"location": f"/v1/contacts/{item.merged_into}"})
    return item


def with_primary_identifiers(values: dict[str, Any], existing: ContactItem | None) -> dict[str, Any]:
    """The primary email and phone are always among `emails` and `phones`."""
    emails = set(values.get("emails", existing.emails or () if existing else ()))
    phones = set(values.get("phones", existing.phones or () if existing else ()))
    if values.get("email"):
        emails.add(email_key(values["email"]))
    if values.get("phone"):
        phones.add(values["phone"])
    if existing is None or "emails" in values or values.get("email"):
        values["emails"] = sorted(emails)
    if existing is None or "phones" in values or values.get("phone"):
        values["phones"] = sorted(phones)
    return values


def contact_attributes(item: ContactItem, values: dict[str, Any]) -> dict[str, Any]:
    """What an update sets on the item, index keys and search name included."""
    attributes = {name: value for name, value in values.items() if name not in ("emails", "phones", "email")}
    if "email" in values:
        attributes["email"] = values["email"]
        attributes["email_key"] = email_key(values["email"]) if values["email"] else None
    if "emails" in values:
        attributes["emails"] = set(values["emails"]) or None
    if "phones" in values:
        attributes["phones"] = set(values["phones"]) or None
    if "lifecycle_stage" in values:
        attributes["lifecycle_stage"] = values["lifecycle_stage"] or item.lifecycle_stage
        attributes["GSI3PK"] = ContactItem.stage_key(attributes["lifecycle_stage"])
    if "lead_status" in values:
        attributes["lead_status"] = values["lead_status"] or "new"
    if "owner" in values:
        attributes["GSI4PK"] = ContactItem.owner_key(values["owner"]) if values["owner"] else None
    if "first_name" in values or "last_name" in values:
        first = values.get("first_name", item.first_name)
        last = values.get("last_name", item.last_name)
        name = " ".join(part for part in (first, last) if part)
        attributes["search_name"] = fold_text(name) if name else None
    return attributes


def claim_identifiers(change: Change, contact_id: str, emails: Iterable[str], phones: Iterable[str]) -> None:
    for kind, values in (("email", emails), ("phone", phones)):
        for value in values:
            change.unique(f"unique:{kind}:{value}", UniqueItem(*UniqueItem.key(kind, value), kind=kind,
                                                               contact_id=contact_id),
                          HttpError(409, f"{kind}_taken", f"Another contact already has {value}.",
                                    {f"{kind}s": f"{value} belongs to another contact."}))


def release_identifiers(change: Change, contact_id: str, emails: set[str], phones: set[str]) -> None:
    for kind, values in (("email", emails), ("phone", phones)):
        for value in values:
            change.transaction.delete(f"release:{kind}:{value}", UniqueItem(*UniqueItem.key(kind, value)),
                                      (UniqueItem.contact_id == contact_id) | UniqueItem.PK.does_not_exist())


def link_company(change: Change, company_id: str | None) -> None:
    """A contact may name only a company that exists."""
    if company_id:
        must_exist(change, "company_id", CompanyItem, CompanyItem.key(company_id), "company")

def link_checks(change: Change, values: dict[str, Any], customers_only: bool = False) -> None:
    """The contact (a customer, for support) and the company a deal or an activity names must exist
    when it is written."""
    if values.get("contact_id"):
        condition = ContactItem.merged_into.does_not_exist() & ContactItem.erased_at.does_not_exist()
        if customers_only:
            condition &= ContactItem.lifecycle_stage == CUSTOMER_STAGE
        must_exist(change, "contact_id", ContactItem, ContactItem.key(values["contact_id"]),
                   "customer" if customers_only else "contact", condition)
    if values.get("company_id"):
        must_exist(change, "company_id", CompanyItem, CompanyItem.key(values["company_id"]), "company")


def add_contact(change: Change, body: BaseModel, source: str = "api") -> dict[str, Any]:
    """A new contact from the API's fields, its identifiers claimed, its company checked, its creation on
    its timeline and in the outbox; the caller commits `change` (whose entity id is the new contact's)."""
    contact_id = change.entity_id
    values = with_primary_identifiers(CONTACT.normalized(body, None), None)
    if not any(values.get(name) for name in ("email", "phone", "first_name", "last_name")):
        raise HttpError(422, "invalid_fields", "A contact needs a name, an email or a phone.",
                        {"email": "Give a name, an email or a phone."})
    emails, phones = values.pop("emails"), values.pop("phones")
    item = new_contact_item(contact_id, now=change.at, lifecycle_stage=values.pop("lifecycle_stage", None) or "lead",
                            source=values.pop("source", None) or source, **values)
    item.emails, item.phones = set(emails) or None, set(phones) or None
    claim_identifiers(change, contact_id, emails, phones)
    link_company(change, values.get("company_id"))
    view = CONTACT.view(item)
    create(change, item, view)
    change.transaction.put("history", history_entry(HistoryItem.key(contact_id, change.at, new_id()), "created",
                                                    "Contact created", {"by": change.actor}, change.at))
    change.transaction.event("Contact Created", created_detail(contact_id, item.source, "api"))
    return view


def edit_contact(change: Change, item: ContactItem, version: int, body: BaseModel) -> dict[str, Any]:
    """An update of the given fields: identifiers claimed and released, the change on the timeline and in
    the outbox when a field changed; returns the view as it will be after the caller commits."""
    contact_id = item.contact_id
    before = CONTACT.view(item)
    values = with_primary_identifiers(CONTACT.normalized(body, item), item)
    old_emails, old_phones = set(item.emails or ()), set(item.phones or ())
    claim_identifiers(change, contact_id, sorted(set(values.get("emails", old_emails)) - old_emails),
                      sorted(set(values.get("phones", old_phones)) - old_phones))
    release_identifiers(change, contact_id, old_emails - set(values.get("emails", old_emails)),
                        old_phones - set(values.get("phones", old_phones)))
    if "company_id" in values:
        link_company(change, values["company_id"])
    after = update_viewed(change, item, version, contact_attributes(item, values), CONTACT.view)
    changed = sorted(name for name in after if name not in ("version", "updated_at") and before[name] != after[name])
    if changed:
        change.transaction.put("history", history_entry(
            HistoryItem.key(contact_id, change.at, new_id()), "updated", "Updated " + ", ".join(changed),
            {"by": change.actor, "fields": changed}, change.at))
        change.transaction.event("Contact Updated", {"contact_id": contact_id, "fields": changed,
                                                       "by": change.actor})
    return after


def remove_contact(change: Change, item: ContactItem, version: int) -> None:
    """Removes the record and frees its emails and phones; history and payments stay where they are."""
    release_identifiers(change, item.contact_id, set(item.emails or ()), set(item.phones or ()))
    delete(change, item, version, CONTACT.view(item))
    change.transaction.event("Contact Deleted", {"contact_id": item.contact_id})
