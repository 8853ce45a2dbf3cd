"""A company: its fields once (stored, taken and shown by the API, validated), who may see one, and the
sentinel that gives a web domain to one company.

Indexes: GSI1 `COMPANIES` newest first (`by_created`); GSI2 `COMPANIES` by folded name (`by_order`);
GSI4 one owner's companies by folded name (`by_owner_order`).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute

from crm.companies.rules import normalize_domain
from crm.contacts.spec import CUSTOMER_STAGE, LIFECYCLE_STAGES
from crm.custom_fields.field import CustomFields
from crm.platform.access import Caller
from crm.records.fields import Choice, Phone, Text, WriteContext
from crm.records.spec import Entity
from crm.records.table import CrmItem, VersionedItem

COMPANIES = "COMPANIES"


class Domain(Text):
    def clean(self, value: Any, context: WriteContext) -> Any:
        return normalize_domain(value)


class CompanyItem(VersionedItem):
    company_id = UnicodeAttribute()
    name = Text(required=True)
    domain = Domain(300, description="example.com, or any URL of the site.")
    industry = Text()
    external_id = Text(128, description="Its id where it came from; unique, an import matches on it.")
    phone = Phone()
    website = Text(2048)
    address = Text(1000)
    owner = Text(128)
    lifecycle_stage = Choice(LIFECYCLE_STAGES)
    custom_fields = CustomFields()
    search_name = UnicodeAttribute(null=True)

    @staticmethod
    def key(company_id: str) -> tuple[str, str]:
        return f"COMPANY#{company_id}", "PROFILE"

    @staticmethod
    def owner_key(owner: str) -> str:
        return f"COMPANY_OWNER#{owner}"


def visible_company(caller: Caller, item: Any) -> bool:
    """Support sees customers' companies only."""
    return not caller.customers_only or item.lifecycle_stage == CUSTOMER_STAGE


COMPANY = Entity("company", "Company", CompanyItem, "company_id", visible_company)


class DomainItem(CrmItem):
    """The uniqueness sentinel of a company's web domain."""

    company_id = UnicodeAttribute()

    @staticmethod
    def key(domain: str) -> tuple[str, str]:
        return f"UNIQUE#DOMAIN#{domain}", "UNIQUE"
