"""The field classes deals and activities declare: what the API takes (as the OpenAPI document says), how
a write normalizes it, and what a read shows."""

from __future__ import annotations

from typing import Any

import pytest
from crm.platform.text import InvalidValue
from crm.records.fields import (
    Choice,
    Currency,
    Date,
    DateTime,
    Flag,
    MinorUnits,
    Percent,
    Ref,
    Text,
    WriteContext,
    iso_date,
    iso_datetime,
)
from pydantic import TypeAdapter, ValidationError

CONTEXT = WriteContext("deal", None, None)


def takes(field: Any, value: Any) -> bool:
    try:
        TypeAdapter(field.input_type()).validate_python(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("field", "good", "bad"), [
    (MinorUnits(), [0, 125000, 10**15], [-1, 10**15 + 1, 1.5, 1.0, "100", True]),
    (Percent(), [0, 65, 100], [-1, 101, True, "50", 50.0]),
    (Currency(), ["EUR", "USD"], ["eur", "EURO", "", 978]),
    (Ref(), ["c1", "x" * 64], ["", "x" * 65, ["a"], 7]),
    (Ref(63, min_length=None), ["", "proposal"], ["x" * 64]),
    (Flag(strict=True), [True, False], [1, "true", None]),
    (Date(), ["2026-11-24", "2028-02-29"], ["2026-02-30", "tomorrow", "24/11/2026", 1700000000]),
    (DateTime(), ["2026-11-24T09:30:00Z", "2026-11-24T13:00:00+03:30"], ["2026-11-24T09:30:00", "tomorrow"]),
])
def test_each_field_takes_what_its_bounds_allow_and_nothing_else(field, good, bad):
    assert [value for value in good if not takes(field, value)] == []
    assert [value for value in bad if takes(field, value)] == []


def test_dates_and_times_are_stored_in_one_form():
    assert iso_date(" 2026-11-24 ") == "2026-11-24"
    assert iso_datetime("2026-12-01T10:30:00+03:30") == "2026-12-01T07:00:00Z"
    with pytest.raises(InvalidValue):
        iso_date("2026-11-2")
    with pytest.raises(ValueError, match="offset"):
        iso_datetime("2026-12-01T10:30:00")


def test_an_id_is_kept_exactly_as_sent_and_text_is_cleaned():
    assert Ref().normalize(" c1", CONTEXT) == " c1"
    assert Text().normalize("  Acme\u0000 ", CONTEXT) == "Acme"
    assert Text().normalize("   ", CONTEXT) is None


def test_a_field_with_a_value_for_records_stored_without_one_is_never_null():
    status = Choice(("open", "won", "lost"), absent="open")
    assert status.present(None) == "open" and status.present("won") == "won"
    assert status.output_type() is str
    assert Choice(("a", "b")).output_type() == str | None
    assert Choice(("a", "b"), null=False).output_type() is str
    assert Flag(default=False).output_type() is bool
    assert Flag().output_type() == bool | None
    assert Text(required=True).output_type() is str
