"""An uploaded spreadsheet read into rows of text: CSV in the encodings people really send, or XLSX.

What makes the whole file unusable raises FileProblem with a message for the person who uploaded it; what
is wrong with one row travels with that row (Row.problem) and the import goes on. A CSV is streamed: only a
sample of about a megabyte is read whole, to find its encoding and delimiter.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import itertools
import pathlib
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_COLUMNS = 500
MAX_CELL_CHARS = 32_767  # Excel's own cell limit

# Enough of a CSV to judge its encoding and delimiter by.
_SAMPLE_BYTES = 1024 * 1024
# A physical line longer than a full row could be is not a spreadsheet's; reading it whole would only eat memory.
_MAX_LINE_CHARS = MAX_COLUMNS * (MAX_CELL_CHARS + 3)
# What a workbook may unpack to before calamine is allowed to open it.
_MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024
_MAX_MEMBERS = 10_000
_MAX_RATIO = 200
_RATIO_FROM_BYTES = 1024 * 1024

_ZIP = b"PK\x03\x04"
_BINARY_MAGICS = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file; save it as .xlsx or CSV",
    b"PK\x05\x06": "an empty ZIP archive",
    b"\x7fELF": "a program",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
}
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF8 = ("utf-8", "utf-8-sig")
# The legacy encodings people send CSVs in: Persian and Arabic, Russian (two of them), Greek.
_LEGACY_CODECS = ("cp1256", "cp1251", "koi8-r", "iso8859-7")
_DELIMITERS = ",;\t|"

# Undecodable bytes become lone surrogates (U+DC00 + byte, as surrogateescape does, but for every byte, which
# UTF-16 needs): no correct decoding yields one, so a row holding one is a row in another encoding.
_UNDECODABLE = "crm.imports.undecodable"
_SURROGATES = re.compile("[\ud800-\udfff]")


def _escape_undecodable(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return "".join(chr(0xDC00 + byte) for byte in error.object[error.start:error.end]), error.end


codecs.register_error(_UNDECODABLE, _escape_undecodable)


class FileProblem(Exception):
    """The whole file cannot be imported: a clear message for the person who uploaded it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Layout:
    """What was detected, shown to the person importing."""

    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    sheets: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    number: int
    cells: list[str]
    problem: str | None


def read_table(path: pathlib.Path, sheet: str | None = None) -> tuple[Layout, list[str], Iterator[Row]]:
    """Layout, the header row (cleaned: blank headers become "Column N"), and an iterator of the data rows.

    Raises FileProblem for what makes the whole file unusable; so may the iterator, for a CSV that turns
    out not to be text past its sample.
    """
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FileProblem("too_large", f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it.")
    with path.open("rb") as file:
        head = file.read(_SAMPLE_BYTES)
    if head.startswith(_ZIP):
        layout, rows = _workbook(path, sheet)
    else:
        layout, rows = _text_table(path, head)
    return _table(layout, rows)


# --- rows to a table -----------------------------------------------------------------------------------------


def _table(layout: Layout, rows: Iterator[Row]) -> tuple[Layout, list[str], Iterator[Row]]:
    """The first row that is not empty is the header; the rows under it are fitted to its width."""
    filled = (row for row in rows if row.problem or any(row.cells))
    header = next(filled, None)
    if header is None:
        raise FileProblem("no_rows", "The file has no rows.")
    if header.problem:
        raise FileProblem("unreadable", f"The header row (row {header.number}) cannot be read: {header.problem}")
    headers = clean_headers(header.cells)
    data = (_fitted(row, len(headers)) for row in filled)
    first = next(data, None)
    if first is None:
        raise FileProblem("header_only", "The file has a header row but no rows under it.")
    return layout, headers, itertools.chain([first], data)


def clean_headers(cells: list[str]) -> list[str]:
    """Trailing blank cells dropped, a blank header named "Column N", a repeated one suffixed " (2)"."""
    width = max((index + 1 for index, cell in enumerate(cells) if cell), default=0)
    if width > MAX_COLUMNS:
        raise FileProblem("too_many_columns",
                          f"The header has {width} columns; at most {MAX_COLUMNS} can be imported.")
    headers: list[str] = []
    for index, cell in enumerate(cells[:width]):
        name = cell or f"Column {index + 1}"
        unique, copy = name, 1
        while unique in headers:
            copy += 1
            unique = f"{name} ({copy})"
        headers.append(unique)
    return headers


def _fitted(row: Row, width: int) -> Row:
    """Cells padded to the header's width; what does not fit is the row's problem."""
    problem = row.problem
    if problem is None and any(row.cells[width:]):
        problem = f"This row has values beyond the {width} columns the header names."
    if problem is None and any(len(cell) > MAX_CELL_CHARS for cell in row.cells):
        problem = f"A cell in this row is longer than {MAX_CELL_CHARS} characters."
    cells = [cell[:MAX_CELL_CHARS] for cell in row.cells[:width]]
    return Row(row.number, cells + [""] * (width - len(cells)), problem)


# --- CSV -----------------------------------------------------------------------------------------------------


def _text_table(path: pathlib.Path, head: bytes) -> tuple[Layout, Iterator[Row]]:
    truncated = path.stat().st_size > len(head)
    _refuse_binary(head, truncated)
    encoding = detect_encoding(head, truncated=truncated)
    delimiter = detect_delimiter(_sample_text(head, encoding, truncated=truncated), encoding)
    return Layout("csv", encoding, delimiter, None, ()), _csv_rows(path, encoding, delimiter)


def _refuse_binary(head: bytes, truncated: bool) -> None:
    for magic, what in _BINARY_MAGICS.items():
        if head.startswith(magic):
            raise FileProblem("not_a_spreadsheet", f"This is {what}, not a spreadsheet: upload CSV or XLSX.")
    if head.startswith(_UTF16_BOMS):
        return
    # Text holds no NULs, and, unless it is UTF-8 (which binary next to never is), next to no control
    # characters; nearly every binary file holds both.
    controls = sum(head.count(bytes([byte])) for byte in (*range(9), *range(14, 32)))
    if b"\x00" in head or (controls * 100 > len(head) and not _is_utf8(_whole_lines(head, truncated))):
        raise FileProblem("not_a_spreadsheet", "This file is not a spreadsheet: upload CSV or XLSX.")


def detect_encoding(sample: bytes, truncated: bool = False) -> str:
    """The codec a CSV sample is in: by its BOM, else UTF-8 if most of its non-ASCII lines are, else the
    most plausible of the legacy codecs people send and charset-normalizer's guess (see _plausibility)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith(_UTF16_BOMS):
        return "utf-16"
    lines = _whole_lines(sample, truncated).splitlines()
    foreign = [line for line in lines if not line.isascii()]
    valid = sum(1 for line in foreign if _is_utf8(line))
    # A UTF-8 file with a few lines pasted from a legacy file stays UTF-8; those rows are reported.
    if valid * 2 >= len(foreign):
        return "utf-8"
    text = b"\n".join(foreign)
    import charset_normalizer  # noqa: PLC0415 - only the import function has it, and only a legacy file needs it

    guess = charset_normalizer.from_bytes(text).best()
    # Ties go to the codecs people send (the same text under another label), then to charset-normalizer's.
    candidates = [*_LEGACY_CODECS, *([codecs.lookup(guess.encoding).name] if guess is not None else [])]
    scores = {codec: _plausibility(text, codec) for codec in dict.fromkeys(candidates)}
    best = max(scores, key=lambda codec: scores[codec])
    if scores[best] <= 0:
        raise FileProblem("unreadable", "The file's text encoding cannot be recognised; save it as UTF-8 CSV.")
    return best


def _whole_lines(sample: bytes, truncated: bool) -> bytes:
    """The sample without a last line the sample's end may have cut."""
    return sample[:sample.rfind(b"\n") + 1] if truncated and b"\n" in sample else sample


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_WORDS = re.compile(r"[^\W\d_]+")


def _plausibility(text: bytes, codec: str) -> float:
    """The share of the non-ASCII characters that sit in words a person could have typed.

    A word is plausible when its letters are all of one script and its case is lower, upper or title. The
    wrong legacy codec fails one of these: cp1251 read as koi8-r (and back) swaps the case of every letter,
    so words come out as "хБЮН"; Persian read as cp1251 or Greek read as cp1251 puts capitals inside words;
    cp1251 read as cp1256 mixes Arabic and accented Latin letters; and bytes a codec does not define rule
    it out. Symbols and box drawing (koi8-r's upper half) count against a codec, as they are not letters.
    """
    try:
        decoded = text.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return -1.0
    foreign = sum(1 for char in decoded if not char.isascii() and char != "\u200c")
    if not foreign:
        return 0.0
    typed = sum(sum(1 for char in word if not char.isascii())
                for word in _WORDS.findall(decoded) if not word.isascii() and _typed(word))
    return typed / foreign


def _typed(word: str) -> bool:
    scripts = {unicodedata.name(char, "?").split(" ")[0] for char in word}
    cased = word.islower() or word.isupper() or word.istitle() or word.lower() == word.upper()
    return len(scripts) == 1 and cased


def _sample_text(head: bytes, encoding: str, truncated: bool) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors=_UNDECODABLE)
    text = decoder.decode(head, final=not truncated)
    return text[:max(text.rfind("\n"), text.rfind("\r")) + 1] if truncated else text


def detect_delimiter(sample: str, encoding: str) -> str:
    """The candidate that splits the most sample records into as many fields as the header has.

    Quote-aware (csv's own parser reads the sample) and deterministic; ties go to the comma, or to the tab
    for UTF-16 (Excel's "Unicode text"). A one-column file has no delimiter to find and reads with the default.
    """
    preferred = "\t,;|" if encoding == "utf-16" else _DELIMITERS
    scores = {delimiter: _consistency(sample, delimiter) for delimiter in preferred}
    return max(preferred, key=lambda delimiter: scores[delimiter])


def _consistency(sample: str, delimiter: str) -> int:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    widths: list[int] = []
    try:
        widths = [len(record) for record in reader if record]
    except csv.Error:
        pass  # the widths read before the broken record still count
    if not widths or widths[0] < 2:
        return 0
    return widths.count(widths[0])


def _csv_rows(path: pathlib.Path, encoding: str, delimiter: str) -> Iterator[Row]:
    # A runaway field (a quote never closed) stops at the cell limit instead of swallowing the file; the
    # limit is the csv module's, process-wide, and only this reader reads CSV in the import function.
    csv.field_size_limit(MAX_CELL_CHARS + 1)
    legacy = encoding not in (*_UTF8, "utf-16")
    with path.open("rb") as binary, io.TextIOWrapper(binary, encoding, _UNDECODABLE, newline="") as text:
        reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
        for number in itertools.count(1):
            first_line = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Row(number, [], _quoting_problem(str(exc), first_line, reader.line_num))
                continue
            yield _decoded_row(number, record, encoding, legacy)


def _lines(text: io.TextIOWrapper) -> Iterator[str]:
    while line := text.readline(_MAX_LINE_CHARS):
        if len(line) == _MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise FileProblem("unreadable", f"A line of the file is longer than {_MAX_LINE_CHARS} characters: "
                                            "it is not a spreadsheet's row.")
        yield line


def _quoting_problem(error: str, first_line: int, last_line: int) -> str:
    lines = f"line {first_line}" if first_line >= last_line else f"lines {first_line}-{last_line}"
    if "field limit" in error:
        return (f"A cell in this row ({lines} of the file) is longer than {MAX_CELL_CHARS} characters, "
                "or a quote opened in it is never closed.")
    if "end of data" in error:
        return (f'A quote (") opened in this row is never closed, so {lines} of the file were read as one cell; '
                "close the quote and import the rest again.")
    return (f'This row\'s quoting is broken ({lines} of the file): a quote (") is opened and not closed where '
            "the cell ends.")


def _decoded_row(number: int, record: list[str], encoding: str, legacy: bool) -> Row:
    cells = [cell.strip() for cell in record]
    if any(_SURROGATES.search(cell) for cell in cells):
        return Row(number, [_SURROGATES.sub("\ufffd", cell) for cell in cells], _foreign_problem(encoding))
    if legacy and _utf8_in_legacy(cells, encoding):
        return Row(number, cells, _foreign_problem(encoding))
    return Row(number, cells, None)


def _utf8_in_legacy(cells: list[str], encoding: str) -> bool:
    """A row of a legacy-encoded file whose bytes are UTF-8 (a legacy codec decodes anything, so this is
    the only sign): real text in those codecs is next to never valid UTF-8."""
    joined = "".join(cells)
    return not joined.isascii() and _is_utf8(joined.encode(encoding))


def _foreign_problem(encoding: str) -> str:
    return f"This row is not in the file's encoding ({encoding}); save the file as UTF-8 and import it again."


# --- XLSX ----------------------------------------------------------------------------------------------------


def _workbook(path: pathlib.Path, sheet: str | None) -> tuple[Layout, Iterator[Row]]:
    _refuse_bomb(path)
    import python_calamine  # noqa: PLC0415 - only the import function has it, and only a workbook needs it

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        names = tuple(workbook.sheet_names)
        if not names:
            raise FileProblem("no_rows", "The workbook has no sheets.")
        chosen = names[0] if sheet is None else sheet
        if chosen not in names:
            raise FileProblem("sheet_not_found", f"The workbook has no sheet {chosen!r}; its sheets are "
                                                 f"{', '.join(repr(name) for name in names)}.")
        values = workbook.get_sheet_by_name(chosen).iter_rows()
    except python_calamine.CalamineError as exc:
        raise FileProblem("unreadable", f"The workbook cannot be read ({exc}); save it again from Excel.") from exc
    rows = (Row(index + 1, [cell_text(value) for value in row], None) for index, row in enumerate(values))
    return Layout("xlsx", None, None, chosen, names), rows


def _refuse_bomb(path: pathlib.Path) -> None:
    """A workbook is a ZIP: its members' declared sizes are checked before anything is unpacked."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileProblem("not_a_spreadsheet", "This file is a damaged ZIP archive, not a workbook.") from exc
    bomb = FileProblem("zip_bomb", "The workbook would unpack to far more than a spreadsheet holds; "
                                   "it is refused.")
    if len(members) > _MAX_MEMBERS or sum(member.file_size for member in members) > _MAX_UNPACKED_BYTES:
        raise bomb
    if any(member.file_size > _RATIO_FROM_BYTES and member.file_size > _MAX_RATIO * member.compress_size
           for member in members):
        raise bomb
    if not any(member.filename == "xl/workbook.xml" for member in members):
        raise FileProblem("not_a_spreadsheet", "This is a ZIP archive, not an Excel workbook: upload CSV or XLSX.")


def cell_text(value: object) -> str:
    """A workbook cell as text: a whole number without ".0" (a phone stored as a number), dates in ISO."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return "" if value is None else str(value).strip()

