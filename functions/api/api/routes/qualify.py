"""Qualifying a contact into a deal, in one transaction: the deal opens in its pipeline's first stage, the
company the body names is linked (found by its domain) or created, and the contact moves on to the
`opportunity` lifecycle stage (a contact already an opportunity, a customer or `other` keeps its stage).
Everything is audited, on the timelines, and announced; if any part fails, nothing is written."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.companies.spec import COMPANY, CompanyItem, DomainItem
from crm.companies.store import add_company
from crm.contacts.edits import contact_attributes, read_contact
from crm.contacts.spec import CONTACT
from crm.deals.spec import DEAL
from crm.deals.store import add_deal, planned_deal
from crm.platform.errors import HttpError
from crm.records.history import HistoryItem, history_entry
from crm.records.reads import expect_version
from crm.records.table import get_item
from crm.records.writes import Change, must_exist, new_id, update_viewed
from pydantic import BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.params import IfMatch

router = APIGatewayHttpRouter()
OPPORTUNITY = "opportunity"
BEFORE_OPPORTUNITY = ("subscriber", "lead", "mql", "sql")
_SET_BY_QUALIFY = ("stage", "status", "contact_id", "company_id")
CompanyFields = COMPANY.input_model
Company = COMPANY.output_model
Contact = CONTACT.output_model
# Built at run time from the spec: to the checker a body of this model has no methods (attr-defined below).
DealFields = DEAL.input_model
Deal = DEAL.output_model
CompanyId = DEAL.fields["company_id"].input_type()


class Qualification(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deal: DealFields = Field(default_factory=DealFields, description=(
        "The deal's fields; default name from the contact, default pipeline `default`. It opens in the "
        "pipeline's first stage, for this contact and the company below."))
    company_id: CompanyId | None = Field(None, description="An existing company; default the contact's.")
    company: CompanyFields | None = Field(None, description=(
        "A company by name and domain: the one with this domain if there is one, else a new one."))


class Qualified(BaseModel):
    deal: Deal
    contact: Contact
    company: Company | None


@router.post("/contacts/<contact_id>/qualify", responses={201: {"description": "Qualified"}},
             middlewares=[requires("deals", "write", ("contacts", "write"))])
def qualify_contact(contact_id: str, body: Qualification, if_match: IfMatch = None) -> Response[Qualified]:
    """If-Match, when sent, is the contact's version."""
    caller = current_caller()
    if body.company_id is not None and body.company is not None:
        raise HttpError(422, "invalid_fields", "Name a company by id or by name and domain, not both.",
                        {"company": "Give company_id or company."})
    fixed = sorted(set(_SET_BY_QUALIFY) & body.deal.model_fields_set)  # type: ignore[attr-defined]
    if fixed:
        raise HttpError(422, "invalid_fields", "Qualifying sets these deal fields itself.",
                        {f"deal.{name}": "Set by qualifying." for name in fixed})
    contact = read_contact(caller, contact_id)
    version = expect_version(if_match, contact, "contact")
    deal_id = new_id()
    change = Change("deal", deal_id, "qualify", caller.user_id)
    change.conflicts["contact"] = HttpError(412, "version_mismatch", "The contact changed meanwhile; read it again.")
    company = _company(change, body, contact.company_id)
    submitted = {**body.deal.model_dump(exclude_unset=True), "contact_id": contact_id,  # type: ignore[attr-defined]
                 "company_id": company.company_id if company else None}
    submitted.setdefault("name", _deal_name(contact, company))
    values, pipeline = planned_deal(submitted, None, change.at)
    deal = add_deal(change, deal_id, values, pipeline)
    changes: dict[str, Any] = {}
    if contact.lifecycle_stage in BEFORE_OPPORTUNITY:
        changes["lifecycle_stage"] = OPPORTUNITY
    if company is not None and company.company_id != contact.company_id:
        changes["company_id"] = company.company_id
    after = update_viewed(change, contact, version, contact_attributes(contact, changes), CONTACT.view,
                          "contact", "contact", contact_id)
    change.transaction.put("history:contact:qualified", history_entry(
        HistoryItem.key(contact_id, change.at, new_id()), "qualified", f"Qualified into deal {deal.name}",
        {"by": caller.user_id, "deal_id": deal_id, "fields": sorted(changes)}, change.at))
    change.transaction.event("Contact Updated", {"contact_id": contact_id, "fields": sorted(changes),
                                                 "deal_id": deal_id})
    change.commit()
    view = {"deal": DEAL.view(deal), "contact": after, "company": COMPANY.view(company) if company else None}
    # The body is the dict Powertools validates against Qualified, as a route's return value is.
    return Response(201, "application/json", view, headers={"location": f"/v1/deals/{deal_id}"})  # type: ignore[arg-type]


def _company(change: Change, body: Qualification, contact_company_id: str | None) -> CompanyItem | None:
    """The company of the deal: created in `change` when the body names a domain no company has (or no
    domain), else an existing one that must still exist when the transaction commits."""
    company_id = body.company_id
    if body.company is None and company_id is None and contact_company_id:
        linked = get_item(CompanyItem, CompanyItem.key(contact_company_id), consistent=True)
        company_id = linked.company_id if linked else None  # a company deleted since is not carried over
    if body.company is not None:
        values = COMPANY.normalized(body.company, None, required=False)
        owner = get_item(DomainItem, DomainItem.key(values["domain"])) if values.get("domain") else None
        if owner is None:
            if not values.get("name"):
                raise HttpError(422, "invalid_fields", "A new company needs a name.", {"company.name": "Required."})
            return add_company(change, new_id(), values, label="company")
        company_id = owner.company_id
    if company_id is None:
        return None
    company = get_item(CompanyItem, CompanyItem.key(company_id), consistent=True)
    if company is None:
        raise HttpError(422, "invalid_fields", "There is no company with this id.",
                        {"company_id": "There is no company with this id."})
    must_exist(change, "company_id", CompanyItem, CompanyItem.key(company_id), "company")
    return company


def _deal_name(contact: Any, company: CompanyItem | None) -> str:
    person = " ".join(part for part in (contact.first_name, contact.last_name) if part) or contact.email or "Contact"
    return f"{company.name} – {person}" if company else person
