"""What the API's edits of a contact write: the contact a caller may see (308 for a merged id, 410 for an
erased one), the sentinels that keep an email or phone on one contact, and an update's index keys. Apart
from crm.contacts.store so that forms, mail and payments do not load it at cold start."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crm.companies.spec import CompanyItem
from crm.contacts.spec import CONTACT, CUSTOMER_STAGE, ContactItem, UniqueItem
from crm.platform.access import Caller
from crm.platform.errors import HttpError
from crm.platform.identity import email_key
from crm.platform.text import fold_text
from crm.records.reads import load
from crm.records.writes import Change, must_exist


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
