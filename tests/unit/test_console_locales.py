"""The console's strings: every language has every key English has, and keeps each placeholder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

LOCALES = Path(__file__).resolve().parents[2] / "console" / "src" / "i18n" / "locales"
ENGLISH = json.loads((LOCALES / "en.json").read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


@pytest.mark.parametrize("language", ["fa", "ar", "ru"])
def test_every_language_has_every_string_with_its_placeholders(language: str) -> None:
    # Given a translation of the console's strings
    catalog = json.loads((LOCALES / f"{language}.json").read_text(encoding="utf-8"))
    # Then it has exactly English's keys, none empty, and each keeps the same {placeholders}
    assert set(catalog) == set(ENGLISH)
    assert [key for key, text in catalog.items() if not text.strip()] == []
    assert {key: placeholders(text) for key, text in catalog.items()} == \
        {key: placeholders(text) for key, text in ENGLISH.items()}
