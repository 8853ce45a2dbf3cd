"""A company as stored, and the sentinel that gives a web domain to one company."""

from __future__ import annotations

from pynamodb.attributes import (
    UnicodeAttribute,
)

from crm.records.table import CrmItem, VersionedItem


class CompanyItem(VersionedItem):
    company_id = UnicodeAttribute()
    name = UnicodeAttribute()
    domain = UnicodeAttribute(null=True)
    industry = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    website = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    lifecycle_stage = UnicodeAttribute(null=True)
    search_name = UnicodeAttribute(null=True)

    @staticmethod
    def key(company_id: str) -> tuple[str, str]:
        return f"COMPANY#{company_id}", "PROFILE"


class DomainItem(CrmItem):
    """The uniqueness sentinel of a company's web domain."""

    company_id = UnicodeAttribute()

    @staticmethod
    def key(domain: str) -> tuple[str, str]:
        return f"UNIQUE#DOMAIN#{domain}", "UNIQUE"
