"""Search keys: the folded terms a contact or company is found by, and the term prefix a query becomes.

Both sides go through the same folding (crm.text.fold_text, digits as ASCII), so `علی` finds `علي` and `ΕΛΕΝΗ` finds
`Ελένη`; phones are searched by their E.164 digits, so any format of one number finds it. Pure: no I/O.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from crm.platform.text import InvalidValue, fold_text

# Each term is one item in the record's TransactWriteItems (up to 100 items, old terms' deletes included).
MAX_TERMS = 40
# A query is at most this long after folding, so a term cut there still answers every query.
MAX_QUERY_LENGTH = 200
_PHONE_PUNCTUATION = frozenset(" +-().\u00a0/")


def contact_terms(first_name: str | None, last_name: str | None, emails: Iterable[str],
                  phones: Iterable[str], company: str | None) -> list[str]:
    """The full name and its words, each address and its local part, each phone's digits, the company."""
    name = " ".join(part for part in (first_name, last_name) if part)
    return capped([*name_terms(name), *(t for e in sorted(emails) for t in email_terms(e)),
                   *(phone_term(p) for p in sorted(phones)), *name_terms(company)])


def company_terms(name: str | None, domain: str | None, phone: str | None) -> list[str]:
    return capped([*name_terms(name), *([search_fold(domain)] if domain else []),
                   *([phone_term(phone)] if phone else [])])


def name_terms(name: str | None) -> list[str]:
    """The whole folded name (so `ali rez` finds `Ali Rezaei`) and each word, hyphenated parts too."""
    folded = search_fold(name or "")
    words = folded.split()
    return [folded, *words, *(part for word in words if "-" in word for part in word.split("-"))]


def email_terms(address: str) -> list[str]:
    key = search_fold(address)
    return [key, key.rpartition("@")[0]]


def phone_term(e164: str) -> str:
    return e164.lstrip("+")


def search_fold(text: str) -> str:
    """fold_text, with every script's digits (Persian `۱۰۱`, Arabic-Indic `١٠١`) as ASCII digits."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in fold_text(text))


def capped(terms: Iterable[str]) -> list[str]:
    """Distinct non-empty terms in order of importance, at most MAX_TERMS, each cut to the query limit."""
    kept: dict[str, None] = {}
    for term in terms:
        term = term[:MAX_QUERY_LENGTH].strip()
        if term:
            kept.setdefault(term)
    return list(kept)[:MAX_TERMS]


def query_prefix(query: str, default_region: str | None) -> str:
    """The term prefix a query searches: the E.164 digits of a phone typed in any format (or, for part of
    a number, its digits), else the folded text. InvalidValue when it is empty or too long once folded."""
    folded = search_fold(query)
    if not folded:
        raise InvalidValue("Type something to search for.")
    if len(folded) > MAX_QUERY_LENGTH:
        raise InvalidValue(f"A search is at most {MAX_QUERY_LENGTH} characters.")
    if not _looks_like_phone(folded):
        return folded
    return _e164_digits(query.strip(), default_region) or "".join(ch for ch in folded if ch.isdecimal())


def _looks_like_phone(folded: str) -> bool:
    return any(ch.isdecimal() for ch in folded) and all(ch.isdecimal() or ch in _PHONE_PUNCTUATION for ch in folded)


def _e164_digits(query: str, default_region: str | None) -> str | None:
    """The number in the default region's format, or international without its `+` (`7912...`)."""
    # Only queries parse phones: the indexer, which imports this module too, never loads phonenumbers.
    from crm.platform.identity import normalize_phone  # noqa: PLC0415 - only queries parse phones
    candidates = [(query, default_region)]
    if query[:1].isdecimal():
        candidates.append(("+" + query, None))
    for candidate, region in candidates:
        try:
            return phone_term(normalize_phone(candidate, region))
        except InvalidValue:
            continue
    return None
