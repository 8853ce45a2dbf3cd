"""The records staff keep through the API: companies, deals, pipelines, activities, custom field
definitions, search terms and the audit log.

Apart from crm.models so that functions which do not use them do not build their classes at cold start.
GSI1 lists each collection newest first (`<COLLECTION>` / `<created_at>#<id>`); GSI2..4 sort on
`score_key`, which for these records is the collection's natural order (a company's folded name, a deal's
expected close date, an activity's due date) rather than a score.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from crm.models import AllByScore, ContactListIndex, CrmItem, OwnerByScore, StageByScore


class VersionedItem(CrmItem):
    """What every record edited through the API has: who owns it, when it changed, and its version."""

    owner = UnicodeAttribute(null=True)
    custom_fields = MapAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    score_key = UnicodeAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI4PK = UnicodeAttribute(null=True)
    by_created = ContactListIndex()
    by_order = AllByScore()
    by_group_order = StageByScore()
    by_owner_order = OwnerByScore()


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


class DealItem(VersionedItem):
    """A deal in a pipeline's stage; `status` is open, won or lost (the closed stages every pipeline ends in).

    Indexes: GSI1 `DEALS` newest first; GSI2 `DEALS`, GSI3 a contact's deals and GSI4 an owner's deals, all
    three on `score_key` = `<expected_close_date or 9999-12-31>#<id>`. Its timeline lives in its partition.
    """

    deal_id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    pipeline_id = UnicodeAttribute(null=True)
    stage = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    amount_minor = NumberAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    probability = NumberAttribute(null=True)
    expected_close_date = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    company_id = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    close_reason = UnicodeAttribute(null=True)

    @staticmethod
    def key(deal_id: str) -> tuple[str, str]:
        return f"DEAL#{deal_id}", "PROFILE"

    @staticmethod
    def list_key() -> str:
        return "DEALS"

    @staticmethod
    def created_key(created_at: str, deal_id: str) -> str:
        return f"{created_at}#{deal_id}"

    @staticmethod
    def close_date_key(expected_close_date: str | None, deal_id: str) -> str:
        return f"{expected_close_date or '9999-12-31'}#{deal_id}"

    @staticmethod
    def contact_partition(contact_id: str) -> str:
        return f"CONTACT#{contact_id}#DEALS"

    @staticmethod
    def owner_partition(owner: str) -> str:
        return f"DEAL_OWNER#{owner}"

    @staticmethod
    def history_key(deal_id: str, created_at: str, entry_id: str) -> tuple[str, str]:
        """A deal's timeline entry: a HistoryItem in the deal's partition, newest last by sort key."""
        return f"DEAL#{deal_id}", f"HISTORY#{created_at}#{entry_id}"


class PipelineItem(VersionedItem):
    """A sales pipeline: its open stages in order, each with the probability a deal there closes won.
    Every pipeline also ends in the closed stages `won` (100) and `lost` (0), which are not stored.
    Listed oldest first on GSI1 `PIPELINES`."""

    pipeline_id = UnicodeAttribute()
    name = UnicodeAttribute()
    stages = ListAttribute(of=MapAttribute)
    is_default = BooleanAttribute(default=False)
    # Set (epoch seconds, briefly ahead) while a delete checks that no deal is left; no deal is added
    # before it passes, and a delete that crashed holds nothing up for longer.
    deleting_until = NumberAttribute(null=True)

    @staticmethod
    def key(pipeline_id: str) -> tuple[str, str]:
        return f"PIPELINE#{pipeline_id}", "PROFILE"

    @staticmethod
    def list_key() -> str:
        return "PIPELINES"


class PipelineDealItem(CrmItem):
    """A deal's membership of a pipeline, in the pipeline's partition, so "does this pipeline still have
    deals" is one Query of one item."""

    deal_id = UnicodeAttribute()

    @staticmethod
    def key(pipeline_id: str, deal_id: str) -> tuple[str, str]:
        return f"PIPELINE#{pipeline_id}", f"DEAL#{deal_id}"


class ActivityItem(VersionedItem):
    """A task, call, meeting or note linked to a contact, a company and/or a deal.

    Indexes: GSI1 `ACTIVITIES` newest first; GSI2 `ACTIVITIES`, GSI3 a contact's activities and GSI4 an
    owner's, all three on `score_key` = `<due_at or 9999-12-31T00:00:00Z>#<id>`.
    """

    activity_id = UnicodeAttribute()
    activity_type = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    remind_at = UnicodeAttribute(null=True)
    done = BooleanAttribute(default=False)
    done_at = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    company_id = UnicodeAttribute(null=True)
    deal_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(activity_id: str) -> tuple[str, str]:
        return f"ACTIVITY#{activity_id}", "PROFILE"

    @staticmethod
    def list_key() -> str:
        return "ACTIVITIES"

    @staticmethod
    def due_key(due_at: str | None, activity_id: str) -> str:
        return f"{due_at or '9999-12-31T00:00:00Z'}#{activity_id}"

    @staticmethod
    def contact_partition(contact_id: str) -> str:
        return f"CONTACT#{contact_id}#ACTIVITIES"

    @staticmethod
    def owner_partition(owner: str) -> str:
        return f"ACTIVITY_OWNER#{owner}"


class FieldDefinitionItem(VersionedItem):
    """A custom field of one kind of record; all of a kind's definitions are one Query."""

    entity = UnicodeAttribute()
    field_key = UnicodeAttribute()
    label = UnicodeAttribute()
    field_type = UnicodeAttribute()
    options = UnicodeSetAttribute(null=True)
    required = BooleanAttribute(default=False)

    @staticmethod
    def key(entity: str, field_key: str) -> tuple[str, str]:
        return f"FIELDS#{entity}", f"FIELD#{field_key}"


class SearchTermItem(CrmItem):
    """One folded term (name word, email, E.164 phone, company word) that finds a record, with a summary
    of it, so a search is one Query on `SEARCH#<entity>` with `begins_with(SK, term)`."""

    entity_id = UnicodeAttribute()
    term = UnicodeAttribute()
    summary = MapAttribute()

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
    summary = MapAttribute(null=True)
    version = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    removed = BooleanAttribute(null=True)
    expires_at = NumberAttribute(null=True)

    @staticmethod
    def key(entity: str, entity_id: str) -> tuple[str, str]:
        return f"{entity.upper()}#{entity_id}", "SEARCH_TERMS"


class AuditItem(CrmItem):
    """Who changed what, when: field-level before and after. Kept per record, and newest first overall."""

    audit_id = UnicodeAttribute()
    entity = UnicodeAttribute()
    entity_id = UnicodeAttribute()
    action = UnicodeAttribute()
    actor = UnicodeAttribute()
    at = UnicodeAttribute()
    changes = MapAttribute()
    GSI1PK = UnicodeAttribute()
    GSI1SK = UnicodeAttribute()
    by_created = ContactListIndex()

    @staticmethod
    def key(entity: str, entity_id: str, at: str, audit_id: str) -> tuple[str, str]:
        return f"AUDIT#{entity}#{entity_id}", f"{at}#{audit_id}"

    @staticmethod
    def list_key() -> str:
        return "AUDIT"
