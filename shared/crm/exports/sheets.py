"""Writing an export's rows as CSV or XLSX that a spreadsheet opens safely: the API's items flattened into
columns, spooled to a file as they come (an export may hold far more rows than memory), then written out
once every column is known.

A text cell that a spreadsheet would run as a formula is neutralized with a leading apostrophe, as OWASP
advises for CSV injection, in both formats."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

# First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (the full-width
# forms too, which some of them fold to the ASCII ones).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
LIST_SEPARATOR = "; "
CUSTOM_PREFIX = "custom."
XLSX_MAX_ROWS = 1_048_576 - 1  # a sheet's rows, less the header
Cell = str | int | float | None


def neutralized(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def name_column(id_field: str) -> str:
    """The column of a related record's name next to its id: contact_id -> contact_name."""
    return f"{id_field.removesuffix('_id')}_name"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "" if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _flat(value: Any) -> Cell:
    """A value of the API's JSON as one cell: a list joined, an object as its JSON text, a bool as JSON spells it."""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(_text(v) for v in value)
    if isinstance(value, bool | dict):
        return _text(value)
    return value


def field_cells(field: str, value: Any, names: Mapping[str, Mapping[str, str]]) -> Iterator[tuple[str, Cell]]:
    """The columns one field of an item fills: custom fields one column each, and a relation's id followed by
    the related record's name (`names[field]`, empty where the exporter may not see that record)."""
    if field == "custom_fields" and isinstance(value, dict):
        for key, custom in value.items():
            yield f"{CUSTOM_PREFIX}{key}", _flat(custom)
        return
    yield field, _flat(value)
    if field in names:
        yield name_column(field), names[field].get(value, "") if isinstance(value, str) else ""


class Spool:
    """Rows as JSON lines in a file, and the columns seen so far: each field's columns in the order the items
    first showed them, so a custom field first set on the thousandth row still sits with the others."""

    def __init__(self, file: TextIO) -> None:
        self._file = file
        self._columns: dict[str, dict[str, None]] = {}
        self.rows = 0

    def add(self, item: Mapping[str, Any], names: Mapping[str, Mapping[str, str]]) -> None:
        row: dict[str, Cell] = {}
        for field, value in item.items():
            cells = dict(field_cells(field, value, names))
            self._columns.setdefault(field, {}).update(dict.fromkeys(cells))
            row.update(cells)
        self._file.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.rows += 1

    def add_all(self, items: Iterable[Mapping[str, Any]], names: Mapping[str, Mapping[str, str]]) -> None:
        for item in items:
            self.add(item, names)

    @property
    def columns(self) -> list[str]:
        return [column for columns in self._columns.values() for column in columns]

    def each_row(self) -> Iterator[list[Cell]]:
        columns = self.columns
        self._file.seek(0)
        for line in self._file:
            row = json.loads(line)
            yield [row.get(column) for column in columns]


def csv_text(cell: Cell) -> str:
    # A number from the API's JSON is written as its plain text, minus sign and all: that text always parses as
    # a number, which a spreadsheet loads as a value, never a formula. Text is neutralized whatever it looks
    # like ("-5" typed into a text field stays text, as "'-5").
    if cell is None:
        return ""
    return neutralized(cell) if isinstance(cell, str) else str(cell)


def write_csv(spool: Spool, path: Path) -> None:
    """UTF-8 with a BOM, which Excel needs to read Persian or Russian text as UTF-8 rather than ANSI."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([neutralized(column) for column in spool.columns])
        for row in spool.each_row():
            writer.writerow([csv_text(cell) for cell in row])


def write_xlsx(spool: Spool, path: Path, sheet: str) -> None:
    """One sheet, written row by row (constant memory). Text goes in as text cells, which a spreadsheet
    never evaluates; the apostrophe still guards a cell copied out or edited. A number stays a number."""
    import xlsxwriter  # noqa: PLC0415 - only an XLSX export loads it

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                               "strings_to_urls": False, "strings_to_numbers": False})
    worksheet = workbook.add_worksheet(sheet[:31])
    for column, name in enumerate(spool.columns):
        worksheet.write_string(0, column, neutralized(name))
    for number, row in enumerate(spool.each_row(), start=1):
        for column, cell in enumerate(row):
            if isinstance(cell, str):
                worksheet.write_string(number, column, neutralized(cell))
            elif cell is not None:
                worksheet.write_number(number, column, cell)
    workbook.close()
