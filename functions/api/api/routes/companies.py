"""Companies: one record per web domain; create, read, update (If-Match), delete, and list."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.companies.spec import COMPANIES, COMPANY, CompanyItem
from crm.companies.store import add_company, change_company, remove_company
from crm.contacts.spec import CUSTOMER_STAGE
from crm.platform.config import get_settings
from crm.platform.secrets import cursor_secret
from crm.records.reads import all_of, expect_version, list_page, load
from crm.records.writes import Change, new_id

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit, answers
from api.responses import created

router = APIGatewayHttpRouter()
DOMAIN_TAKEN = "Another company has this domain."
CompanyFields = COMPANY.input_model
Company = COMPANY.output_model
CompanyPage = COMPANY.page_model


def read_company(company_id: str) -> CompanyItem:
    return load(CompanyItem, CompanyItem.key(company_id), "company", COMPANY.viewer(current_caller()))


@router.get("/companies/<company_id>", middlewares=[requires("companies", "read")])
def get_company(company_id: str) -> Company:
    return COMPANY.view(read_company(company_id))


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
        query = partial(CompanyItem.by_owner_order.query, CompanyItem.owner_key(owner))
        by_name = True
    elif by_name:
        query = partial(CompanyItem.by_order.query, COMPANIES)
    else:
        query = partial(CompanyItem.by_created.query, COMPANIES)
    ascending = sort in ("name", "created_at") or (owner is not None and sort != "-name")
    scope = f"companies:{sort}:{owner}:{industry}:{caller.customers_only}"
    return list_page(partial(query, filter_condition=filters), COMPANY.view, scope=scope,
                     secret=cursor_secret(get_settings()), limit=limit, cursor=cursor,
                     ascending=ascending).as_dict()


@router.post("/companies", responses=answers(201, {409: DOMAIN_TAKEN}), middlewares=[requires("companies", "write")])
def create_company(body: CompanyFields) -> Response[Company]:
    values = COMPANY.normalized(body, None)
    company_id = new_id()
    change = Change("company", company_id, "create", current_caller().user_id)
    view = COMPANY.view(add_company(change, company_id, values))
    change.commit()
    return created(view, f"/v1/companies/{company_id}")


@router.patch("/companies/<company_id>", responses=answers(200, {409: DOMAIN_TAKEN}),
              middlewares=[requires("companies", "write")])
def update_company(company_id: str, body: CompanyFields, if_match: IfMatch = None) -> Company:
    item = read_company(company_id)
    version = expect_version(if_match, item, "company")
    values = COMPANY.normalized(body, item)
    change = Change("company", company_id, "update", current_caller().user_id)
    after = change_company(change, item, version, values)
    change.commit()
    return after


@router.delete("/companies/<company_id>", responses=answers(204), middlewares=[requires("companies", "write")])
def delete_company(company_id: str, if_match: IfMatch = None) -> Response[None]:
    """Removes the company and frees its domain; its contacts and deals keep their own records."""
    item = read_company(company_id)
    version = expect_version(if_match, item, "company")
    change = Change("company", company_id, "delete", current_caller().user_id)
    remove_company(change, item, version)
    change.commit()
    return Response(204)
