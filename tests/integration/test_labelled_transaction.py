"""A labelled transaction says which write's condition stopped it and, for a write that asked, what that
item held: the owner of a taken email is learnt in the same request that tried to take it."""

from __future__ import annotations

import pytest


def test_a_failed_condition_names_its_write_and_returns_the_item_only_where_asked(aws):
    from crm.contacts.spec import UniqueItem
    from crm.records.transactions import LabelledTransaction
    from pynamodb.exceptions import TransactWriteError

    # Given an email and a phone owned by contact "a"
    for kind, value in (("email", "ali@example.com"), ("phone", "+14155550100")):
        UniqueItem(*UniqueItem.key(kind, value), kind=kind, contact_id="a").save()
    # When contact "b" tries to take both, asking for the item as it was only of the email's sentinel
    transaction = LabelledTransaction()
    transaction.put("sentinel:email", UniqueItem(*UniqueItem.key("email", "ali@example.com"), kind="email",
                                                 contact_id="b"), UniqueItem.PK.does_not_exist(), return_old=True)
    transaction.put("sentinel:phone", UniqueItem(*UniqueItem.key("phone", "+14155550100"), kind="phone",
                                                 contact_id="b"), UniqueItem.PK.does_not_exist())
    with pytest.raises(TransactWriteError) as failure:
        transaction.commit()
    # Then both writes are named as failed, and the email's owner comes back with it
    assert transaction.failed_labels(failure.value) == {"sentinel:email", "sentinel:phone"}
    items = transaction.failed_items(failure.value)
    assert list(items) == ["sentinel:email"]
    assert items["sentinel:email"]["contact_id"] == {"S": "a"}
    # And nothing was written
    assert UniqueItem.get(*UniqueItem.key("email", "ali@example.com")).contact_id == "a"
