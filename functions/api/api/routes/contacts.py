"""Contacts: create, read, update (If-Match), delete, and list newest first or by score."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.companies.spec import CompanyItem
from crm.contacts.identity import InvalidValue, email_key, normalize_email
from crm.contacts.phone import normalize_phone
from crm.contacts.spec import ContactItem, UniqueItem
from crm.contacts.store import new_contact_item
from crm.platform.access import Caller
from crm.platform.config import get_settings
from crm.platform.errors import ClientError
from crm.platform.secrets import cursor_secret
from crm.platform.text import clean_text, fold_text
from crm.records.history import HistoryItem, history_entry
from crm.records.reads import all_of, expect_version, list_page, load
from crm.records.writes import Change, create, delete, must_exist, new_id, update
from pydantic import BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit, answers
from api.responses import created
from api.routes.custom_fields import checked_custom_fields

router = APIGatewayHttpRouter()
CUSTOMER_STAGE = "customer"
LifecycleStage = Literal["subscriber", "lead", "mql", "sql", "opportunity", "customer", "other"]
LeadStatus = Literal["new", "attempted_contact", "contacted", "future_contact", "not_interested", "junk", "lost",
                     "pre_qualified", "qualified", "warm", "hot"]
ShortText = Annotated[str, Field(max_length=200)]
MAX_IDENTIFIERS = 20
MERGED = "This contact was merged into another; `location` names it."
TAKEN = "An email or phone belongs to another contact."


class ContactFields(BaseModel):
    """A contact's editable fields. In a PATCH, absent fields stay as they are and null clears one."""

    model_config = ConfigDict(extra="forbid")
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    email: Annotated[str, Field(max_length=320)] | None = Field(None, description="The primary address.")
    emails: Annotated[list[Annotated[str, Field(max_length=320)]], Field(max_length=MAX_IDENTIFIERS)] | None = \
        Field(None, description="Every address of the person, the primary one included.")
    phone: Annotated[str, Field(max_length=64)] | None = Field(None, description="Any format; stored as E.164.")
    phones: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=MAX_IDENTIFIERS)] | None = None
    company: ShortText | None = None
    company_id: Annotated[str, Field(max_length=64)] | None = None
    job_title: ShortText | None = None
    owner: Annotated[str, Field(max_length=128)] | None = None
    lifecycle_stage: LifecycleStage | None = None
    lead_status: LeadStatus | None = None
    source: ShortText | None = None
    custom_fields: dict[str, Any] | None = None


class Contact(BaseModel):
    id: str
    email: str | None
    emails: list[str]
    phone: str | None
    phones: list[str]
    first_name: str | None
    last_name: str | None
    company: str | None
    company_id: str | None
    job_title: str | None
    owner: str | None
    lifecycle_stage: str
    lead_status: str
    source: str | None
    custom_fields: dict[str, Any]
    first_touch: dict[str, Any] | None
    last_touch: dict[str, Any] | None
    created_at: str
    updated_at: str
    version: int
    score: int | None
    grade: str | None
    score_breakdown: list[Any]


class ContactPage(BaseModel):
    items: list[Contact]
    next_cursor: str | None


def contact_view(item: ContactItem) -> dict[str, Any]:
    return {
        "id": item.contact_id,
        "email": item.email,
        "emails": sorted(item.emails or ()),
        "phone": item.phone,
        "phones": sorted(item.phones or ()),
        "first_name": item.first_name,
        "last_name": item.last_name,
        "company": item.company,
        "company_id": item.company_id,
        "job_title": item.job_title,
        "owner": item.owner,
        "lifecycle_stage": item.lifecycle_stage,
        "lead_status": item.lead_status,
        "source": item.source,
        "custom_fields": plain_numbers(item.custom_fields.as_dict()) if item.custom_fields else {},
        "first_touch": item.first_touch.as_dict() if item.first_touch else None,
        "last_touch": item.last_touch.as_dict() if item.last_touch else None,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "version": int(item.version),
        "score": int(item.score) if item.score is not None else None,
        "grade": item.grade,
        "score_breakdown": list(item.score_breakdown) if item.score_breakdown is not None else [],
    }


def plain_numbers(values: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB numbers come back as Decimal; JSON wants int or float."""
    return {k: (int(v) if v == v.to_integral_value() else float(v)) if isinstance(v, Decimal) else v
            for k, v in values.items()}


def read_contact(caller: Caller, contact_id: str) -> ContactItem:
    """The contact a caller may see; a merged-away id answers with where it went (308), an erased one
    that it is gone for good (410)."""
    item = load(ContactItem, ContactItem.key(contact_id), "contact",
                lambda found: (not caller.customers_only or found.lifecycle_stage == CUSTOMER_STAGE
                               or found.merged_into is not None or found.erased_at is not None))
    if item.erased_at:
        raise ClientError(410, "erased", "This contact was erased.")
    if item.merged_into:
        raise ClientError(308, "merged", f"This contact was merged into {item.merged_into}.",
                          {"merged_into": item.merged_into},
                          headers={"location": f"/v1/contacts/{item.merged_into}"})
    return item


@router.get("/contacts/<contact_id>", responses=answers(200, {308: MERGED}), middlewares=[requires("contacts", "read")])
def get_contact(contact_id: str) -> Contact:
    caller = current_caller()
    return contact_view(read_contact(caller, contact_id))


@router.get("/contacts", middlewares=[requires("contacts", "read")])
def list_contacts(limit: Limit = None, cursor: Cursor = None,
                  sort: Annotated[Literal["score", "-score"] | None, Query(description="By score.")] = None,
                  lifecycle_stage: Annotated[LifecycleStage | None, Query()] = None,
                  owner: Annotated[str | None, Query(max_length=128)] = None,
                  lead_status: Annotated[LeadStatus | None, Query()] = None,
                  company_id: Annotated[str | None, Query(max_length=64)] = None) -> ContactPage:
    """Newest first; or by score (`sort=-score` or `sort=score`), optionally for one lifecycle stage
    and one owner, each served by an index so a page is one Query."""
    caller = current_caller()
    stage = lifecycle_stage
    if caller.customers_only:
        if stage not in (None, CUSTOMER_STAGE):
            return {"items": [], "next_cursor": None}
        stage = CUSTOMER_STAGE
    by_score = sort is not None or stage is not None or owner is not None
    filters = all_of((ContactItem.lead_status == lead_status) if lead_status else None,
                     (ContactItem.company_id == company_id) if company_id else None)
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
    scope = f"contacts:{sort}:{stage}:{owner}:{lead_status}:{company_id}"
    return list_page(query, contact_view, scope=scope, secret=cursor_secret(get_settings()), limit=limit,
                     cursor=cursor, ascending=sort == "score").as_dict()


@router.post("/contacts", responses=answers(201, {409: TAKEN}), middlewares=[requires("contacts", "write")])
def create_contact(body: ContactFields) -> Response[Contact]:
    caller = current_caller()
    values = normalized_contact_fields(body, None)
    if not any(values.get(name) for name in ("email", "phone", "first_name", "last_name")):
        raise ClientError(422, "invalid_fields", "A contact needs a name, an email or a phone.",
                          {"email": "Give a name, an email or a phone."})
    contact_id = new_id()
    change = Change("contact", contact_id, "create", caller.user_id)
    emails, phones = values.pop("emails"), values.pop("phones")
    item = new_contact_item(contact_id, now=change.at, lifecycle_stage=values.pop("lifecycle_stage", None) or "lead",
                            source=values.pop("source", None) or "api", **values)
    item.emails, item.phones = set(emails) or None, set(phones) or None
    claim_identifiers(change, contact_id, emails, phones)
    link_company(change, values.get("company_id"))
    view = contact_view(item)
    create(change, item, view)
    change.transaction.put("history", history_entry(HistoryItem.key(contact_id, change.at, new_id()), "created",
                                                    "Contact created", {"by": caller.user_id}, change.at))
    change.transaction.event("Contact Created", {"contact_id": contact_id, "source": item.source})
    change.commit()
    return created(view, f"/v1/contacts/{contact_id}")


@router.patch("/contacts/<contact_id>", responses=answers(200, {308: MERGED, 409: TAKEN}),
              middlewares=[requires("contacts", "write")])
def update_contact(contact_id: str, body: ContactFields, if_match: IfMatch = None) -> Contact:
    caller = current_caller()
    item = read_contact(caller, contact_id)
    version = expect_version(if_match, item, "contact")
    before = contact_view(item)
    values = normalized_contact_fields(body, item)
    change = Change("contact", contact_id, "update", caller.user_id)
    attributes = contact_attributes(item, values)
    old_emails, old_phones = set(item.emails or ()), set(item.phones or ())
    claim_identifiers(change, contact_id, sorted(set(values.get("emails", old_emails)) - old_emails),
                      sorted(set(values.get("phones", old_phones)) - old_phones))
    release_identifiers(change, contact_id, old_emails - set(values.get("emails", old_emails)),
                        old_phones - set(values.get("phones", old_phones)))
    if "company_id" in values:
        link_company(change, values["company_id"])
    for name, value in attributes.items():
        setattr(item, name, value)
    after = contact_view(item)
    update(change, item, version, attributes, before, after)
    changed = sorted(name for name in after if name not in ("version", "updated_at") and before[name] != after[name])
    if changed:
        change.transaction.put("history", history_entry(
            HistoryItem.key(contact_id, change.at, new_id()), "updated", "Updated " + ", ".join(changed),
            {"by": caller.user_id, "fields": changed}, change.at))
        change.transaction.event("Contact Updated", {"contact_id": contact_id, "fields": changed})
    change.commit()
    item.version = version + 1
    item.updated_at = change.at
    return contact_view(item)


@router.delete("/contacts/<contact_id>", responses=answers(204, {308: MERGED}),
               middlewares=[requires("contacts", "write")])
def delete_contact(contact_id: str, if_match: IfMatch = None) -> Response[None]:
    """Removes the record and frees its emails and phones; history and payments stay where they are.
    To remove a person's data everywhere, erase them (GDPR) instead."""
    caller = current_caller()
    item = read_contact(caller, contact_id)
    version = expect_version(if_match, item, "contact")
    change = Change("contact", contact_id, "delete", caller.user_id)
    release_identifiers(change, contact_id, set(item.emails or ()), set(item.phones or ()))
    delete(change, item, version, contact_view(item))
    change.transaction.event("Contact Deleted", {"contact_id": contact_id})
    change.commit()
    return Response(204)


def normalized_contact_fields(body: ContactFields, existing: ContactItem | None) -> dict[str, Any]:
    """The submitted fields, cleaned: emails and phones normalized, custom fields checked. The primary
    email and phone are always among `emails` and `phones`."""
    submitted = body.model_dump(exclude_unset=True)
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    region = get_settings().default_phone_region
    for name, value in submitted.items():
        try:
            if name == "email":
                values[name] = normalize_email(value) if value else None
            elif name == "emails":
                values[name] = sorted({email_key(normalize_email(v)) for v in value or ()})
            elif name in ("phone", "phones"):
                values[name] = (sorted({normalize_phone(v, region) for v in value or ()}) if name == "phones"
                                else normalize_phone(value, region) if value else None)
            elif name == "custom_fields":
                continue
            elif isinstance(value, str):
                values[name] = clean_text(value, 200) or None
            else:
                values[name] = value
        except InvalidValue as exc:
            problems[name] = str(exc)
    if "custom_fields" in submitted:
        values["custom_fields"] = checked_custom_fields(
            "contact", submitted["custom_fields"] or {}, existing.custom_fields.as_dict()
            if existing is not None and existing.custom_fields else {}, problems)
    if problems:
        raise ClientError(422, "invalid_fields", "Some fields need attention.", problems)
    current_emails = set(existing.emails or ()) if existing else set()
    current_phones = set(existing.phones or ()) if existing else set()
    emails = set(values.get("emails", current_emails))
    phones = set(values.get("phones", current_phones))
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


def claim_identifiers(change: Change, contact_id: str, emails: Any, phones: Any) -> None:
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
    if not company_id:
        return
    must_exist(change, "company_id", CompanyItem, CompanyItem.key(company_id), "company")
