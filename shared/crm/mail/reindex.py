"""Puts the cases written before the inbox existed (a stack upgraded to it) into the inbox: each case without
its inbox keys gets them from its status and last activity. A case changed meanwhile already has them, and the
update is conditioned on that, so running it twice, or beside live mail, changes nothing twice."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from crm.mail.spec import CaseItem


def reindex_cases() -> tuple[int, int]:
    """(cases read without inbox keys, cases put into the inbox)."""
    read = changed = 0
    outside = CaseItem.PK.startswith("CASE#") & (CaseItem.SK == "CASE") & CaseItem.GSI3PK.does_not_exist()
    for case in CaseItem.scan(outside):
        read += 1
        keys = CaseItem.inbox_keys(case.status, case.updated_at, case.case_id)
        try:
            case.update([CaseItem.GSI3PK.set(keys["GSI3PK"]), CaseItem.order_key.set(keys["order_key"])],
                        condition=CaseItem.GSI3PK.does_not_exist() & (CaseItem.status == case.status))
            changed += 1
        except UpdateError:
            continue  # changed meanwhile: its change set the keys
    return read, changed
