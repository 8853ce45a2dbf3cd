"""The dashboards as stored: counter items, and what each counted record last contributed to them."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from crm.records.table import CrmItem


class CounterItem(CrmItem):
    """One partition's counters for one UTC day (`D#<day>`) or for now (`NOW`); its attributes are named
    by metric, dimensions and quarter hour (crm.dashboards.counted), so they are read raw."""

    @staticmethod
    def key(partition: str, sk: str) -> tuple[str, str]:
        return partition, sk


class CountedItem(CrmItem):
    """What a record last added to the counters (`cells`, JSON) and the order of the image it came from,
    so a repeated or older stream record changes nothing. A removed record keeps a `removed` marker,
    expiring once no stream record of it can still arrive, so that a late image cannot count again."""

    order = UnicodeAttribute(null=True)
    cells = UnicodeAttribute(null=True)
    removed = BooleanAttribute(null=True)
    expires_at = NumberAttribute(null=True)

    @staticmethod
    def key(pk: str, sk: str) -> tuple[str, str]:
        return f"DASHSRC#{pk}|{sk}", "COUNTED"
