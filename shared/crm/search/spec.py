"""The search index as stored: one item per term, and the terms a record was last indexed under."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from crm.records.table import CrmItem


class SearchTermItem(CrmItem):
    """One folded term (name word, email, E.164 phone, company word) that finds a record, with a summary
    of it, so a search is one Query on `SEARCH#<entity>` with `begins_with(SK, term)`."""

    entity_id = UnicodeAttribute()
    term = UnicodeAttribute()
    summary: MapAttribute[str, Any] = MapAttribute()

    @staticmethod
    def key(entity: str, term: str, entity_id: str) -> tuple[str, str]:
        return SearchTermItem.partition(entity), f"{term}#{entity_id}"

    @staticmethod
    def partition(entity: str) -> str:
        return f"SEARCH#{entity}"


class SearchTermsItem(CrmItem):
    """The terms a record is findable by now, so the indexer knows which to remove when they change,
    and the version and summary they were made from, so an older or repeated stream record is ignored.
    A record deleted, merged away or erased keeps a `removed` marker (expiring once no stream record of
    it can still arrive) so that a late image cannot bring its terms back."""

    terms = UnicodeSetAttribute(null=True)
    summary: MapAttribute[str, Any] = MapAttribute(null=True)
    version = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    removed = BooleanAttribute(null=True)
    expires_at = NumberAttribute(null=True)

    @staticmethod
    def key(entity: str, entity_id: str) -> tuple[str, str]:
        return f"{entity.upper()}#{entity_id}", "SEARCH_TERMS"
