"""Records linked to a contact and an owner (deals, activities): the index keys that follow their order field,
contact and owner, and the one Query a page of them is."""

from __future__ import annotations

from functools import partial
from typing import Any

from crm.records.reads import all_of


def index_attributes(model: Any, record_id: str, values: dict[str, Any], order_field: str,
                     order_key: Any) -> dict[str, Any]:
    """Index keys of a deal or an activity that follow its order field, its contact and its owner."""
    attributes: dict[str, Any] = {}
    if order_field in values:
        attributes["order_key"] = order_key(values[order_field], record_id)
    if "contact_id" in values:
        attributes["GSI3PK"] = model.contact_partition(values["contact_id"]) if values["contact_id"] else None
    if "owner" in values:
        attributes["GSI4PK"] = model.owner_partition(values["owner"]) if values["owner"] else None
    return attributes


def linked_query(model: Any, sort: str | None, order_field: str, filters: Any, contact_id: str | None,
                 owner: str | None) -> tuple[Any, bool]:
    """The one Query a page of deals or activities is, and its direction: newest first on GSI1, or in
    `order_field` order on GSI3 (a contact's), GSI4 (an owner's) or GSI2 (all); the rest are filters."""
    by_contact = (model.contact_id == contact_id) if contact_id is not None else None
    by_owner = (model.owner == owner) if owner is not None else None
    if sort not in (order_field, f"-{order_field}"):
        query = partial(model.by_created.query, model.list_key())
        filters = all_of(filters, by_contact, by_owner)
    elif contact_id is not None:
        query = partial(model.by_group_order.query, model.contact_partition(contact_id))
        filters = all_of(filters, by_owner)
    elif owner is not None:
        query = partial(model.by_owner_order.query, model.owner_partition(owner))
    else:
        query = partial(model.by_order.query, model.list_key())
    return partial(query, filter_condition=filters), sort in ("created_at", order_field)
