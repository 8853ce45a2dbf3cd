"""Who may see mail: support sees an email, its thread and its attachments only where the mail belongs to a
support case or to a customer, as it sees contacts; admin and sales see all of it."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest

from tests.integration.test_email_ingest import emails, known_contact, receive
from tests.support.api_client import ApiClient
from tests.support.mail import SALES, message, reply_to, with_attachment

SUPPORT_ROLE, SALES_ROLE, ADMIN_ROLE = ApiClient("support"), ApiClient("sales"), ApiClient("admin")


def lead_mails_sales(aws: dict[str, Any], address: str) -> tuple[str, str, str]:
    """A lead from a form emails sales with a PDF; its contact id, email id and attachment id."""
    contact_id = known_contact(address)
    pdf = b"%PDF-1.4 " + os.urandom(512)
    receive(with_attachment(message(sender=f"Lead <{address}>", to=SALES, subject="Prices?"), pdf))
    [email] = [e for e in emails(aws) if e["subject"]["S"] == "Prices?"]
    return contact_id, email["email_id"]["S"], hashlib.sha256(pdf).hexdigest()


def become_customer(contact_id: str) -> None:
    version = SALES_ROLE.get(f"/v1/contacts/{contact_id}").body["version"]
    assert SALES_ROLE.patch(f"/v1/contacts/{contact_id}", {"lifecycle_stage": "customer"}, version).status == 200


def test_support_does_not_see_a_leads_mail_to_sales_until_the_lead_is_a_customer(mail):
    # Given a lead's email to sales with an attachment (no support case)
    contact_id, email_id, attachment_id = lead_mails_sales(mail, "lead@example.ir")
    # When support asks for the email and the file by id
    # Then neither exists for support, as the lead's card and timeline do not
    assert SUPPORT_ROLE.get(f"/v1/emails/{email_id}").status == 404
    assert SUPPORT_ROLE.get(f"/v1/attachments/{attachment_id}").status == 404
    assert SUPPORT_ROLE.get(f"/v1/contacts/{contact_id}").status == 404
    # And sales and admin read both
    for reader in (SALES_ROLE, ADMIN_ROLE):
        assert reader.get(f"/v1/emails/{email_id}").status == 200
        assert reader.get(f"/v1/attachments/{attachment_id}").status == 200
    # When the lead becomes a customer, Then support sees the mail and downloads the file
    become_customer(contact_id)
    assert SUPPORT_ROLE.get(f"/v1/emails/{email_id}").body["id"] == email_id
    assert SUPPORT_ROLE.get(f"/v1/attachments/{attachment_id}").body["url"]


def test_support_sees_mail_of_a_support_case_whoever_sent_it(mail):
    # Given a stranger's email to the support desk, which opens a case, and their reply on the thread
    first = message(sender="Stranger <stranger@example.gr>", subject="Login broken")
    receive(first)
    receive(reply_to(first))
    opened = next(e for e in emails(mail) if e["subject"]["S"] == "Login broken")
    # When support reads the first email, Then it sees it and both emails of its thread
    seen = SUPPORT_ROLE.get(f"/v1/emails/{opened['email_id']['S']}")
    assert seen.status == 200 and seen.body["case_id"]
    assert sorted(e["subject"] for e in seen.body["thread"]) == ["Login broken", "Re: Login broken"]


@pytest.mark.parametrize("reader", [SALES_ROLE, ADMIN_ROLE], ids=["sales", "admin"])
def test_a_thread_support_may_see_hides_the_mail_it_may_not_but_not_from_others(mail, reader):
    # Given a customer's email to sales, and a lead's message threaded onto it (a forward, a CC reply)
    customer_id, first_id, _ = lead_mails_sales(mail, "customer@example.ir")
    become_customer(customer_id)
    first = next(e for e in emails(mail) if e["email_id"]["S"] == first_id)
    known_contact("other.lead@example.ir")
    receive(message(sender="Other <other.lead@example.ir>", to=SALES, subject="Re: Prices?",
                    In_Reply_To=first["message_id"]["S"], References=first["message_id"]["S"]))
    # When support reads the customer's email, Then its thread shows the customer's mail only
    thread = SUPPORT_ROLE.get(f"/v1/emails/{first_id}").body["thread"]
    assert [e["subject"] for e in thread] == ["Prices?"]
    # And the others see the whole thread
    assert sorted(e["subject"] for e in reader.get(f"/v1/emails/{first_id}").body["thread"]) == ["Prices?",
                                                                                                  "Re: Prices?"]


def test_a_case_lists_to_support_only_the_mail_support_may_see(mail):
    # Given a lead's email to sales, and the lead's reply on its thread to the support desk, which opens a case
    _, first_id, _ = lead_mails_sales(mail, "asker@example.ir")
    first = next(e for e in emails(mail) if e["email_id"]["S"] == first_id)
    receive(message(sender="Lead <asker@example.ir>", subject="Re: Prices?", In_Reply_To=first["message_id"]["S"],
                    References=first["message_id"]["S"]))
    [case] = [e["case_id"]["S"] for e in emails(mail) if "case_id" in e]
    # When support reads the case, Then it lists the case's mail, not the lead's email to sales before it
    assert [e["subject"] for e in SUPPORT_ROLE.get(f"/v1/cases/{case}").body["emails"]] == ["Re: Prices?"]
    # And sales, who reads all mail, sees the whole thread
    assert sorted(e["subject"] for e in SALES_ROLE.get(f"/v1/cases/{case}").body["emails"]) == ["Prices?",
                                                                                                  "Re: Prices?"]
