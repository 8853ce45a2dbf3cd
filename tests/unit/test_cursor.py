"""Pagination cursors are opaque and tamper-proof."""

import pytest
from crm.platform.cursor import InvalidCursor, decode_cursor, encode_cursor
from hypothesis import given
from hypothesis import strategies as st

KEY = {"PK": {"S": "CONTACT#1"}, "SK": {"S": "PROFILE"}, "GSI1PK": {"S": "CONTACTS"}}


def test_a_cursor_round_trips():
    assert decode_cursor(encode_cursor(KEY, "secret", "contacts"), "secret", "contacts") == KEY


@pytest.mark.parametrize("mutate", [
    lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),   # signature changed
    lambda c: ("e" if c[0] != "e" else "f") + c[1:],     # payload changed
    lambda c: c.split(".")[0],                          # signature removed
    lambda c: "",
])
def test_a_tampered_cursor_is_refused(mutate):
    with pytest.raises(InvalidCursor):
        decode_cursor(mutate(encode_cursor(KEY, "secret", "contacts")), "secret", "contacts")


def test_a_cursor_is_bound_to_its_list_and_key():
    cursor = encode_cursor(KEY, "secret", "contacts")
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, "secret", "companies")
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, "other-secret", "contacts")


@given(st.text())
def test_any_string_is_either_refused_or_was_signed(text):
    try:
        decode_cursor(text, "secret", "contacts")
    except InvalidCursor:
        return
    pytest.fail(f"an unsigned cursor was accepted: {text!r}")
