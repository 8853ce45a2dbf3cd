"""One person, one record: the normalization every entry point relies on."""

import pytest
from crm.platform.identity import InvalidValue, clean_text, email_key, fold_text, normalize_email, normalize_phone
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(("typed", "region", "e164"), [
    ("8 (912) 345-67-89", "RU", "+79123456789"),          # Russian trunk prefix 8
    ("+7 912 345-67-89", "US", "+79123456789"),            # international form ignores the region
    ("۰۹۱۲۳۴۵۶۷۸۹", "IR", "+989123456789"),                # Persian digits with trunk 0
    ("٠٩١٢٣٤٥٦٧٨٩", "IR", "+989123456789"),                # Arabic-Indic digits
    ("012-345 6789", "MY", "+60123456789"),                # Malaysian mobile
    ("69 1234 5678", "GR", "+306912345678"),               # Greek mobile
    ("(415) 555-0100", "US", "+14155550100"),
])
def test_phone_numbers_typed_any_way_become_one_e164(typed, region, e164):
    # Given a phone typed in a local format / When normalized with the form's region / Then E.164
    assert normalize_phone(typed, region) == e164


@pytest.mark.parametrize("typed", ["abc", "12", "+1 555", ""])
def test_not_a_phone_number_is_a_clear_error(typed):
    with pytest.raises(InvalidValue):
        normalize_phone(typed, "US")


def test_emails_match_whatever_case_and_spaces_they_were_typed_with():
    assert normalize_email("  Ali.Rezaei@Example.COM ") == "Ali.Rezaei@example.com"
    assert email_key(normalize_email("ALI.REZAEI@example.com")) == email_key(normalize_email("ali.rezaei@EXAMPLE.com"))


@pytest.mark.parametrize("typed", ["no-at-sign", "a@", "@b.com", "a b@c.com", "a@b..com"])
def test_malformed_email_is_a_clear_error(typed):
    with pytest.raises(InvalidValue):
        normalize_email(typed)


@pytest.mark.parametrize(("one", "other"), [
    ("علي", "علی"),              # Arabic yeh and Persian yeh
    ("كريم", "کریم"),            # Arabic kaf and keheh
    ("محـــمد", "محمد"),         # tatweel
    ("مُحَمَّد", "محمد"),          # diacritics
    ("ΕΛΕΝΗ", "Ελένη"),          # Greek case and accents
    ("ΟΔΥΣΣΕΑΣ", "Οδυσσέας"),    # final sigma
    ("Ｍａｒｉａ", "maria"),       # NFKC width
])
def test_names_fold_to_the_same_search_key(one, other):
    assert fold_text(one) == fold_text(other)


def test_different_names_keep_different_keys():
    assert fold_text("علی") != fold_text("علا")


@given(st.text())
def test_folding_is_idempotent_for_any_text(text):
    assert fold_text(fold_text(text)) == fold_text(text)


@given(st.text())
def test_clean_text_never_keeps_control_characters(text):
    try:
        cleaned = clean_text(text, 10_000)
    except InvalidValue:
        return
    assert all(ch in "\n\t" or (ord(ch) >= 32 and not 0x7F <= ord(ch) <= 0x9F) for ch in cleaned)


def test_clean_text_refuses_instead_of_cutting():
    with pytest.raises(InvalidValue):
        clean_text("x" * 11, 10)
