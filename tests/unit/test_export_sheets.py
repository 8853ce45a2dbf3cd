"""An export's rows as CSV and XLSX (crm.exports.sheets): columns flattened from the API's items, numbers kept
as numbers, and no cell a spreadsheet would run as a formula, whatever the text."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from crm.exports.sheets import FORMULA_STARTS, Spool, neutralized, write_csv, write_xlsx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

DANGEROUS = ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"]


def spooled(items: list[dict[str, Any]], names: dict[str, dict[str, str]] | None = None) -> Spool:
    spool = Spool(io.StringIO())
    spool.add_all(items, names or {})
    return spool


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))


def xlsx_rows(path: Path) -> list[list[Any]]:
    sheet = load_workbook(path).active
    return [[excel_text(cell.value) for cell in row] for row in sheet.iter_rows()]


def excel_text(value: Any) -> Any:
    """A cell's text as Excel reads it: XLSX spells control characters `_x000D_`, which openpyxl leaves as is."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m[1], 16)), value) if isinstance(value, str) else value


def xlsx_cells(path: Path) -> list[Any]:
    return [cell for row in load_workbook(path).active.iter_rows() for cell in row]


@pytest.mark.parametrize("first", DANGEROUS)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe_in_both_formats(tmp_path, first):
    # Given a name that starts with a character spreadsheets read as the start of a formula
    text = f'{first}HYPERLINK("http://x","y")'
    spool = spooled([{"first_name": text, "last_name": "safe"}])

    # When it is written as CSV and as XLSX
    write_csv(spool, tmp_path / "out.csv")
    write_xlsx(spool, tmp_path / "out.xlsx", "contacts")

    # Then both hold it as text behind an apostrophe, the harmless cell unchanged, and no formula
    assert set(FORMULA_STARTS) == set(DANGEROUS)
    assert csv_rows(tmp_path / "out.csv")[1] == [f"'{text}", "safe"]
    assert xlsx_rows(tmp_path / "out.xlsx")[1] == [f"'{text}", "safe"]
    assert [c.coordinate for c in xlsx_cells(tmp_path / "out.xlsx") if c.data_type == "f"] == []


def test_numbers_stay_numbers_and_negative_text_stays_text(tmp_path):
    # Given real numbers (negative too) and a text field that looks like a negative number
    spool = spooled([{"score": -5, "amount": 12.5, "big": 10**12, "phone": "-5", "flag": True, "none": None}])

    # When written
    write_csv(spool, tmp_path / "out.csv")
    write_xlsx(spool, tmp_path / "out.xlsx", "deals")

    # Then the numbers are numbers (XLSX) and their plain text (CSV); text is neutralized; null is empty
    assert csv_rows(tmp_path / "out.csv")[1] == ["-5", "12.5", "1000000000000", "'-5", "true", ""]
    assert xlsx_rows(tmp_path / "out.xlsx")[1] == [-5, 12.5, 10**12, "'-5", "true", None]
    assert [c.data_type for c in xlsx_cells(tmp_path / "out.xlsx")][6:9] == ["n", "n", "n"]


def test_custom_fields_are_columns_lists_are_joined_and_relations_get_their_names(tmp_path):
    # Given items with custom fields (a key first set on the second row), lists, and a linked company
    items = [{"id": "c1", "emails": ["a@x.example", "b@x.example"], "company_id": "co1",
              "custom_fields": {"tier": "gold"}, "created_at": "2026-01-01"},
             {"id": "c2", "emails": [], "company_id": "co2", "custom_fields": {"tier": "=1+1", "seats": 3},
              "created_at": "2026-01-02"}]
    names = {"company_id": {"co1": "Акме"}}  # co2 is one the exporter may not see

    # When written
    write_csv(spooled(items, names), tmp_path / "out.csv")

    # Then each custom field is a column where custom_fields stood, the list is one cell, the company's name
    # sits next to its id (empty where not visible), and rows keep the items' order
    assert csv_rows(tmp_path / "out.csv") == [
        ["id", "emails", "company_id", "company_name", "custom.tier", "custom.seats", "created_at"],
        ["c1", "a@x.example; b@x.example", "co1", "Акме", "gold", "", "2026-01-01"],
        ["c2", "", "co2", "", "'=1+1", "3", "2026-01-02"]]


def test_csv_starts_with_a_bom_and_ends_lines_with_crlf(tmp_path):
    # When Persian text is written as CSV
    write_csv(spooled([{"name": "سارا", "note": "two\nlines"}]), tmp_path / "out.csv")

    # Then Excel finds the BOM that says UTF-8, and rows end with CRLF
    raw = (tmp_path / "out.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig") == 'name,note\r\nسارا,"two\nlines"\r\n'


texts = st.text(st.characters(exclude_categories=["Cs", "Cc"]) | st.sampled_from(DANGEROUS), max_size=20)
rows = st.lists(st.dictionaries(st.sampled_from(["a", "b", "c", "=d", "e"]), texts, min_size=1), min_size=1,
                max_size=6)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=rows)
def test_no_text_ever_becomes_a_formula_and_csv_gives_the_text_back(tmp_path, items):
    # Given any rows of text, many starting with a formula's first character
    spool = spooled(items)
    columns = spool.columns

    # When written as CSV and XLSX and opened again with csv and openpyxl
    write_csv(spool, tmp_path / "out.csv")
    write_xlsx(spool, tmp_path / "out.xlsx", "sheet")
    read_csv = csv_rows(tmp_path / "out.csv")
    cells = xlsx_cells(tmp_path / "out.xlsx")

    # Then no XLSX cell is a formula nor text that starts like one
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert [c.value for c in cells if isinstance(c.value, str) and excel_text(c.value).startswith(FORMULA_STARTS)] == []
    # And the CSV holds the same texts, with an apostrophe exactly where the text would run as a formula
    expected = [[neutralized(c) for c in columns],
                *([neutralized(item[c]) if c in item else "" for c in columns] for item in items)]
    assert read_csv == expected
    assert all(cell == text or (cell == f"'{text}" and text.startswith(FORMULA_STARTS))
               for row, item in zip(read_csv[1:], items, strict=True)
               for cell, text in zip(row, [item.get(c, "") for c in columns], strict=True))
