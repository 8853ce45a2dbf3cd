"""Who sees which mail, declared once; every door that returns or links an email or a file asks here.

Admin and sales see all mail. Support sees mail only where it belongs to a support case or to a customer,
as it sees contacts: an email by id, the emails of a thread or a case, a file's download link. Marketing
reads no mail (the routes' permission), so a contact's timeline leaves its mail entries out; support reads
timelines of customers only, whose mail entries link emails of that customer, which it may see.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from crm.contacts.spec import CUSTOMER_STAGE, ContactItem
from crm.mail.spec import AttachmentItem, EmailItem
from crm.platform.access import Caller

Email = TypeVar("Email", bound=EmailItem)

# What says whom an email belongs to: a support case, or its contacts. A read that decides who may see an
# email projects these.
WHOSE = ("case_id", "contact_ids")


def visible_emails(caller: Caller, emails: Iterable[Email]) -> list[Email]:
    """The emails the caller may see, in their order. For support, one BatchGetItem of the stages of the
    contacts of the emails that belong to no case, for all the emails at once (none when all do)."""
    emails = list(emails)
    if not caller.customers_only:
        return emails
    customers = _customers({contact_id for e in emails if not e.case_id for contact_id in e.contact_ids or []})
    return [e for e in emails if e.case_id or customers & set(e.contact_ids or [])]


def attachment_visible(caller: Caller, attachment: AttachmentItem) -> bool:
    """A file is seen by who may see one of the emails that carry it. A file carried by too many emails to
    track (widely shared, like a logo) names none of them, so support is not given it."""
    if not caller.customers_only:
        return True
    carriers = sorted(attachment.email_ids or ())
    if not carriers:
        return False
    emails = EmailItem.batch_get([EmailItem.key(email_id) for email_id in carriers],
                                 attributes_to_get=["email_id", *WHOSE])
    return bool(visible_emails(caller, emails))


def _customers(contact_ids: set[str]) -> set[str]:
    if not contact_ids:
        return set()
    profiles = ContactItem.batch_get([ContactItem.key(contact_id) for contact_id in sorted(contact_ids)],
                                     attributes_to_get=["contact_id", "lifecycle_stage"])
    return {profile.contact_id for profile in profiles if profile.lifecycle_stage == CUSTOMER_STAGE}
