"""Search keys: the terms a record is found by and the prefix a query becomes, in every script and phone
format the CRM's users type; and which term items a stream image changes."""

from __future__ import annotations

import pytest
from crm.platform.text import InvalidValue
from crm.search.terms import MAX_QUERY_LENGTH, MAX_TERMS, company_terms, contact_terms, query_prefix
from hypothesis import given
from hypothesis import strategies as st


def finds(query: str, terms: list[str], region: str | None = None) -> bool:
    """What the API's Query does: begins_with(SK, prefix) on `<term>#<id>`."""
    prefix = query_prefix(query, region)
    return any(f"{term}#id".startswith(prefix) for term in terms)


@pytest.mark.parametrize(("stored", "typed"), [
    ("علي", "علی"),              # Arabic yeh typed as Persian yeh
    ("علی", "علي"),
    ("کریمی", "كريمي"),          # Persian keheh and yeh, typed with Arabic kaf and yeh
    ("فاطمة", "فاطمه"),          # teh marbuta and heh
    ("محمّد", "محمد"),            # shadda is a diacritic
    ("Ελένη", "ΕΛΕΝΗ"),          # Greek accent and case
    ("Οδυσσέας", "ΟΔΥΣΣΕΑΣ"),    # final sigma
    ("Иван", "иван"),
    ("José", "JOSE"),
    ("Müller", "müller"),
])
def test_a_name_is_found_whatever_script_variant_case_or_accent_it_is_typed_with(stored, typed):
    # Given a contact stored with one spelling
    terms = contact_terms(stored, "Rahimi", [], [], None)
    # When it is searched with another spelling of the same name / Then it is found
    assert finds(typed, terms)


def test_the_beginning_of_any_name_word_or_of_the_full_name_finds_a_contact():
    terms = contact_terms("Ali", "Rezaei-Tehrani", [], [], None)
    assert all(finds(query, terms) for query in ("ali", "Rez", "tehr", "Ali Rez", "rezaei-tehrani"))
    assert not finds("Rezaei Ali", terms)
    assert not finds("li", terms)


@pytest.mark.parametrize(("stored", "typed", "region"), [
    ("+79123456789", "+7 912 345-67-89", None),
    ("+79123456789", "8 (912) 345 67 89", "RU"),
    ("+79123456789", "8 912 345 67 89", "RU"),
    ("+79123456789", "79123456789", None),          # a country code without its +
    ("+79123456789", "79123456789", "RU"),
    ("+989121234567", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "IR"),        # Persian digits with the trunk prefix
    ("+989121234567", "٠٩١٢١٢٣٤٥٦٧", "IR"),          # Arabic-Indic digits
    ("+989121234567", "+98 912 123 4567", "RU"),
    ("+79123456789", "+7 912", None),               # the beginning of an international number
])
def test_a_phone_is_found_in_any_format(stored, typed, region):
    assert finds(typed, contact_terms(None, None, [], [stored], None), region)


def test_a_phone_search_does_not_find_another_number():
    assert not finds("+7 912 345-67-80", contact_terms(None, None, [], ["+79123456789"], None))


@pytest.mark.parametrize("typed", ["Ali.Rezaei@Example.COM", " ali.rezaei@example.com ", "ali.rez", "ALI.REZAEI@"])
def test_an_email_is_found_by_the_address_or_its_beginning_in_any_case(typed):
    assert finds(typed, contact_terms(None, None, ["ali.rezaei@example.com"], [], None))


def test_the_domain_of_an_address_alone_does_not_find_it_but_a_companys_domain_does():
    assert not finds("example.com", contact_terms(None, None, ["ali@example.com"], [], None))
    assert finds("Example.com", company_terms("Acme", "example.com", None))


def test_a_contacts_company_words_find_it_and_a_companys_name_phone_and_domain_find_the_company():
    assert finds("hellas", contact_terms("Eleni", None, [], [], "Acme Hellas"))
    terms = company_terms("شرکت نفت پارس", "pars.ir", "+982112345678")
    assert all(finds(q, terms, "IR") for q in ("نفت", "شركت", "pars.ir", "021 1234 5678", "pars"))


def test_terms_are_distinct_and_capped_so_one_record_fits_one_transaction():
    # Given a contact with more names, addresses and phones than the cap
    emails = [f"person{n}@example.com" for n in range(30)]
    phones = [f"+7912345{n:04d}" for n in range(30)]
    terms = contact_terms("Ali Ali", "Ali", emails, phones, "Ali")
    # Then its terms are distinct, at most MAX_TERMS, the name first
    assert len(terms) == len(set(terms)) == MAX_TERMS
    assert terms[:2] == ["ali ali ali", "ali"]


def test_a_very_long_name_is_cut_where_a_query_ends_and_still_found():
    terms = contact_terms("x" * 1000, None, [], [], None)
    assert max(len(t) for t in terms) == MAX_QUERY_LENGTH
    assert finds("X" * MAX_QUERY_LENGTH, terms)


@pytest.mark.parametrize("query", ["", "   ", "\u0640", "\u064b\u0651", "x" * (MAX_QUERY_LENGTH + 1)])
def test_a_query_empty_or_too_long_once_folded_is_refused(query):
    with pytest.raises(InvalidValue):
        query_prefix(query, None)


def test_a_query_that_is_not_a_valid_number_is_searched_by_its_digits():
    assert query_prefix("+1 (555) 01", "US") == "155501"
    assert query_prefix("2024", "RU") == "2024"
    assert query_prefix("۲۰۲۴", "IR") == "2024"


def test_digits_of_any_script_inside_names_are_one_digit():
    assert finds("Room 101", company_terms("Room ۱۰۱", None, None))
    assert finds("اتاق ۱۰۱", company_terms("اتاق 101", None, None))


# The scripts the CRM's users write names in (Latin and Malay, Greek, Cyrillic, Arabic and Persian with
# their diacritics, tatweel and zero-width non-joiner), spaces and hyphens.
LETTERS = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZáéíóúüñçßÀÉ"
           "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩαβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώΐ"
           "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя"
           "ابپتثجچحخدذرزژسشصضطظعغفقکكگلمنوهیيئةأإآىـًٌٍَُِّ\u200c")
names = st.text(st.sampled_from(LETTERS + " -"), min_size=1, max_size=60).filter(lambda s: s.strip(" -"))


def _variants(text: str) -> list[str]:
    arabic = str.maketrans({"ی": "ي", "ک": "ك"})
    return [text, text.upper(), text.lower(), text.translate(arabic), f"  {text}  "]


@given(first=names, last=st.none() | names, company=st.none() | names,
       local=st.from_regex(r"[a-z][a-z0-9.]{0,20}", fullmatch=True),
       national=st.integers(min_value=900_000_0000, max_value=999_999_9999))
def test_any_records_own_name_email_or_phone_typed_in_an_equivalent_form_finds_it(first, last, company, local,
                                                                                   national):
    # Given any contact's name, address and (Russian mobile) phone, as a stranger typed them
    email = f"{local}@example.com"
    e164 = f"+7{national}"
    terms = contact_terms(first, last, [email], [e164], company)
    typed_phone = f"8 ({str(national)[:3]}) {str(national)[3:6]}-{str(national)[6:8]}-{str(national)[8:]}"
    try:
        from crm.platform.identity import normalize_phone

        normalize_phone(e164, None)
        phone_queries = [e164, typed_phone, e164.lstrip("+")]
    except InvalidValue:
        phone_queries = []  # not a number phonenumbers accepts; nobody could store it
    # When each is typed in an equivalent form / Then the contact is found
    for query in [*_variants(first.split()[0]), *_variants(email), *phone_queries]:
        try:
            query_prefix(query, "RU")
        except InvalidValue:
            continue  # only marks or tatweel: nothing to search with
        assert finds(query, terms, "RU"), query


def entry(version: int, *terms: str, stage: str = "lead", updated_at: str = "2026-01-01T00:00:00.000Z"):
    from crm.search.index import Entry

    return Entry(frozenset(terms), {"id": "c1", "lifecycle_stage": stage}, version, updated_at)


def test_a_new_record_puts_all_its_terms_and_a_newer_image_only_what_changed():
    from crm.search.index import Remembered, writes

    # Given a record indexed at version 1
    first = writes(entry(1, "ali", "rezaei"), None)
    assert (first.put, first.delete) == ({"ali", "rezaei"}, set())
    # When version 2 renames it / Then the new term is put and the old one deleted
    second = writes(entry(2, "ali", "karimi"), Remembered(entry(1, "ali", "rezaei")))
    assert (second.put, second.delete, second.entry.version) == ({"karimi"}, {"rezaei"}, 2)


def test_a_new_summary_rewrites_every_term_since_each_shows_it():
    from crm.search.index import Remembered, writes

    change = writes(entry(2, "ali", "rezaei", stage="customer"), Remembered(entry(1, "ali", "rezaei")))
    assert (change.put, change.delete) == ({"ali", "rezaei"}, set())


@pytest.mark.parametrize(("version", "updated_at"), [(1, "2026-01-01T00:00:00.000Z"), (1, "2025-12-31T00:00:00.000Z"),
                                                     (0, "2027-01-01T00:00:00.000Z")])
def test_a_repeated_or_older_image_changes_nothing(version, updated_at):
    from crm.search.index import Remembered, writes

    assert writes(entry(version, "ali", updated_at=updated_at), Remembered(entry(1, "rezaei"))) is None


def test_a_stage_change_without_a_new_timestamp_is_still_newer():
    from crm.search.index import Remembered, writes

    # Lead scoring qualifies a contact by bumping its version only
    assert writes(entry(2, "ali", stage="mql"), Remembered(entry(1, "ali"))) is not None


def test_a_removed_record_loses_its_terms_and_nothing_brings_them_back():
    from crm.search.index import Remembered, writes

    removal = writes(None, Remembered(entry(3, "ali", "rezaei")))
    assert (removal.put, removal.delete, removal.entry) == (set(), {"ali", "rezaei"}, None)
    assert writes(entry(9, "ali"), Remembered(None, removed=True)) is None
    assert writes(None, Remembered(None, removed=True)) is None
