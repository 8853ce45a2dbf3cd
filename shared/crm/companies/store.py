"""Writing a company: its item with the index keys that follow its name and owner, and its domain's
sentinel, as part of one change."""

from __future__ import annotations

from typing import Any

from crm.companies.rules import order_key
from crm.companies.spec import COMPANIES, COMPANY, CompanyItem, DomainItem
from crm.platform.errors import HttpError
from crm.platform.text import fold_text
from crm.records.writes import RECORD, Change, create


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
