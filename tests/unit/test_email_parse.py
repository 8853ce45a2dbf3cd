"""Parsing strangers' mail: a corpus of hard MIME cases, and mutated messages that must never crash."""

from __future__ import annotations

from crm.mail.ingest import email_id_for, may_auto_reply
from crm.mail.mailboxes import MailSettings
from crm.mail.parse import parse_email, preview
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.mail import DOMAIN, encoded_word, message, mutated, raw

MAIL = MailSettings(domain=DOMAIN, inbound_bucket="inbound")


def test_arabic_windows_1256_subject_and_body_read_right_to_left_text():
    # Given an Arabic message in windows-1256, its subject an RFC 2047 encoded word
    subject = "طلب عرض سعر"
    mail = raw(f"Subject: {encoded_word(subject, 'windows-1256')}", "From: Omar <omar@example.sa>",
               body="مرحبا، نريد عرض سعر".encode("windows-1256"), content_type="text/plain; charset=windows-1256")
    # When it is parsed
    parsed = parse_email(mail)
    # Then subject and body read as the sender wrote them
    assert parsed.subject == subject
    assert parsed.text_body == "مرحبا، نريد عرض سعر"
    assert parsed.sender is not None and parsed.sender.address == "omar@example.sa"


def test_koi8_r_body_and_greek_iso_8859_7_subject():
    mail = raw(f"Subject: {encoded_word('Προσφορά', 'iso-8859-7')}", "From: ivan@example.ru",
               body="Здравствуйте!".encode("koi8-r"), content_type="text/plain; charset=koi8-r")
    parsed = parse_email(mail)
    assert (parsed.subject, parsed.text_body) == ("Προσφορά", "Здравствуйте!")


def test_an_unknown_charset_falls_back_without_failing():
    mail = raw("Subject: =?x-made-up?B?SGVsbG8=?=", "From: a@example.com", body="café".encode(),
               content_type="text/plain; charset=x-made-up")
    parsed = parse_email(mail)
    assert parsed.subject == "Hello" and parsed.text_body == "café"


def test_raw_utf8_in_headers_is_read_as_utf8():
    parsed = parse_email("Subject: سلام دوست\r\nFrom: Ali <ali@example.ir>\r\n\r\nbody".encode())
    assert parsed.subject == "سلام دوست"


def test_a_rtl_subject_keeps_its_direction_marks_and_joiners():
    subject = "\u200fدرخواست\u200cها"
    parsed = parse_email(raw(f"Subject: {encoded_word(subject, 'utf-8')}"))
    assert parsed.subject == subject


def test_a_broken_boundary_keeps_the_body_and_flags_it():
    mail = raw("From: a@example.com", "Subject: broken", body=b"--other\r\nstill the text\r\n",
               content_type='multipart/mixed; boundary="never-used"')
    parsed = parse_email(mail)
    assert "still the text" in parsed.text_body
    assert parsed.defects


def test_a_missing_boundary_parameter_keeps_the_body():
    parsed = parse_email(raw(body=b"plain words", content_type="multipart/alternative"))
    assert parsed.text_body == "plain words" and "NoBoundaryInMultipartDefect" in parsed.defects


def test_missing_headers_give_empty_values_and_an_id_from_the_bytes():
    data = b"\r\njust a body"
    parsed = parse_email(data)
    assert (parsed.sender, parsed.message_id, parsed.subject, parsed.sent_at) == (None, None, "", None)
    assert email_id_for(parsed.message_id, data) == email_id_for(None, data) != email_id_for(None, data + b"!")


def test_huge_headers_are_cut_to_size():
    recipients = ", ".join(f"user{i}@example.com" for i in range(5000))
    parsed = parse_email(raw("Subject: " + "x" * 100_000, f"To: {recipients}",
                             "References: " + " ".join(f"<{i}@x>" for i in range(500))))
    assert len(parsed.subject) == 998
    assert len(parsed.to) == 100
    assert len(parsed.references) == 50 and parsed.references[-1] == "499@x"


def test_a_nested_message_is_an_attachment_and_its_text_is_not_the_body():
    inner = message(subject="Inner", body="forwarded words")
    outer = message(subject="Fwd: Inner", body="see below")
    outer.add_attachment(inner)
    parsed = parse_email(outer.as_bytes())
    assert parsed.text_body == "see below"
    [attached] = parsed.attachments
    assert attached.content_type == "message/rfc822"
    assert b"forwarded words" in attached.data and b"Subject: Inner" in attached.data


def test_html_is_sanitized_and_gives_the_text_when_there_is_no_plain_part():
    html = ('<p dir="rtl" onclick="steal()">سلام <b>دنیا</b></p><script>alert(1)</script>'
            '<a href="javascript:evil()">x</a><img src="https://t.example/p.gif">')
    parsed = parse_email(raw(body=html.encode(), content_type="text/html; charset=utf-8"))
    assert "script" not in parsed.html_body and "onclick" not in parsed.html_body
    assert "javascript" not in parsed.html_body
    assert '<p dir="rtl">' in parsed.html_body
    assert parsed.text_body.startswith("سلام دنیا")


def test_inline_images_and_bad_base64_are_kept_as_attachments():
    mail = message(body="see the picture")
    mail.add_related(b"\x89PNG fake", maintype="image", subtype="png", cid="<logo@example>")
    data = mail.as_bytes().replace(b"iVBORyBmYWtl", b"iVBO!!!*&^%$")
    parsed = parse_email(data)
    [image] = parsed.attachments
    assert (image.content_type, image.disposition, image.content_id) == ("image/png", "inline", "logo@example")


def test_the_preview_leaves_out_quoted_replies_in_several_languages():
    assert preview("Thanks!\n\nOn Mon, 1 Jan 2026, Bob <b@x> wrote:\n> old text") == "Thanks!"
    assert preview("ممنون\nدر تاریخ ۱۴۰۵ علی نوشت:\n> قدیمی") == "ممنون"
    assert preview("Спасибо\n24.11.2026, Иван писал:\n> старое") == "Спасибо"
    assert preview("> quoted first\nnew words\n> more") == "new words"
    assert preview("Hi\n-----Original Message-----\nFrom: x") == "Hi"
    assert len(preview("word " * 200)) == 200


def test_a_delivery_status_notification_names_the_failed_recipient():
    from tests.support.mail import dsn

    parsed = parse_email(dsn("gone@example.ru"))
    assert parsed.bounce is not None and parsed.bounce.failed_recipients == ("gone@example.ru",)


def test_auto_reply_rules_follow_rfc_3834():
    assert may_auto_reply(parse_email(message().as_bytes()), MAIL)
    assert may_auto_reply(parse_email(message(Auto_Submitted="no").as_bytes()), MAIL)
    for headers in ({"Auto_Submitted": "auto-replied"}, {"Precedence": "junk"}, {"List_Id": "<l.example>"},
                    {"Return_Path": "<>"}, {"X_Auto_Response_Suppress": "All"}):
        assert not may_auto_reply(parse_email(message(**headers).as_bytes()), MAIL), headers
    for sender in ("noreply@example.com", "do-not-reply@example.com", "Mailer-Daemon@example.com",
                   f"team@{DOMAIN}", f"x@eu.{DOMAIN}"):
        assert not may_auto_reply(parse_email(message(sender=sender).as_bytes()), MAIL), sender


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(mutated(), st.binary(max_size=2000)))
def test_mutated_and_random_bytes_never_crash_the_parser(data):
    parsed = parse_email(data)
    assert isinstance(parsed.subject, str) and isinstance(parsed.text_body, str)
    assert len(parsed.preview) <= 200
    assert all(isinstance(a.data, bytes) for a in parsed.attachments)


def test_a_read_receipt_is_a_report_but_no_bounce():
    receipt = raw("From: boss@example.com", "Subject: Read: offer",
                  body=b"--r\r\nContent-Type: text/plain\r\n\r\nYour message was read.\r\n--r--\r\n",
                  content_type='multipart/report; report-type=disposition-notification; boundary="r"')
    assert parse_email(receipt).bounce is None


def test_a_message_nested_too_deep_to_read_comes_back_unparsed_not_raised():
    depth = 5000
    head = "".join(f'Content-Type: multipart/mixed; boundary="b{n}"\r\n\r\n--b{n}\r\n' for n in range(depth))
    parsed = parse_email(("From: a@example.com\r\n" + head + "Content-Type: text/plain\r\n\r\ndeep").encode())
    assert parsed.parsed is False and parsed.defects[0].startswith("unparseable:")
