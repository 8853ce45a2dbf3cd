"""What a contact or company profile is findable by, and which term items a new image changes.

The stream carries new images only, so what the record was findable by before comes from its
SearchTermsItem; an image no newer than the one remembered is a re-delivery or arrives out of order,
and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm.companies.spec import CompanyItem
from crm.contacts.spec import ContactItem
from crm.search.terms import company_terms, contact_terms

ENTITIES = {"CONTACT": "contact", "COMPANY": "company"}


@dataclass(frozen=True)
class Entry:
    """The terms of one image of a record and the summary each term item shows."""

    terms: frozenset[str]
    summary: dict[str, str]
    version: int
    updated_at: str

    def newer_than(self, other: Entry) -> bool:
        return (self.version, self.updated_at) > (other.version, other.updated_at)


@dataclass(frozen=True)
class Remembered:
    """What the SearchTermsItem says: the entry indexed last, or that the record is gone for good."""

    entry: Entry | None
    removed: bool = False


@dataclass(frozen=True)
class Writes:
    put: frozenset[str]
    delete: frozenset[str]
    entry: Entry | None  # None: the record is gone; remember that instead of an entry


def entry_of(entity: str, image: dict[str, Any] | None) -> Entry | None:
    """The searchable entry of a stream image; None for a record deleted, merged away or erased."""
    if image is None:
        return None
    if entity == "contact":
        contact = ContactItem.from_raw_data(image)
        if contact.merged_into or contact.erased_at:
            return None
        emails = set(contact.emails or ()) | ({contact.email_key} if contact.email_key else set())
        phones = set(contact.phones or ()) | ({contact.phone} if contact.phone else set())
        name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
        return Entry(frozenset(contact_terms(contact.first_name, contact.last_name, emails, phones, contact.company)),
                     _present(id=contact.contact_id, name=name or contact.email or contact.phone,
                              email=contact.email, phone=contact.phone, company=contact.company,
                              lifecycle_stage=contact.lifecycle_stage, owner=contact.owner),
                     int(contact.version), contact.updated_at)
    company = CompanyItem.from_raw_data(image)
    return Entry(frozenset(company_terms(company.name, company.domain, company.phone)),
                 _present(id=company.company_id, name=company.name, domain=company.domain, phone=company.phone,
                          lifecycle_stage=company.lifecycle_stage, owner=company.owner),
                 int(company.version), company.updated_at)


def writes(new: Entry | None, remembered: Remembered | None) -> Writes | None:
    """The term items to put and delete so the index says what `new` says; None when nothing changes."""
    old = remembered.entry if remembered else None
    if remembered is not None and remembered.removed:
        return None
    if new is None:
        return Writes(frozenset(), old.terms if old else frozenset(), None)
    if old is None:
        return Writes(new.terms, frozenset(), new)
    if not new.newer_than(old):
        return None
    # A new summary (a stage or owner changed) is shown by every term item, so all are written again.
    put = new.terms if new.summary != old.summary else new.terms - old.terms
    return Writes(put, old.terms - new.terms, new)


def _present(**values: Any) -> dict[str, str]:
    return {name: value for name, value in values.items() if value}
