"""Search contacts and companies by name, email, phone, company or domain, typed in any script and
any phone format: one Query on the folded terms the search indexer keeps from the table stream."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.contacts.spec import CUSTOMER_STAGE
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.secrets import cursor_secret
from crm.platform.text import InvalidValue
from crm.records.reads import list_page
from crm.search.spec import SearchTermItem
from crm.search.terms import query_prefix
from pydantic import BaseModel

from api.auth import current_caller, requires
from api.params import Cursor, Limit

router = APIGatewayHttpRouter()
RESOURCES = {"contact": "contacts", "company": "companies"}


class SearchResult(BaseModel):
    id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    domain: str | None = None
    lifecycle_stage: str | None = None
    owner: str | None = None


class SearchPage(BaseModel):
    items: list[SearchResult]
    next_cursor: str | None


def result_view(item: SearchTermItem) -> dict[str, Any]:
    return {**item.summary.as_dict(), "id": item.entity_id}


@router.get("/search", middlewares=[requires("contacts", "read")])
def search(q: Annotated[str, Query(max_length=1000, description=(
               "Name, email, phone (any format), company or domain; the beginning of a word is enough. "
               "1 to 200 characters once case, accents and script variants are folded."))],
           kind: Annotated[Literal["contact", "company"],
                           Query(alias="type", description="What to search.")] = "contact",
           limit: Limit = None, cursor: Cursor = None) -> SearchPage:
    """Records whose terms begin with the query, in term order, each once per page. The index follows
    writes through the table stream, so a change is searchable within about a second (eventually
    consistent); a record found by several terms may show again on a later page."""
    caller = current_caller()
    # Searching companies rather than contacts needs their read permission too.
    caller.require(RESOURCES[kind], "read")
    try:
        prefix = query_prefix(q, get_settings().default_phone_region)
    except InvalidValue as exc:
        raise HttpError(400, "invalid_query", str(exc), {"q": str(exc)}) from exc
    filters = (SearchTermItem.summary["lifecycle_stage"] == CUSTOMER_STAGE) if caller.customers_only else None
    query = partial(SearchTermItem.query, SearchTermItem.partition(kind), SearchTermItem.SK.startswith(prefix),
                    filter_condition=filters)
    page = list_page(query, result_view, scope=f"search:{kind}:{prefix}:{caller.customers_only}",
                     secret=cursor_secret(get_settings()), limit=limit, cursor=cursor, ascending=True)
    unique: dict[str, dict[str, Any]] = {}
    for item in page.items:
        unique.setdefault(item["id"], item)
    return {"items": list(unique.values()), "next_cursor": page.next_cursor}
