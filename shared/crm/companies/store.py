"""Writing a company: its item with the index keys that follow its name and owner, and its domain's
sentinel, as part of one change."""

from __future__ import annotations

from typing import Any

from crm.companies.rules import order_key
from crm.companies.spec import COMPANIES, COMPANY, CompanyItem, DomainItem
from crm.platform.errors import HttpError
from crm.platform.text import fold_text
from crm.records.writes import RECORD, Change, create, delete, update_viewed


def add_company(change: Change, company_id: str, values: dict[str, Any], label: str = RECORD) -> CompanyItem:
    """A new company as part of `change` (alone, or with a qualified contact's deal): its item, its domain
    sentinel, its audit entry and its event."""
    hash_key, range_key = CompanyItem.key(company_id)
    item = CompanyItem(hash_key, range_key, company_id=company_id, created_at=change.at,
                       updated_at=change.at, version=1, GSI1PK=COMPANIES, GSI1SK=f"{change.at}#{company_id}",
                       GSI2PK=COMPANIES, **index_attributes(company_id, values, None), **values)
    claim_domain(change, company_id, values.get("domain"))
    create(change, item, COMPANY.view(item), label, "company", company_id)
    change.transaction.event("Company Created", {"company_id": company_id})
    return item


def change_company(change: Change, item: CompanyItem, version: int, values: dict[str, Any]) -> dict[str, Any]:
    """An update of the given (normalized) fields, its domain moved with it; the view after the commit."""
    if "domain" in values and values["domain"] != item.domain:
        claim_domain(change, item.company_id, values["domain"])
        release_domain(change, item.company_id, item.domain)
    after = update_viewed(change, item, version, {**values, **index_attributes(item.company_id, values, item)},
                          COMPANY.view)
    change.transaction.event("Company Updated", {"company_id": item.company_id})
    return after


def remove_company(change: Change, item: CompanyItem, version: int) -> None:
    """Removes the company and frees its domain; its contacts and deals keep their own records."""
    release_domain(change, item.company_id, item.domain)
    delete(change, item, version, COMPANY.view(item))
    change.transaction.event("Company Deleted", {"company_id": item.company_id})


def index_attributes(company_id: str, values: dict[str, Any], existing: CompanyItem | None) -> dict[str, Any]:
    """Index keys that follow the name (sort and search) and the owner (lists per owner)."""
    attributes: dict[str, Any] = {}
    if values.get("name"):
        attributes["search_name"] = fold_text(values["name"])
        attributes["order_key"] = order_key(values["name"], company_id)
    if "owner" in values or existing is None:
        owner = values.get("owner")
        attributes["GSI4PK"] = CompanyItem.owner_key(owner) if owner else None
    return attributes


def claim_domain(change: Change, company_id: str, domain: str | None) -> None:
    if domain:
        change.unique(f"unique:domain:{domain}", DomainItem(*DomainItem.key(domain), company_id=company_id),
                      HttpError(409, "domain_taken", f"Another company already has {domain}.",
                                {"domain": f"{domain} belongs to another company."}))


def release_domain(change: Change, company_id: str, domain: str | None) -> None:
    if domain:
        change.transaction.delete(f"release:domain:{domain}", DomainItem(*DomainItem.key(domain)),
                                  (DomainItem.company_id == company_id) | DomainItem.PK.does_not_exist())
