"""Unicode text: search keys that fold scripts and cases together, and clean display values.

Kept apart from normalize.py so that code which only folds text does not load the email and phone
libraries (a quarter of a function's cold start).
"""

from __future__ import annotations

import re
import unicodedata


class InvalidValue(ValueError):
    """A value a person typed that cannot be normalized; the message is safe to show them."""


# Arabic and Persian letters people type interchangeably, folded to one form for search.
_LETTER_FOLDS = str.maketrans({
    "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
    "\u0649": "\u06cc",  # alef maksura -> Persian yeh
    "\u0643": "\u06a9",  # Arabic kaf -> keheh
    "\u0623": "\u0627",  # alef with hamza above -> alef
    "\u0625": "\u0627",  # alef with hamza below -> alef
    "\u0622": "\u0627",  # alef with madda -> alef
    "\u0629": "\u0647",  # teh marbuta -> heh
    "\u0640": None,      # tatweel
    "\u200c": None,      # zero-width non-joiner, typed inside Persian words
    "\u200d": None,
})
_SPACES = re.compile(r"\s+")


def fold_text(text: str) -> str:
    """A search key: NFKC, casefold, marks and diacritics removed, Arabic/Persian letters unified.

    Greek accents go with the marks and the final sigma with casefold, so `ΕΛΕΝΗ` and `Ελένη` agree.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    stripped = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", stripped).translate(_LETTER_FOLDS)).strip()


def clean_text(text: str, max_length: int) -> str:
    """A display value: NFC, control characters removed, trimmed; too long is an error, not a cut."""
    value = unicodedata.normalize("NFC", text)
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()
    if len(value) > max_length:
        raise InvalidValue(f"Must be at most {max_length} characters.")
    return value
