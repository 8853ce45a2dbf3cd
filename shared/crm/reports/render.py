"""A report's table as people read it: a print-friendly HTML page (also the body of its email) and the CSV or
XLSX file, written by crm.exports.sheets so that no cell runs as a formula in a spreadsheet.

Both show the rows in the table's order, each first group's subtotal after its rows (under two group-bys), and
the totals last. Every text is escaped; each cell's direction follows its own text (dir="auto"), so Persian
and Arabic values read right to left beside English ones."""

from __future__ import annotations

import itertools
import re
import tempfile
from collections.abc import Iterator
from html import escape
from pathlib import Path

from crm.exports.sheets import Spool, write_csv, write_xlsx
from crm.reports.rules import Cell, Table

SUBTOTAL, TOTAL = "Subtotal", "Total"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9]+")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "html": "text/html; charset=utf-8"}
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Tahoma, sans-serif; margin: 1.5rem; color: #111; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
p.meta { color: #444; margin: 0 0 1rem; font-size: .9rem; }
p.note { font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border: 1px solid #999; padding: .3rem .5rem; text-align: start; vertical-align: top; }
th { background: #eee; }
td.number, th.number { text-align: end; font-variant-numeric: tabular-nums; }
tr.subtotal td { font-weight: 600; background: #f5f5f5; }
tfoot td { font-weight: 700; border-top: 2px solid #111; }
thead { display: table-header-group; }
tfoot { display: table-footer-group; }
tr { break-inside: avoid; }
@page { margin: 1.5cm; }
@media print { body { margin: 0; } th, tr.subtotal td { background: none; } }
"""


def lines(table: Table) -> Iterator[tuple[str, list[Cell]]]:
    """("row" | "subtotal" | "total", cells): the rows, each first group's subtotal after its rows, then the
    totals, the first empty group cell of a subtotal or the totals naming it. Without group-bys the totals
    are the one row."""
    if not table.group_columns:
        yield "total", list(table.totals)
        return
    subtotals = {tuple(row[:1]): row for row in table.subtotals}
    for first, rows in itertools.groupby(table.rows, key=lambda row: tuple(row[:1])):
        yield from (("row", row) for row in rows)
        if first in subtotals:
            subtotal = list(subtotals[first])
            subtotal[1] = SUBTOTAL
            yield "subtotal", subtotal
    total = list(table.totals)
    total[0] = TOTAL
    yield "total", total


def _cell(value: Cell, tag: str = "td") -> str:
    if isinstance(value, bool):
        return f'<{tag} dir="auto">{"true" if value else "false"}</{tag}>'
    if isinstance(value, int | float):
        return f'<{tag} class="number">{value}</{tag}>'
    return f'<{tag} dir="auto">{escape(value or "")}</{tag}>'


def _heading(column: str, number: bool) -> str:
    return f'<th class="number">{escape(column)}</th>' if number else f'<th dir="auto">{escape(column)}</th>'


def html_table(table: Table, max_rows: int | None = None) -> tuple[str, int]:
    """The table as HTML, and how many of its rows it shows (at most `max_rows`; subtotals and totals always)."""
    head = "".join(_heading(column, index >= table.group_columns) for index, column in enumerate(table.columns))
    body, foot, shown = [], "", 0
    for kind, cells in lines(table):
        row = "".join(_cell(cell) for cell in cells)
        if kind == "total":
            foot = f"<tfoot><tr>{row}</tr></tfoot>"
        elif kind == "subtotal":
            body.append(f'<tr class="subtotal">{row}</tr>')
        elif max_rows is None or shown < max_rows:
            body.append(f"<tr>{row}</tr>")
            shown += 1
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>{foot}</table>", shown


def html_page(title: str, table: Table, meta: str, max_rows: int | None = None) -> str:
    """A whole page to read or print: the report's name, what it read (`meta`), the table, and a note when
    rows were left out."""
    rows, shown = html_table(table, max_rows)
    note = ""
    if shown < len(table.rows):
        note = (f'<p class="note">The first {shown:,} of {len(table.rows):,} rows are shown; the attached file '
                "holds them all.</p>")
    return ("<!DOCTYPE html>\n"
            f'<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f'<h1 dir="auto">{escape(title)}</h1><p class="meta" dir="auto">{escape(meta)}</p>{note}{rows}'
            "</body></html>\n")


def text_table(table: Table, max_rows: int) -> str:
    """The table as lines of tab-separated cells (the first `max_rows` rows, subtotals and totals), for a
    mail client that shows plain text."""
    out, shown = ["\t".join(table.columns)], 0
    for kind, cells in lines(table):
        if kind == "row":
            shown += 1
            if shown > max_rows:
                continue
        out.append("\t".join("" if cell is None else str(cell).lower() if isinstance(cell, bool) else str(cell)
                              for cell in cells))
    return "\n".join(out) + "\n"


def sheet_bytes(table: Table, file_format: str, sheet: str) -> bytes:
    """The table as a CSV (UTF-8 with a BOM) or XLSX file, formula-safe (crm.exports.sheets)."""
    with tempfile.TemporaryDirectory() as folder, (Path(folder) / "rows.jsonl").open("w+", encoding="utf-8") as rows:
        spool = Spool(rows)
        spool.add_all((dict(zip(table.columns, cells, strict=True)) for _, cells in lines(table)), {})
        path = Path(folder) / f"report.{file_format}"
        if file_format == "xlsx":
            write_xlsx(spool, path, sheet)
        else:
            write_csv(spool, path)
        return path.read_bytes()


def about(entity: str, filters: str | None, time_zone: str, table: Table, at: str) -> str:
    """What a page or an email says its table is: the list read, with its filters, how many records it summed
    up, the time zone its dates are in, and when."""
    query = f"?{filters}" if filters else ""
    records = f"{table.records:,} record{'' if table.records == 1 else 's'}"
    return f"/v1/{entity}{query} · {records} · time zone {time_zone} · {at}"


def file_name(name: str, file_format: str, at: str) -> str:
    """ASCII by construction (a Content-Disposition or attachment name needs no encoding): the report's name
    in letters and digits, and the day."""
    stem = _UNSAFE_NAME.sub("-", name).strip("-")[:60] or "report"
    return f"{stem}-{at[:10]}.{file_format}"
