"""Companies: one record per web domain; create, read, update (If-Match), delete, list, and their contacts."""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.companies.spec import CompanyItem, DomainItem
from crm.contacts.phone import normalize_phone
from crm.platform.access import Caller
from crm.platform.config import get_settings
from crm.platform.errors import ClientError
from crm.platform.secrets import cursor_secret
from crm.platform.text import InvalidValue, clean_text, fold_text
from crm.records.reads import all_of, expect_version, list_page, load
from crm.records.writes import RECORD, Change, create, delete, new_id, update
from pydantic import BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit, answers
from api.responses import created
from api.routes.contacts import plain_numbers
from api.routes.custom_fields import checked_custom_fields

router = APIGatewayHttpRouter()
CUSTOMER_STAGE = "customer"
COMPANIES = "COMPANIES"
DOMAIN_TAKEN = "Another company has this domain."
ShortText = Annotated[str, Field(max_length=200)]
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class CompanyFields(BaseModel):
    """A company's editable fields. In a PATCH, absent fields stay as they are and null clears one."""

    model_config = ConfigDict(extra="forbid")
    name: ShortText | None = None
    domain: Annotated[str, Field(max_length=300, description="example.com, or any URL of the site.")] | None = None
    industry: ShortText | None = None
    phone: Annotated[str, Field(max_length=64)] | None = None
    website: Annotated[str, Field(max_length=2048)] | None = None
    address: Annotated[str, Field(max_length=1000)] | None = None
    owner: Annotated[str, Field(max_length=128)] | None = None
    lifecycle_stage: Literal["subscriber", "lead", "mql", "sql", "opportunity", "customer", "other"] | None = None
    custom_fields: dict[str, Any] | None = None


class Company(BaseModel):
    id: str
    name: str
    domain: str | None
    industry: str | None
    phone: str | None
    website: str | None
    address: str | None
    owner: str | None
    lifecycle_stage: str | None
    custom_fields: dict[str, Any]
    created_at: str
    updated_at: str
    version: int


class CompanyPage(BaseModel):
    items: list[Company]
    next_cursor: str | None


def company_view(item: CompanyItem) -> dict[str, Any]:
    return {"id": item.company_id, "name": item.name, "domain": item.domain, "industry": item.industry,
            "phone": item.phone, "website": item.website, "address": item.address, "owner": item.owner,
            "lifecycle_stage": item.lifecycle_stage,
            "custom_fields": plain_numbers(item.custom_fields.as_dict()) if item.custom_fields else {},
            "created_at": item.created_at, "updated_at": item.updated_at, "version": int(item.version)}


def normalize_domain(raw: str) -> str:
    """`https://www.Example.COM/about` and `example.com` are one company; IDN domains in their ASCII form."""
    value = raw.strip().lower()
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value).split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    value = value.removeprefix("www.").rstrip(".")
    try:
        ascii_domain = value.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidValue("This is not a web domain.") from exc
    labels = ascii_domain.split(".")
    if len(labels) < 2 or len(ascii_domain) > 253 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidValue("This is not a web domain.")
    return ascii_domain


def visible_company(caller: Caller):
    return lambda item: not caller.customers_only or item.lifecycle_stage == CUSTOMER_STAGE


def order_key(name: str, company_id: str) -> str:
    return f"{fold_text(name)}#{company_id}"


@router.get("/companies/<company_id>", middlewares=[requires("companies", "read")])
def get_company(company_id: str) -> Company:
    caller = current_caller()
    return company_view(load(CompanyItem, CompanyItem.key(company_id), "company", visible_company(caller)))


@router.get("/companies", middlewares=[requires("companies", "read")])
def list_companies(limit: Limit = None, cursor: Cursor = None,
                   sort: Annotated[Literal["name", "-name", "created_at", "-created_at"] | None,
                                   Query(description="Default -created_at (newest first).")] = None,
                   owner: Annotated[str | None, Query(max_length=128)] = None,
                   industry: Annotated[str | None, Query(max_length=200)] = None) -> CompanyPage:
    caller = current_caller()
    filters = all_of((CompanyItem.industry == industry) if industry else None,
                     (CompanyItem.lifecycle_stage == CUSTOMER_STAGE) if caller.customers_only else None)
    by_name = sort in ("name", "-name")
    if owner is not None:
        query = partial(CompanyItem.by_owner_order.query, owner_partition(owner))
        by_name = True
    elif by_name:
        query = partial(CompanyItem.by_order.query, COMPANIES)
    else:
        query = partial(CompanyItem.by_created.query, COMPANIES)
    ascending = sort in ("name", "created_at") or (owner is not None and sort != "-name")
    scope = f"companies:{sort}:{owner}:{industry}:{caller.customers_only}"
    return list_page(partial(query, filter_condition=filters), company_view, scope=scope,
                     secret=cursor_secret(get_settings()), limit=limit, cursor=cursor,
                     ascending=ascending).as_dict()


def owner_partition(owner: str) -> str:
    return f"COMPANY_OWNER#{owner}"


@router.post("/companies", responses=answers(201, {409: DOMAIN_TAKEN}), middlewares=[requires("companies", "write")])
def create_company(body: CompanyFields) -> Response[Company]:
    caller = current_caller()
    values = normalized_company_fields(body, None)
    if not values.get("name"):
        raise ClientError(422, "invalid_fields", "A company needs a name.", {"name": "Required."})
    company_id = new_id()
    change = Change("company", company_id, "create", caller.user_id)
    view = company_view(add_company(change, company_id, values))
    change.commit()
    return created(view, f"/v1/companies/{company_id}")


def add_company(change: Change, company_id: str, values: dict[str, Any], label: str = RECORD) -> CompanyItem:
    """A new company as part of `change` (alone, or with a qualified contact's deal): its item, its domain
    sentinel, its audit entry and its event."""
    item = CompanyItem(*CompanyItem.key(company_id), company_id=company_id, created_at=change.at,
                       updated_at=change.at, version=1, GSI1PK=COMPANIES, GSI1SK=f"{change.at}#{company_id}",
                       GSI2PK=COMPANIES, **index_attributes(company_id, values, None), **values)
    claim_domain(change, company_id, values.get("domain"))
    create(change, item, company_view(item), label, "company", company_id)
    change.transaction.event("Company Created", {"company_id": company_id})
    return item


@router.patch("/companies/<company_id>", responses=answers(200, {409: DOMAIN_TAKEN}),
              middlewares=[requires("companies", "write")])
def update_company(company_id: str, body: CompanyFields, if_match: IfMatch = None) -> Company:
    caller = current_caller()
    item = load(CompanyItem, CompanyItem.key(company_id), "company", visible_company(caller))
    version = expect_version(if_match, item, "company")
    values = normalized_company_fields(body, item)
    if "name" in values and not values["name"]:
        raise ClientError(422, "invalid_fields", "A company needs a name.", {"name": "Required."})
    before = company_view(item)
    change = Change("company", company_id, "update", caller.user_id)
    if "domain" in values and values["domain"] != item.domain:
        claim_domain(change, company_id, values["domain"])
        release_domain(change, company_id, item.domain)
    attributes = {**values, **index_attributes(company_id, values, item)}
    for name, value in attributes.items():
        setattr(item, name, value)
    after = company_view(item)
    update(change, item, version, attributes, before, after)
    change.transaction.event("Company Updated", {"company_id": company_id})
    change.commit()
    item.version, item.updated_at = version + 1, change.at
    return company_view(item)


@router.delete("/companies/<company_id>", responses=answers(204), middlewares=[requires("companies", "write")])
def delete_company(company_id: str, if_match: IfMatch = None) -> Response[None]:
    """Removes the company and frees its domain; its contacts and deals keep their own records."""
    caller = current_caller()
    item = load(CompanyItem, CompanyItem.key(company_id), "company", visible_company(caller))
    version = expect_version(if_match, item, "company")
    change = Change("company", company_id, "delete", caller.user_id)
    release_domain(change, company_id, item.domain)
    delete(change, item, version, company_view(item))
    change.transaction.event("Company Deleted", {"company_id": company_id})
    change.commit()
    return Response(204)


def normalized_company_fields(body: CompanyFields, existing: CompanyItem | None) -> dict[str, Any]:
    submitted = body.model_dump(exclude_unset=True)
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, value in submitted.items():
        try:
            if name == "custom_fields":
                values[name] = checked_custom_fields(
                    "company", value or {}, existing.custom_fields.as_dict()
                    if existing is not None and existing.custom_fields else {}, problems)
            elif value is None:
                values[name] = None
            elif name == "domain":
                values[name] = normalize_domain(value)
            elif name == "phone":
                values[name] = normalize_phone(value, get_settings().default_phone_region)
            elif isinstance(value, str):
                values[name] = clean_text(value, 2048) or None
            else:
                values[name] = value
        except InvalidValue as exc:
            problems[name] = str(exc)
    if problems:
        raise ClientError(422, "invalid_fields", "Some fields need attention.", problems)
    return values


def index_attributes(company_id: str, values: dict[str, Any], existing: CompanyItem | None) -> dict[str, Any]:
    """Index keys that follow the name (sort and search) and the owner (lists per owner)."""
    attributes: dict[str, Any] = {}
    if values.get("name"):
        attributes["search_name"] = fold_text(values["name"])
        attributes["score_key"] = order_key(values["name"], company_id)
    if "owner" in values or existing is None:
        owner = values.get("owner")
        attributes["GSI4PK"] = owner_partition(owner) if owner else None
    return attributes


def claim_domain(change: Change, company_id: str, domain: str | None) -> None:
    if domain:
        change.unique(f"unique:domain:{domain}", DomainItem(*DomainItem.key(domain), company_id=company_id),
                      ClientError(409, "domain_taken", f"Another company already has {domain}.",
                                  {"domain": f"{domain} belongs to another company."}))


def release_domain(change: Change, company_id: str, domain: str | None) -> None:
    if domain:
        change.transaction.delete(f"release:domain:{domain}", DomainItem(*DomainItem.key(domain)),
                                  (DomainItem.company_id == company_id) | DomainItem.PK.does_not_exist())
