"""The search items of one record: read what is remembered, write a change in one transaction."""

from __future__ import annotations

from typing import Any

from crm.platform.clock import epoch_seconds
from crm.records.table import get_item
from crm.records.transactions import LabelledTransaction
from crm.search.index import ENTITIES, Entry, Remembered, Writes, entry_of, writes
from crm.search.spec import SearchTermItem, SearchTermsItem

# DynamoDB streams keep records for 24 hours; after two days no late image of a removed record can come.
REMOVED_MARKER_SECONDS = 2 * 24 * 3600


def remembered(entity: str, entity_id: str) -> Remembered | None:
    item = get_item(SearchTermsItem, SearchTermsItem.key(entity, entity_id), consistent=True)
    if item is None:
        return None
    if item.removed:
        return Remembered(None, removed=True)
    return Remembered(Entry(frozenset(item.terms or ()), item.summary.as_dict() if item.summary else {},
                            int(item.version or 0), item.updated_at or ""))


def save(entity: str, entity_id: str, writes: Writes, before: Remembered | None) -> None:
    """Terms, their summaries and what is remembered, together; conditioned on what was read, so two
    invocations racing on one record cannot interleave (the loser fails and its batch is retried)."""
    transaction = LabelledTransaction()
    for term in sorted(writes.delete):
        transaction.delete(f"delete:{term}", SearchTermItem(*SearchTermItem.key(entity, term, entity_id)))
    new = writes.entry
    summary = new.summary if new is not None else {}
    for term in sorted(writes.put):
        transaction.put(f"put:{term}", SearchTermItem(*SearchTermItem.key(entity, term, entity_id),
                                                      entity_id=entity_id, term=term, summary=summary))
    key = SearchTermsItem.key(entity, entity_id)
    record = (SearchTermsItem(*key, terms=set(new.terms) or None, summary=summary, version=new.version,
                              updated_at=new.updated_at) if new is not None
              else SearchTermsItem(*key, removed=True, expires_at=epoch_seconds() + REMOVED_MARKER_SECONDS))
    read = before.entry if before is not None else None
    condition = (SearchTermsItem.PK.does_not_exist() if read is None
                 else (SearchTermsItem.version == read.version) & (SearchTermsItem.updated_at == read.updated_at))
    transaction.put("remember", record, condition)
    transaction.commit()


def index_record(record: dict[str, Any]) -> bool:
    """Brings one stream record's search items up to its image; True when something was written."""
    stream = record["dynamodb"]
    prefix, _, entity_id = stream["Keys"]["PK"]["S"].partition("#")
    entity = ENTITIES[prefix]
    # REMOVE records carry the keys only; a deleted record loses all its terms.
    image = stream.get("NewImage") if record.get("eventName") != "REMOVE" else None
    before = remembered(entity, entity_id)
    change = writes(entry_of(entity, image), before)
    if change is None:
        return False
    save(entity, entity_id, change, before)
    return True
