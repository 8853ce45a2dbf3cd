"""Moving a contact's records: to a new owner (reassign), or to the contact it is merged into (merge).

Reassign is one transaction: the contact, its open deals and not-done activities change owner together,
each with its audit entry. Merge is one transaction for the identity (the winner gains what it lacks,
the loser becomes a redirect, the email and phone sentinels name the winner), then the loser's
dependents move in batches; each batch is idempotent, so repeating the merge after a crash finishes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from pynamodb.expressions.condition import Condition

from crm.activities.spec import ActivityItem
from crm.contacts.edits import contact_attributes
from crm.contacts.history import TIMELINE_PAGE, chunks, entry_data, stripped, timeline, timeline_links
from crm.contacts.spec import CONTACT, ContactItem, UniqueItem
from crm.deals.spec import DealItem
from crm.forms.spec import SubmissionItem
from crm.mail.spec import CaseItem, EmailItem
from crm.payments.spec import PaymentItem
from crm.platform.errors import HttpError
from crm.records.history import HistoryItem, history_entry
from crm.records.reads import expect_version, load
from crm.records.table import get_item
from crm.records.transactions import MAX_TRANSACTION_ITEMS, LabelledTransaction
from crm.records.writes import Change, new_id, update

# The winner keeps each of these it has and gains the loser's where it has none.
GAP_FILLED = ("first_name", "last_name", "email", "phone", "company", "company_id", "job_title", "owner",
              "source", "first_touch", "last_touch")
# The further along the funnel of the two is kept; `other` is outside it.
STAGE_ORDER = ("other", "subscriber", "lead", "mql", "sql", "opportunity", "customer")


@dataclass(frozen=True, eq=False)
class Related:
    """Records that name a contact and have an owner, indexed as the deals and activities API keys them:
    GSI3 `CONTACT#<contact_id>#<GROUP>` for a contact's records, GSI4 `<OWNER_PREFIX>#<owner>` by owner."""

    model: type[DealItem] | type[ActivityItem]
    entity: str
    id_attribute: str
    open: Condition

    @property
    def collection(self) -> str:
        return self.model.list_key().lower()

    def contact_key(self, contact_id: str) -> str:
        return self.model.contact_partition(contact_id)

    def owner_key(self, owner: str) -> str:
        return self.model.owner_partition(owner)

    def of_contact(self, contact_id: str, condition: Condition | None = None) -> Iterator[Any]:
        """One Query on GSI3 (paged by PynamoDB as it is read)."""
        return self.model.by_group_order.query(self.contact_key(contact_id), filter_condition=condition)


DEALS = Related(DealItem, "deal", "deal_id",
                DealItem.status.does_not_exist() | (DealItem.status == "open"))
ACTIVITIES = Related(ActivityItem, "activity", "activity_id",
                     ActivityItem.done.does_not_exist() | (ActivityItem.done == False))  # noqa: E712 - a PynamoDB condition, not a comparison
# The contact's update, its audit entry, the timeline entry and the event; each moved record adds two.
LAST_BATCH = (MAX_TRANSACTION_ITEMS - 4) // 2
# A record's update and its audit entry, for the batches before the last.
BATCH = MAX_TRANSACTION_ITEMS // 2
# Twenty transactions at most, well inside API Gateway's 30 seconds.
MAX_REASSIGNED = 1000


def contact_history(change: Change, contact_id: str, entry_type: str, summary: str, data: dict[str, Any]) -> None:
    change.transaction.put(f"history:{contact_id}", history_entry(
        HistoryItem.key(contact_id, change.at, new_id()), entry_type, summary[:500], {"by": change.actor, **data},
        change.at))


# ---------------------------------------------------------------------------------------------- reassign


def reassign(actor: str, item: ContactItem, version: int, owner: str, kinds: tuple[Related, ...]) -> dict[str, Any]:
    """The contact and its open records of `kinds` move to `owner`. Records beyond what one transaction
    holds move first, a transaction per batch, each audited; the contact moves last with the final batch,
    its timeline entry and its event. A change that stops part way (409) leaves the contact with its owner
    and some records moved, and repeating the call moves the rest (moved records are no longer open
    records of another owner)."""
    contact_id = item.contact_id
    moving = [(kind, record) for kind in kinds for record in _open_records(kind, contact_id, owner)]
    if len(moving) > MAX_REASSIGNED:
        raise HttpError(409, "too_many_records", (
            f"This contact has more than {MAX_REASSIGNED} open deals and activities, more than one request "
            "moves; reassign some of them first, or leave them out with include_open_deals or "
            "include_open_activities set to false."))
    previous = item.owner
    moved = {kind.collection: [getattr(r, kind.id_attribute) for k, r in moving if k is kind] for kind in kinds}
    if previous == owner and not moving:
        return {"contact": CONTACT.view(item), "moved": moved}
    split = max(len(moving) - LAST_BATCH, 0)
    for batch in chunks(moving[:split], BATCH):
        change = Change("contact", contact_id, "reassign", actor)
        for kind, record in batch:
            _move(change, kind, record, owner)
        change.commit()
    change = Change("contact", contact_id, "reassign", actor)
    before = CONTACT.view(item)
    item.owner, item.GSI4PK = owner, ContactItem.owner_key(owner)
    update(change, item, version, {"owner": owner, "GSI4PK": item.GSI4PK}, before, CONTACT.view(item))
    for kind, record in moving[split:]:
        _move(change, kind, record, owner)
    summary = (f"Owner changed from {previous or 'nobody'} to {owner}" if previous != owner
               else f"Open deals and activities moved to {owner}")
    contact_history(change, contact_id, "owner_changed", summary, {"from": previous, "to": owner, **moved})
    change.transaction.event("Contact Reassigned", {"contact_id": contact_id, "from": previous, "to": owner,
                                                    "by": actor, **moved})
    change.commit()
    item.version, item.updated_at = version + 1, change.at
    return {"contact": CONTACT.view(item), "moved": moved}


def _open_records(kind: Related, contact_id: str, owner: str) -> list[Any]:
    """At most one more than may move, so that too many is seen without reading them all."""
    condition = kind.open & (kind.model.owner.does_not_exist() | (kind.model.owner != owner))
    return list(islice(kind.of_contact(contact_id, condition), MAX_REASSIGNED + 1))


def _move(change: Change, kind: Related, record: Any, owner: str) -> None:
    """One related record to the new owner in the change, audited under its own entity."""
    _change_related(change, kind, record, {"owner": record.owner}, {"owner": owner, "GSI4PK": kind.owner_key(owner)})


def _change_related(change: Change, kind: Related, record: Any, before: dict[str, Any],
                    values: dict[str, Any]) -> None:
    """One related record changed with the contact's change, audited under its own entity; one that
    changed since it was read stops the whole change (409: read again and repeat)."""
    record_id = getattr(record, kind.id_attribute)
    label = f"{kind.entity}:{record_id}"
    after = {name: value for name, value in values.items() if name in before}
    update(change, record, int(record.version), values, before, after, label=label, entity=kind.entity,
           entity_id=record_id)
    change.conflicts[label] = HttpError(409, "changed_meanwhile",
                                        f"A {kind.entity} of this contact changed meanwhile; repeat the request "
                                        "to move the rest.")


# ------------------------------------------------------------------------------------------------- merge


def merge(actor: str, winner_id: str, loser_id: str, if_match: str | None) -> dict[str, Any]:
    """Merges the loser into the winner, or finishes a merge begun before (the loser already names the
    winner): If-Match is checked only when the identity is still to be merged."""
    if winner_id == loser_id:
        raise HttpError(422, "invalid_fields", "A contact cannot be merged with itself.",
                        {"loser_id": "Name another contact."})
    winner = load(ContactItem, ContactItem.key(winner_id), "contact")
    _refuse_gone(winner, "The contact to merge into")
    loser = get_item(ContactItem, ContactItem.key(loser_id), consistent=True)
    if loser is None:
        raise HttpError(422, "invalid_fields", "There is no contact with this id.",
                        {"loser_id": "There is no contact with this id."})
    if loser.merged_into != winner_id:
        _refuse_gone(loser, "The contact to merge")
        _merge_identity(actor, winner, expect_version(if_match, winner, "contact"), loser)
    moved = move_dependents(actor, loser_id, winner_id)
    return {"contact": CONTACT.view(load(ContactItem, ContactItem.key(winner_id), "contact")), "moved": moved}


def _refuse_gone(item: ContactItem, what: str) -> None:
    if item.erased_at:
        raise HttpError(409, "contact_erased", f"{what} was erased.", {"contact_id": item.contact_id})
    if item.merged_into:
        raise HttpError(409, "contact_merged", f"{what} was merged into {item.merged_into} already.",
                        {"merged_into": item.merged_into})


def _merge_identity(actor: str, winner: ContactItem, version: int, loser: ContactItem) -> None:
    """One transaction: the winner updated, the loser a redirect, the loser's sentinels the winner's,
    both audited, and `Contacts Merged` with `Contact Updated` (so scoring recomputes the winner)."""
    winner_id, loser_id = winner.contact_id, loser.contact_id
    change = Change("contact", winner_id, "merge", actor)
    before = CONTACT.view(winner)
    attributes = contact_attributes(winner, _gained(winner, loser))
    for name, value in attributes.items():
        setattr(winner, name, value)
    after = CONTACT.view(winner)
    update(change, winner, version, attributes, before, after)
    update(change, loser, int(loser.version), {**stripped(loser), "merged_into": winner_id},
           CONTACT.view(loser), {"merged_into": winner_id}, label="loser", entity_id=loser_id)
    change.conflicts["loser"] = HttpError(409, "changed_meanwhile",
                                          "The contact to merge changed meanwhile; try again.")
    for kind, values in (("email", loser.emails), ("phone", loser.phones)):
        for value in sorted(values or ()):
            label = f"sentinel:{kind}:{value}"
            change.transaction.put(label, UniqueItem(*UniqueItem.key(kind, value), kind=kind, contact_id=winner_id),
                                   (UniqueItem.contact_id == loser_id) | UniqueItem.PK.does_not_exist())
            change.conflicts[label] = HttpError(409, f"{kind}_taken", f"Another contact holds {value} now.")
    changed = sorted(name for name in after if name not in ("version", "updated_at") and before[name] != after[name])
    contact_history(change, winner_id, "merged", f"Contact {loser_id} was merged into this one",
                  {"loser_id": loser_id, "fields": changed})
    change.transaction.event("Contacts Merged", {"winner_id": winner_id, "loser_id": loser_id, "by": actor})
    change.transaction.event("Contact Updated", {"contact_id": winner_id, "fields": changed})
    if len(change.transaction) > MAX_TRANSACTION_ITEMS:
        raise HttpError(409, "too_many_identifiers",
                        "These contacts have more emails and phones than one merge can move; remove some first.")
    change.commit()


def _gained(winner: ContactItem, loser: ContactItem) -> dict[str, Any]:
    """What the winner takes from the loser: the fields it lacks, the further lifecycle stage, every email
    and phone, the custom fields it has not set, and the loser's engagement events (the ledger is keyed by
    event id)."""
    values: dict[str, Any] = {}
    if _stage_rank(loser.lifecycle_stage) > _stage_rank(winner.lifecycle_stage):
        values["lifecycle_stage"] = loser.lifecycle_stage
    for name in GAP_FILLED:
        mine, theirs = getattr(winner, name), getattr(loser, name)
        if not mine and theirs:
            values[name] = theirs.as_dict() if hasattr(theirs, "as_dict") else theirs
    for name in ("emails", "phones"):
        mine, theirs = set(getattr(winner, name) or ()), set(getattr(loser, name) or ())
        if theirs - mine:
            values[name] = sorted(mine | theirs)
    for name in ("custom_fields", "engagement"):
        mine = getattr(winner, name).as_dict() if getattr(winner, name) else {}
        theirs = getattr(loser, name).as_dict() if getattr(loser, name) else {}
        if set(theirs) - set(mine):
            values[name] = {**theirs, **mine}
    return values


def _stage_rank(stage: str | None) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else 0


def move_dependents(actor: str, loser_id: str, winner_id: str) -> dict[str, int]:
    """The loser's timeline (with the emails, cases and form submissions it links), payments, deals and
    activities move to the winner, a batch per transaction; what moved is no longer found under the loser,
    so a repeat moves only what is left."""
    moved = {"timeline": _move_timeline(loser_id, winner_id), "payments": _move_payments(loser_id, winner_id)}
    for kind in (DEALS, ACTIVITIES):
        moved[kind.collection] = 0
        for records in chunks(kind.of_contact(loser_id), (MAX_TRANSACTION_ITEMS - 1) // 2):
            change = Change(kind.entity, "", "merge", actor)
            for record in records:
                _change_related(change, kind, record, {"contact_id": loser_id},
                                {"contact_id": winner_id, "GSI3PK": kind.contact_key(winner_id)})
            change.commit()
            moved[kind.collection] += len(records)
    return moved


def _move_timeline(loser_id: str, winner_id: str) -> int:
    count = 0
    winner_pk = ContactItem.key(winner_id)[0]
    for entries in chunks(timeline(loser_id), TIMELINE_PAGE):
        tx = LabelledTransaction()
        for entry in entries:
            values = entry_data(entry)
            # The same sort key in the winner's partition: a repeated copy overwrites itself; a form's list
            # keeps a submission at its place, now the winner's.
            copy = HistoryItem(winner_pk, entry.SK, entry_type=entry.entry_type, summary=entry.summary,
                               data=values or None, created_at=entry.created_at)
            copy.GSI1PK, copy.GSI1SK = entry.GSI1PK, entry.GSI1SK
            tx.put(f"copy:{entry.SK}", copy)
            tx.delete(f"entry:{entry.SK}", entry)
        links = timeline_links(entries)
        for email in links.emails:
            ids = list(dict.fromkeys(winner_id if i == loser_id else i for i in email.contact_ids or ()))
            tx.update(f"email:{email.email_id}", email, [EmailItem.contact_ids.set(ids)])
        records: list[CaseItem | SubmissionItem] = [*links.cases, *links.submissions]
        for record in records:
            if record.contact_id == loser_id:
                tx.update(f"link:{record.PK}:{record.SK}", record, [type(record).contact_id.set(winner_id)])
        tx.commit()
        count += len(entries)
    return count


def _move_payments(loser_id: str, winner_id: str) -> int:
    count = 0
    for payments in chunks(PaymentItem.by_contact.query(PaymentItem.contact_list_key(loser_id)),
                           MAX_TRANSACTION_ITEMS):
        tx = LabelledTransaction()
        for payment in payments:
            tx.update(f"payment:{payment.payment_key}", payment,
                      [PaymentItem.contact_id.set(winner_id),
                       PaymentItem.GSI1PK.set(PaymentItem.contact_list_key(winner_id))],
                      PaymentItem.PK.exists())
        tx.commit()
        count += len(payments)
    return count

