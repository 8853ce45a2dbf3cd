"""Records the API shows but never takes field by field (emails, cases, attachments, payments, forms, audit
entries): each field is declared once on the stored item and reaches the view and its model from there;
support sees mail by one rule; the functions that store these items never load pydantic for them."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from crm.contacts.timeline import shows_timeline_entry
from crm.forms.spec import FORM, FormItem
from crm.mail import visibility
from crm.mail.spec import ATTACHMENT, CASE, EMAIL, EMAIL_IN_THREAD, AttachmentItem, CaseItem, EmailItem
from crm.payments.spec import PAYMENT, REFUND, PaymentItem, RefundItem, payment_status, payment_view
from crm.platform.access import Caller
from crm.records.audit import AUDIT_ENTRY, AuditItem
from crm.records.fields import Integer, Text
from crm.records.table import CrmItem
from crm.records.views import RecordView, shown_as
from pynamodb.attributes import UnicodeAttribute

from tests.conftest import ROOT

AT = "2026-11-24T12:00:00Z"
SUPPORT = Caller("u", frozenset({"support"}))
SALES = Caller("u", frozenset({"sales"}))
MARKETING = Caller("u", frozenset({"marketing"}))


def email(email_id: str = "e1", case_id: str | None = None, contact_ids: list[str] | None = None) -> EmailItem:
    return EmailItem(*EmailItem.key(email_id), email_id=email_id, status="received", thread_id="t1",
                     subject="Prices?", from_address="ali@example.ir", from_name="Ali", to=["sales@crm.example.com"],
                     received_at=AT, preview="Hello", attachments=[{"attachment_id": "a1", "size": 3}],
                     contact_ids=contact_ids, routed_to={"queue": "sales"}, case_id=case_id, raw_bucket="b",
                     raw_key="k", size=683)


def shown_records() -> list[tuple[RecordView[Any], dict[str, Any]]]:
    case = CaseItem(*CaseItem.key("c1"), case_id="c1", status="open", thread_id="t1", mailbox="support@x",
                    created_at=AT, updated_at=AT)
    attachment = AttachmentItem(*AttachmentItem.key("a1"), attachment_id="a1", s3_key="email/a1",
                                filename="x.pdf", content_type="application/pdf", size=3, first_email_id="e1",
                                created_at=AT)
    payment = PaymentItem(*PaymentItem.key("stripe:pi_1"), payment_key="stripe:pi_1", provider="stripe",
                          provider_payment_id="pi_1", amount_minor=5000, currency="EUR", succeeded_at=AT)
    refund = RefundItem(*RefundItem.key("stripe:pi_1", "re_1"), payment_key="stripe:pi_1", refund_id="re_1",
                        amount_minor=2000, refunded_at=AT)
    form = FormItem(*FormItem.key("newsletter"), config={"form_id": "newsletter", "fields": []}, updated_at=AT)
    audit = AuditItem(*AuditItem.key("form", "newsletter", AT, "x1"), audit_id="x1", entity="form",
                      entity_id="newsletter", action="update", actor="u", at=AT,
                      changes={"name": {"before": "A", "after": "B"}}, GSI1PK="AUDIT", GSI1SK=AT)
    return [
        (EMAIL, EMAIL.view(email(), thread=[EMAIL_IN_THREAD.view(email())])),
        (EMAIL_IN_THREAD, EMAIL_IN_THREAD.view(email())),
        (CASE, CASE.view(case, emails=[EMAIL_IN_THREAD.view(email())])),
        (ATTACHMENT, ATTACHMENT.view(attachment, url="https://s3/x", expires_in=300)),
        (PAYMENT, payment_view(payment, [refund])),
        (PAYMENT, payment_view(payment, None)),
        (REFUND, REFUND.view(refund)),
        (FORM, FORM.view(form)),
        (AUDIT_ENTRY, AUDIT_ENTRY.view(audit)),
    ]


@pytest.mark.parametrize(("shown", "view"), shown_records(), ids=lambda value: getattr(value, "title", ""))
def test_each_view_is_what_its_model_says_in_the_models_order(shown, view):
    # Given a record's view, derived from its item's declared fields
    # Then its model takes it as it is, and lists the same names in the same order
    model = shown.output_model.model_validate(view)
    assert model.model_dump(mode="json") == json.loads(json.dumps(view))
    assert list(view) == list(shown.output_model.model_fields)


def test_an_email_shows_its_fields_under_their_api_names_and_keeps_the_rest_internal():
    view = EMAIL.view(email(contact_ids=["k1"]), thread=[])
    # The sender's two attributes are one object; the list attributes absent from the item are []
    assert view["from"] == {"address": "ali@example.ir", "name": "Ali"}
    assert (view["id"], view["cc"], view["flags"], view["size"]) == ("e1", [], [], 683)
    # The raw object's place and the thread index stay internal
    assert not {"raw_bucket", "raw_key", "references", "GSI1PK", "from_address"} & set(view)
    # In a thread's list, the sender's address is its `from`, and a read of the list projects only what it shows
    assert EMAIL_IN_THREAD.view(email()) == {"id": "e1", "subject": "Prices?", "from": "ali@example.ir",
                                             "received_at": AT, "preview": "Hello"}
    assert EMAIL_IN_THREAD.attributes == ["email_id", "subject", "from_address", "received_at", "preview"]


class NoteItem(CrmItem):
    note_id = UnicodeAttribute()
    body = Text(writable=False)
    author = shown_as("by.name", Text(writable=False))
    size = Integer(writable=False, required=True, null=False)
    folded = UnicodeAttribute(null=True)


def test_a_field_declared_once_on_the_item_reaches_the_view_and_the_model_where_it_is_declared():
    # Given an item whose fields say how they are shown, and a value computed after one of them
    notes = RecordView("Note", NoteItem, "note_id", computed={"words": int}, computed_after="body")
    item = NoteItem("N#1", "NOTE", note_id="1", body="hi there", author="Ali", size=8, folded="hi")
    # Then the view and the model list them in the item's order, the computed value after `body`; an attribute
    # that is no such field stays internal
    assert notes.view(item, words=2) == {"id": "1", "body": "hi there", "words": 2, "by": {"name": "Ali"},
                                         "size": 8}
    assert list(notes.output_model.model_fields) == ["id", "body", "words", "by", "size"]
    assert notes.output_model.model_fields["by"].annotation.__name__ == "NoteBy"
    # And a view given other computed values than it declares refuses them
    with pytest.raises(TypeError):
        notes.view(item)
    with pytest.raises(TypeError):
        notes.view(item, words=2, lines=1)


def test_a_payments_status_follows_from_its_facts_whatever_arrived_first():
    paid = PaymentItem(amount_minor=5000, succeeded_at=AT)
    assert [payment_status(paid, refunded) for refunded in (0, 2000, 5000, 6000)] == [
        "succeeded", "partially_refunded", "refunded", "refunded"]
    assert payment_status(PaymentItem(failed_at=AT), 0) == "failed"
    assert payment_status(PaymentItem(), 0) == "pending"
    # A refund reported before the amount is known is partial until the amount arrives
    assert payment_status(PaymentItem(), 2000) == "partially_refunded"


def test_support_sees_mail_of_a_case_or_a_customer_and_asks_only_about_the_rest(monkeypatch):
    asked: list[set[str]] = []

    def stages(contact_ids: set[str]) -> set[str]:
        asked.append(contact_ids)
        return {"customer"} & contact_ids

    monkeypatch.setattr(visibility, "_customers", stages)
    case_mail, customer_mail, lead_mail = email("e1", "c1", ["lead"]), email("e2", None, ["customer"]), email(
        "e3", None, ["lead"])
    # Admin, sales: everything, without a look-up
    assert visibility.visible_emails(SALES, [case_mail, customer_mail, lead_mail]) == [case_mail, customer_mail,
                                                                                       lead_mail]
    assert asked == []
    # Support: a case's mail and a customer's, in their order; one look-up, of the contacts of the mail of no case
    assert visibility.visible_emails(SUPPORT, [case_mail, customer_mail, lead_mail]) == [case_mail, customer_mail]
    assert asked == [{"customer", "lead"}]


def test_a_widely_shared_file_names_no_email_so_support_is_not_given_it():
    shared = AttachmentItem(attachment_id="logo", widely_shared=True)
    assert visibility.attachment_visible(SUPPORT, shared) is False
    assert visibility.attachment_visible(SALES, shared) is True


def test_a_timeline_shows_an_entry_to_who_may_read_what_it_is_about():
    # Given entries about mail, a deal, a payment, a qualification into a deal, and the contact itself
    entries = [("email_received", {}), ("deal_won", {}), ("payment_succeeded", {}),
               ("qualified", {"deal_id": "d"}), ("qualified", {}), ("contact_created", {})]

    # Then each role sees those whose kind of record it may read
    def shown(caller: Any) -> list[bool]:
        return [shows_timeline_entry(caller, kind, data) for kind, data in entries]

    assert shown(SALES) == [True, True, True, True, True, True]
    assert shown(SUPPORT) == [True, False, False, False, True, True]
    assert shown(MARKETING) == [False, False, False, False, True, True]


def test_the_functions_that_store_these_records_load_no_pydantic_for_them():
    # Given a fresh interpreter, as a cold mail, payment or form function
    code = ("import sys, crm.mail.spec, crm.payments.spec, crm.forms.spec, crm.records.audit, crm.records.views; "
            "print('pydantic' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": str(ROOT / "shared")}, timeout=60)
    # Then importing their items and views did not load pydantic
    assert result.stdout.strip() == "False"
