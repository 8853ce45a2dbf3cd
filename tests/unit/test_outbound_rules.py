"""The pure side of outbound email: templates rendered in a sandbox (per language, hostile sources and values),
the one-click unsubscribe token, and consent per topic."""

from __future__ import annotations

import base64
import time

import pytest
from crm.outbound.consent import (
    read_token,
    refusal,
    sign_token,
    token_key,
    unsubscribed_all,
    with_consent,
)
from crm.outbound.render import (
    MAX_RENDERED,
    TemplateRefused,
    check_variants,
    pick_language,
    render_part,
    render_variant,
)
from hypothesis import given, settings
from hypothesis import strategies as st

CONTACT = {"contact": {"first_name": "Sara", "company": "Acme"}, "user": {"name": "Reza"}}


# Rendering

@pytest.mark.parametrize(("source", "values", "expected"), [
    ("سلام {{ contact.first_name }}، از {{ user.name }}", {"contact": {"first_name": "مریم"}, "user": {"name": "رضا"}},
     "سلام مریم، از رضا"),
    ("مرحبا {{ contact.first_name }}", {"contact": {"first_name": "ليلى"}}, "مرحبا ليلى"),
    ("Здравствуйте, {{ contact.first_name|upper }}!", {"contact": {"first_name": "Мария"}}, "Здравствуйте, МАРИЯ!"),
    ("Hi {{ contact.first_name|default('there') }}", {}, "Hi there"),
    ("{% if contact.company %}at {{ contact.company }}{% else %}-{% endif %}", CONTACT, "at Acme"),
])
def test_variables_render_in_any_script(source: str, values: dict, expected: str) -> None:
    assert render_part(source, values) == expected


def test_a_missing_variable_is_empty_however_deep() -> None:
    assert render_part("[{{ nope }}|{{ contact.missing.deeper }}|{{ contact['x'] }}]", CONTACT) == "[||]"
    assert render_part("{% if contact.score > 50 %}hot{% else %}cold{% endif %}", {}) == "cold"


def test_html_is_escaped_and_text_is_not() -> None:
    values = {"contact": {"first_name": "<script>alert(1)</script>"}}
    assert "<script>" not in render_part("<p>{{ contact.first_name }}</p>", values, html=True)
    assert render_part("{{ contact.first_name }}", values) == "<script>alert(1)</script>"


@pytest.mark.parametrize("source", [
    "{{ contact.__class__ }}", "{{ contact._secret }}", "{{ ''.__class__.__mro__ }}", "{{ cycler }}{{ range(9) }}",
    "{% for i in contact %}{% endfor %}", "{{ 9 ** 9 ** 9 }}", "{{ 'a' * 100000000 }}", "{{ x|replace('a','b') }}",
    "{{ contact.first_name.format(1) }}", "{% set x = 1 %}", "{% macro m() %}{% endmacro %}", "{% include 'a' %}",
    "{% extends 'a' %}", "{% import 'a' as b %}", "{{ [1,2] }}", "{{ {'a': 1} }}", "{{ x|attr('y') }}",
    "{{", "{% if %}",
])
def test_what_the_sandbox_does_not_allow_is_refused(source: str) -> None:
    with pytest.raises(TemplateRefused):
        render_part(source, CONTACT)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"{}%#|.()[]'\"~ _-*+/!=<>", "{{", "}}", "{%", "%}", "if", "for", "else", "endif",
                                  "contact", "user", "first_name", "upper", "x", "1", "د"]), max_size=40).map("".join))
def test_any_template_renders_or_is_refused_never_raising_anything_else(source: str) -> None:
    started = time.monotonic()
    try:
        out = render_part(source, CONTACT)
    except TemplateRefused:
        return
    finally:
        assert time.monotonic() - started < 2
    assert len(out) <= MAX_RENDERED


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=50),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=12))
def test_any_values_render_a_valid_template(value: object) -> None:
    # Strangers fill the variables: a form's fields, an import's columns.
    render_part("{{ contact.first_name }} {{ contact.first_name|title|truncate(20) }} {{ v }}",
                {"contact": {"first_name": value}, "v": value})


def test_a_render_that_would_grow_without_bound_is_refused() -> None:
    with pytest.raises(TemplateRefused):
        render_part("{{ v }}{{ v }}{{ v }}", {"v": "x" * (MAX_RENDERED // 2)})


def test_check_variants_names_each_bad_part() -> None:
    with pytest.raises(TemplateRefused) as refused:
        check_variants({"en": {"subject": "ok", "text": "{% if %}"}, "fa": {"subject": "{{ x.__class__ }}",
                                                                             "text": "ok"}}, "de")
    assert set(refused.value.fields) == {"variants.en.text", "variants.fa.subject", "default_language"}


@pytest.mark.parametrize(("wanted", "expected"), [
    (["fa-IR"], "fa"), (["FA"], "fa"), (["pt"], "pt-BR"), (["pt_BR"], "pt-BR"), (["de", "ru"], "ru"),
    ([None], "en"), (["zh"], "en"), ([], "en"),
])
def test_the_language_picks_a_variant_else_the_default(wanted: list, expected: str) -> None:
    assert pick_language(["en", "fa", "ru", "pt-BR"], wanted, "en") == expected


def test_marketing_mail_gets_a_visible_unsubscribe_link_in_its_language_once() -> None:
    url = "https://crm.example.com/unsubscribe/t"
    shown = render_variant({"subject": "S\r\nBcc: x@example.com", "text": "سلام", "html": "<p>سلام</p>"}, "fa",
                           {}, url)
    assert shown.subject == "S Bcc: x@example.com"
    assert shown.text.endswith(f"لغو اشتراک: {url}\n") and f'href="{url}"' in (shown.html or "")
    already = render_variant({"subject": "S", "text": "Leave: {{ u }}"}, "en", {"u": url}, url)
    assert already.text.count(url) == 1


# The one-click token

KEY = token_key("the cursor secret")


def test_a_token_reads_back_as_its_contact_and_topic() -> None:
    assert read_token(KEY, sign_token(KEY, "c-42", "newsletter")) == ("c-42", "newsletter")


def test_a_token_is_bound_to_its_key_purpose_contact_and_topic() -> None:
    token = sign_token(KEY, "c-42", "newsletter")
    body, mac = token.split(".")
    assert read_token(token_key("another secret"), token) is None
    assert KEY != token_key("the cursor secret".upper())
    swapped = base64.urlsafe_b64encode(b"c-42\noffers").rstrip(b"=").decode()
    assert read_token(KEY, f"{swapped}.{mac}") is None
    assert read_token(KEY, f"{body}.{mac[:-2]}AA") is None


@given(st.text(max_size=700))
def test_any_string_is_a_genuine_token_or_none(token: str) -> None:
    assert read_token(KEY, token) is None


@given(st.text(min_size=1, max_size=60).filter(lambda s: "\n" not in s), st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}",
                                                                                        fullmatch=True))
def test_every_contact_and_topic_round_trip(contact_id: str, topic: str) -> None:
    assert read_token(KEY, sign_token(KEY, contact_id, topic)) == (contact_id, topic)


# Consent

def test_marketing_needs_a_yes_to_its_own_topic_and_transactional_needs_none() -> None:
    consent = {"newsletter": {"status": "subscribed"}, "offers": {"status": "unsubscribed"}}
    assert refusal(consent, "newsletter") is None
    assert refusal(consent, "offers") == "unsubscribed"
    assert refusal(consent, "events") == "no_consent"
    assert refusal(None, "transactional") is None
    assert refusal({"offers": "garbage"}, "offers") == "no_consent"


def test_a_change_touches_only_its_topics_and_keeps_when_an_unchanged_one_was_given() -> None:
    before = {"newsletter": {"status": "subscribed", "at": "2026-01-01", "source": "form"},
              "offers": {"status": "subscribed", "at": "2026-01-01", "source": "form"}}
    after = with_consent(before, {"offers": "unsubscribed", "newsletter": "subscribed"}, "2026-12-04", "one_click")
    assert after["newsletter"] == before["newsletter"]
    assert after["offers"] == {"status": "unsubscribed", "at": "2026-12-04", "source": "one_click"}
    assert before["offers"]["status"] == "subscribed"


def test_a_complaint_unsubscribes_every_subscribed_topic() -> None:
    before = {"newsletter": {"status": "subscribed"}, "offers": {"status": "unsubscribed", "at": "old"}}
    after = unsubscribed_all(before, "now", "complaint")
    assert after == {"newsletter": {"status": "unsubscribed", "at": "now", "source": "complaint"},
                     "offers": {"status": "unsubscribed", "at": "old"}}
