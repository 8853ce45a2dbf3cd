"""Contacts as every entry point writes them: a new contact built alike by forms, payments, mail and the
API; where a merged id leads; the sentinels that keep an email or phone on one contact; an update's
index keys."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crm.companies.spec import CompanyItem
from crm.contacts.spec import CONTACT, ContactItem, UniqueItem
from crm.platform.access import Caller
from crm.platform.errors import ClientError
from crm.platform.identity import email_key
from crm.platform.text import fold_text
from crm.records.reads import load
from crm.records.table import get_item
from crm.records.writes import Change, must_exist


def new_contact_item(contact_id: str, *, now: str, lifecycle_stage: str, source: str, email: str | None = None,
                     phone: str | None = None, owner: str | None = None, first_name: str | None = None,
                     last_name: str | None = None, custom_fields: dict[str, Any] | None = None,
                     lead_status: str | None = None, **attributes: Any) -> ContactItem:
    """Every key and index key set alike, so a contact appears in the newest-first and score lists
    (score 0 until it is scored) whoever created it; `email` is already normalized."""
    key = email_key(email) if email else None
    name = " ".join(part for part in (first_name, last_name) if part)
    return ContactItem(
        *ContactItem.key(contact_id),
        contact_id=contact_id, email=email, email_key=key, emails={key} if key else None,
        phone=phone, phones={phone} if phone else None, first_name=first_name, last_name=last_name,
        owner=owner, lifecycle_stage=lifecycle_stage, lead_status=lead_status or "new", source=source,
        custom_fields=custom_fields or {}, search_name=fold_text(name) if name else None,
        created_at=now, updated_at=now, version=1,
        GSI1PK=ContactItem.list_key(), GSI1SK=f"{now}#{contact_id}",
        score_key=ContactItem.score_sort_key(0, contact_id), GSI2PK=ContactItem.list_key(),
        GSI3PK=ContactItem.stage_key(lifecycle_stage), GSI4PK=ContactItem.owner_key(owner) if owner else None,
        **attributes,
    )


# A merge into a contact that was itself merged later makes a chain; a few hops cover any real history.
MAX_MERGE_HOPS = 5


def current_contact_id(contact_id: str) -> str | None:
    """Where a stored contact id (a provider's customer link, an id in a webhook's metadata) leads
    now: the contact itself, the one it was merged into, or None when it was erased or never existed."""
    for _ in range(MAX_MERGE_HOPS):
        item = get_item(ContactItem, ContactItem.key(contact_id), consistent=True)
        if item is None or item.erased_at:
            return None
        if not item.merged_into:
            return contact_id
        contact_id = item.merged_into
    return None


def read_contact(caller: Caller, contact_id: str) -> ContactItem:
    """The contact a caller may see; a merged-away id answers with where it went (308), an erased one
    that it is gone for good (410)."""
    item = load(ContactItem, ContactItem.key(contact_id), "contact", CONTACT.viewer(caller))
    if item.erased_at:
        raise ClientError(410, "erased", "This contact was erased.")
    if item.merged_into:
        raise ClientError(308, "merged", f"This contact was merged into {item.merged_into}.",
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
                          ClientError(409, f"{kind}_taken", f"Another contact already has {value}.",
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
