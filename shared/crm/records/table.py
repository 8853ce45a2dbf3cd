"""The one table: the base of every item, binding it to the configured table, one GetItem, and the
indexes every listing queries. Keys are built by each item's own `key` helpers."""

from __future__ import annotations

from typing import Any, TypeVar

from pynamodb.attributes import (
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from crm.platform.config import Settings


class CrmItem(Model):
    """Every item of the one table. `bind_table` points all models at the deployed table."""

    class Meta:
        table_name = "crm-unbound"
        region = "us-east-1"
        host: str | None = None

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)


_connection: Connection | None = None


def bind_table(settings: Settings) -> None:
    """Point every model (and the transaction connection) at the configured table and endpoint."""
    global _connection
    CrmItem.Meta.table_name = settings.table_name
    CrmItem.Meta.region = settings.region
    CrmItem.Meta.host = settings.aws_endpoint_url
    models: list[type[CrmItem]] = [CrmItem, *_all_subclasses(CrmItem)]
    for model in models:
        model._connection = None
    _connection = None


def _all_subclasses(cls: type[CrmItem]) -> list[type[CrmItem]]:
    found: list[type[CrmItem]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


Item = TypeVar("Item", bound="CrmItem")


def get_item(model: type[Item], key: tuple[str, str], consistent: bool = False) -> Item | None:
    """One GetItem; None when there is no such item."""
    try:
        return model.get(*key, consistent_read=consistent)
    except model.DoesNotExist:
        return None


def transaction_connection() -> Connection:
    """One connection, kept for the container's life, for TransactWriteItems."""
    global _connection
    if _connection is None:
        _connection = Connection(region=CrmItem.Meta.region, host=CrmItem.Meta.host)
    return _connection


class ByCreatedIndex(GlobalSecondaryIndex[Any]):
    """GSI1: a collection newest first (contacts, companies, deals, activities, forms, audit entries, payments,
    an email's thread), so a page of a list is one Query: `<COLLECTION>` / `<created_at>#<id>`."""

    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    GSI1PK = UnicodeAttribute(hash_key=True)
    GSI1SK = UnicodeAttribute(range_key=True)


class OrderIndex(GlobalSecondaryIndex[Any]):
    """A collection in its natural order, one index per way of filtering: contacts by score (highest first
    when queried backwards), companies by folded name, deals by expected close date, activities by due date.
    The stored attribute keeps the name deployed tables have (`score_key`); the code calls it `order_key`."""

    class Meta:
        projection = AllProjection()

    order_key = UnicodeAttribute(range_key=True, attr_name="score_key")


class CollectionOrderIndex(OrderIndex):
    """GSI2: the whole collection."""

    class Meta(OrderIndex.Meta):
        index_name = "GSI2"

    GSI2PK = UnicodeAttribute(hash_key=True)


class GroupOrderIndex(OrderIndex):
    """GSI3: one group of the collection (a lifecycle stage's contacts, a contact's deals)."""

    class Meta(OrderIndex.Meta):
        index_name = "GSI3"

    GSI3PK = UnicodeAttribute(hash_key=True)


class OwnerOrderIndex(OrderIndex):
    """GSI4: one owner's records."""

    class Meta(OrderIndex.Meta):
        index_name = "GSI4"

    GSI4PK = UnicodeAttribute(hash_key=True)


class ListedItem(CrmItem):
    """A configuration record edited whole through the API (a saved report, an assignment rule, a workflow, an
    email template): its version, its times, and its place in its collection on GSI1, newest first."""

    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)
    GSI1PK = UnicodeAttribute()
    GSI1SK = UnicodeAttribute()
    by_created = ByCreatedIndex()


class VersionedItem(CrmItem):
    """What every record edited through the API has: who owns it, when it changed, and its version."""

    owner = UnicodeAttribute(null=True)
    custom_fields: MapAttribute[str, Any] = MapAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    order_key = UnicodeAttribute(null=True, attr_name="score_key")
    GSI2PK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI4PK = UnicodeAttribute(null=True)
    by_created = ByCreatedIndex()
    by_order = CollectionOrderIndex()
    by_group_order = GroupOrderIndex()
    by_owner_order = OwnerOrderIndex()
