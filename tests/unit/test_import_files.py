"""An uploaded file read into rows: CSV in the encodings people send, XLSX, and the files that are neither."""

from __future__ import annotations

import csv
import datetime
import io
import random
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
from crm.imports import files
from crm.imports.files import MAX_CELL_CHARS, FileProblem, Row, read_table
from hypothesis import given
from hypothesis import strategies as st

PERSIAN = [["نام", "نام خانوادگی", "ایمیل", "تلفن", "شهر"],
           ["علی", "رضایی", "ali@example.ir", "09121234567", "تهران"],
           ["مریم", "احمدی", "maryam@example.ir", "09351234567", "اصفهان"],
           ["رضا", "کریمی", "reza@example.ir", "09131234567", "شیراز"],
           ["زهرا", "محمدی", "zahra@example.ir", "09171234567", "مشهد"]]
# Windows-1256 has no Persian yeh: Windows writes the Arabic one, as people's files have it.
PERSIAN_1256 = [[cell.replace("ی", "ي") for cell in row] for row in PERSIAN]
ARABIC = [["الاسم", "البريد الإلكتروني", "الهاتف", "المدينة"],
          ["محمد علي", "m.ali@example.sa", "+966501234567", "الرياض"],
          ["فاطمة حسن", "fatima@example.sa", "+966551234567", "جدة"],
          ["أحمد خالد", "ahmad@example.ae", "+971501234567", "دبي"]]
RUSSIAN = [["Имя", "Фамилия", "Электронная почта", "Телефон", "Город"],
           ["Иван", "Петров", "ivan@example.ru", "+7 912 345-67-89", "Москва"],
           ["Ольга", "Смирнова", "olga@example.ru", "+7 921 123-45-67", "Санкт-Петербург"],
           ["Дмитрий", "Кузнецов", "dima@example.ru", "+7 913 765-43-21", "Новосибирск"]]
GREEK = [["Όνομα", "Επώνυμο", "Email", "Τηλέφωνο", "Πόλη"],
         ["Γιώργος", "Παπαδόπουλος", "giorgos@example.gr", "+30 691 234 5678", "Αθήνα"],
         ["Μαρία", "Κωνσταντίνου", "maria@example.gr", "+30 694 765 4321", "Θεσσαλονίκη"],
         ["Άννα", "Γεωργίου", "anna@example.gr", "+30 697 111 2233", "Πάτρα"]]


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    """Rows as Python's csv writer (and so Excel) writes them: quoted where needed, CRLF line ends."""
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue()


def upload(folder: Path, content: bytes, name: str = "upload") -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def read_all(path: Path, sheet: str | None = None) -> tuple[files.Layout, list[str], list[Row]]:
    layout, headers, rows = read_table(path, sheet)
    return layout, headers, list(rows)


def problem_of(path: Path) -> FileProblem:
    with pytest.raises(FileProblem) as raised:
        read_all(path)
    return raised.value


@pytest.mark.parametrize(("rows", "encoding", "delimiter", "bom", "detected"), [
    (PERSIAN, "utf-8", ",", b"", "utf-8"),
    (RUSSIAN, "utf-8", ";", b"\xef\xbb\xbf", "utf-8-sig"),
    (GREEK, "utf-16-le", "\t", b"\xff\xfe", "utf-16"),
    (ARABIC, "utf-16-be", "\t", b"\xfe\xff", "utf-16"),
    (PERSIAN_1256, "cp1256", ",", b"", "cp1256"),
    (ARABIC, "cp1256", ";", b"", "cp1256"),
    (RUSSIAN, "cp1251", ";", b"", "cp1251"),
    (RUSSIAN, "koi8-r", ",", b"", "koi8-r"),
    (GREEK, "iso8859-7", ";", b"", "iso8859-7"),
])
def test_a_csv_in_each_encoding_people_send_reads_back_as_written(
        tmp_path: Path, rows: list[list[str]], encoding: str, delimiter: str, bom: bytes, detected: str) -> None:
    # Given a short CSV of names, emails, phones and cities in the script, written in that encoding
    path = upload(tmp_path, bom + csv_text(rows, delimiter).encode(encoding))
    # When it is read
    layout, headers, read = read_all(path)
    # Then the encoding and delimiter are found and every cell comes back as written
    assert (layout.format, layout.encoding, layout.delimiter) == ("csv", detected, delimiter)
    assert headers == rows[0]
    assert [row.cells for row in read] == rows[1:]
    assert [row.number for row in read] == list(range(2, len(rows) + 1))
    assert all(row.problem is None for row in read)


@pytest.mark.parametrize(("rows", "encoding"), [
    (PERSIAN_1256[:2], "cp1256"), (ARABIC[:2], "cp1256"), (RUSSIAN[:2], "cp1251"), (RUSSIAN[:2], "koi8-r"),
    (GREEK[:2], "iso8859-7"),
])
def test_a_legacy_encoding_is_told_apart_from_its_neighbours_on_a_header_and_one_row(
        tmp_path: Path, rows: list[list[str]], encoding: str) -> None:
    # Given the shortest useful file: a header and one row (cp1251 and koi8-r hold the same letters swapped)
    path = upload(tmp_path, csv_text(rows).encode(encoding))
    # When it is read, Then its encoding is the one it was written in
    layout, headers, read = read_all(path)
    assert layout.encoding == encoding
    assert [headers, read[0].cells] == rows


def test_quoted_cells_keep_their_delimiters_quotes_and_line_breaks(tmp_path: Path) -> None:
    # Given a semicolon CSV whose cells hold semicolons, commas, quotes and line breaks
    rows = [["Name", "Address", "Notes"],
            ["Sara", "12 Main St; Apt 4, Tehran", 'Said "call me"\nafter 5pm'],
            ["Omid", "Valiasr; 1200", "line one\r\nline two"],
            ["Nima", "Karaj", ""]]
    path = upload(tmp_path, csv_text(rows, ";").encode())
    # When it is read
    layout, headers, read = read_all(path)
    # Then each cell is whole, and a row is numbered as a spreadsheet shows it (not by physical line)
    assert (layout.delimiter, headers) == (";", ["Name", "Address", "Notes"])
    assert [row.cells for row in read] == [["Sara", "12 Main St; Apt 4, Tehran", 'Said "call me"\nafter 5pm'],
                                           ["Omid", "Valiasr; 1200", "line one\r\nline two"],
                                           ["Nima", "Karaj", ""]]
    assert [row.number for row in read] == [2, 3, 4]


def test_headers_are_cleaned_and_rows_fitted_to_them(tmp_path: Path) -> None:
    # Given blank and repeated headers, short rows, empty rows in the middle and at the end, and spaces
    content = " Email , ,Email,Phone,,\r\na@x.io,1\r\n,,,\r\n\r\n b@x.io ,2,c@x.io,+1 555 0100\r\n,,,\r\n\r\n"
    path = upload(tmp_path, content.encode())
    # When it is read
    _, headers, read = read_all(path)
    # Then blank headers are named by position, repeats are suffixed, trailing blank headers are dropped,
    # rows are padded and stripped, and empty rows are skipped without counting as errors
    assert headers == ["Email", "Column 2", "Email (2)", "Phone"]
    assert read == [Row(2, ["a@x.io", "1", "", ""], None), Row(5, ["b@x.io", "2", "c@x.io", "+1 555 0100"], None)]


def test_values_beyond_the_header_make_that_row_an_error(tmp_path: Path) -> None:
    # Given a row with more values than the header has columns
    path = upload(tmp_path, b"Name,Email\nSara,s@x.io,extra\nOmid,o@x.io\n")
    # When it is read, Then that row has a problem and the next is fine
    _, _, read = read_all(path)
    assert read[0].problem is not None and "2 columns" in read[0].problem
    assert read[1] == Row(3, ["Omid", "o@x.io"], None)


def test_an_xlsx_reads_numbers_dates_and_flags_as_text(tmp_path: Path) -> None:
    # Given a workbook made in a spreadsheet program: a phone stored as a number, a date, a time, a flag
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Leads"
    sheet.append(["Name", "Phone", "Met on", "Call at", "Met at", "VIP", "Score", None])
    sheet.append(["Sara", 989121234567, datetime.date(2026, 11, 24), datetime.time(9, 30),
                  datetime.datetime(2026, 11, 24, 9, 30), True, 2.5, None])
    sheet.append([None] * 5)
    sheet.append([" Omid ", "0912 123 4567", None, None, None, False, 3])
    path = tmp_path / "leads.xlsx"
    workbook.save(path)
    # When it is read
    layout, headers, read = read_all(path)
    # Then each cell is text as a person would type it, and the empty row is skipped
    assert layout == files.Layout("xlsx", None, None, "Leads", ("Leads",))
    assert headers == ["Name", "Phone", "Met on", "Call at", "Met at", "VIP", "Score"]
    assert read == [
        Row(2, ["Sara", "989121234567", "2026-11-24", "09:30:00", "2026-11-24T09:30:00", "true", "2.5"], None),
        Row(4, ["Omid", "0912 123 4567", "", "", "", "false", "3"], None)]


def test_an_xlsx_sheet_is_chosen_by_name_and_an_unknown_one_is_named_in_the_problem(tmp_path: Path) -> None:
    # Given a workbook with two sheets
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["just notes"])
    second = workbook.create_sheet("Contacts")
    second.append(["Email"])
    second.append(["a@x.io"])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    # When the second sheet is asked for by name, Then it is read and every sheet is listed
    layout, headers, read = read_all(path, "Contacts")
    assert (layout.sheet, layout.sheets, headers, read[0].cells) == ("Contacts", ("Notes", "Contacts"), ["Email"],
                                                                     ["a@x.io"])
    # When a sheet that is not there is asked for, Then the problem lists the sheets there are
    with pytest.raises(FileProblem) as raised:
        read_table(path, "Deals")
    assert raised.value.code == "sheet_not_found"
    assert "'Notes', 'Contacts'" in raised.value.message


@pytest.mark.parametrize("content", [
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
    b"\x7fELF\x02\x01\x01" + bytes(64),
    random.Random(7).randbytes(4096),
])
def test_a_file_that_is_not_a_spreadsheet_is_refused_whatever_its_name(tmp_path: Path, content: bytes) -> None:
    # Given a PDF, a PNG, an old .xls, a program or random bytes, uploaded as a .csv
    path = upload(tmp_path, content, "contacts.csv")
    # When it is read, Then it is refused as not a spreadsheet
    assert problem_of(path).code == "not_a_spreadsheet"


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    # Given a ZIP of documents named like a workbook
    path = tmp_path / "contacts.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("report.docx", b"not a workbook")
    # When it is read, Then it is refused
    assert problem_of(path).code == "not_a_spreadsheet"


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    # Given a workbook whose sheet is 50 MB of zeros compressed to a few kilobytes
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(50 * 1024 * 1024))
    # When it is read, Then it is refused as a bomb
    assert problem_of(path).code == "zip_bomb"


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a limit smaller than the file
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    path = upload(tmp_path, csv_text([["Email"]] + [[f"p{n}@x.io"] for n in range(20)]).encode())
    # When it is read, Then it is refused as too large
    assert problem_of(path).code == "too_large"


@pytest.mark.parametrize(("content", "code"), [
    (b"", "no_rows"),
    (b"\r\n,,\r\n  \r\n", "no_rows"),
    (b"\xef\xbb\xbfName,Email\r\n", "header_only"),
    (b"Name,Email\r\n,\r\n\r\n", "header_only"),
    (",".join(f"c{n}" for n in range(3000)).encode() + b"\r\n" + b"1\r\n", "too_many_columns"),
])
def test_a_file_without_data_or_with_thousands_of_columns_is_refused(tmp_path: Path, content: bytes,
                                                                       code: str) -> None:
    # Given an empty file, a header only, or a header of thousands of columns
    path = upload(tmp_path, content)
    # When it is read, Then the problem says which
    assert problem_of(path).code == code


def test_a_one_megabyte_cell_is_that_rows_problem_and_the_other_rows_are_fine(tmp_path: Path) -> None:
    # Given a row whose cell holds a megabyte, between two ordinary rows
    path = upload(tmp_path, csv_text([["Name", "Notes"], ["Sara", "hi"], ["Omid", "x" * 1_000_000],
                                      ["Nima", "bye"]]).encode())
    # When it is read
    _, _, read = read_all(path)
    # Then the big row is an error naming the limit, and the others read as written
    assert [row.number for row in read] == [2, 3, 4]
    assert read[1].problem is not None and str(MAX_CELL_CHARS) in read[1].problem
    assert [read[0].cells, read[2].cells] == [["Sara", "hi"], ["Nima", "bye"]]
    assert read[0].problem is None and read[2].problem is None


def test_an_unclosed_quote_is_one_rows_problem_not_a_crash(tmp_path: Path) -> None:
    # Given a file where one row opens a quote that is never closed
    path = upload(tmp_path, b'Name,Notes\r\nSara,hi\r\nOmid,"never closed\r\nNima,bye\r\nAra,ok\r\n')
    # When it is read
    _, _, read = read_all(path)
    # Then the rows before it are fine and it is reported with the lines it swallowed
    assert read[0] == Row(2, ["Sara", "hi"], None)
    assert read[1].number == 3 and read[1].problem is not None and "lines 3-5" in read[1].problem


def test_an_unclosed_quote_in_a_big_file_stops_at_the_cell_limit_and_the_reading_goes_on(tmp_path: Path) -> None:
    # Given an unclosed quote followed by far more than a cell's worth of rows
    lines = "".join(f"Person {n},p{n}@x.io\r\n" for n in range(5000))
    path = upload(tmp_path, f'Name,Email\r\nSara,"s@x.io\r\n{lines}Last,last@x.io\r\n'.encode())
    # When it is read
    _, _, read = read_all(path)
    # Then the runaway cell is one row's problem, and the rows after the limit read again
    assert read[0].problem is not None and "never closed" in read[0].problem
    assert read[-1] == Row(read[-1].number, ["Last", "last@x.io"], None)


def test_a_broken_quote_inside_a_row_is_that_rows_problem(tmp_path: Path) -> None:
    # Given a quoted cell with text after its closing quote
    path = upload(tmp_path, b'Name,Notes\n1,"said"then\n2,fine\n')
    # When it is read, Then that row has a problem and the next is fine
    _, _, read = read_all(path)
    assert read[0].problem is not None and "quoting" in read[0].problem
    assert read[1] == Row(3, ["2", "fine"], None)


def test_a_row_in_another_encoding_is_that_rows_problem(tmp_path: Path) -> None:
    # Given a UTF-8 file with one line pasted from a Windows-1256 file
    content = (csv_text(PERSIAN[:3]).encode() + csv_text(PERSIAN_1256[3:4]).encode("cp1256")
               + csv_text(PERSIAN[4:]).encode())
    path = upload(tmp_path, content)
    # When it is read
    layout, _, read = read_all(path)
    # Then the file is UTF-8, that row says so, and the others are as written
    assert layout.encoding == "utf-8"
    assert read[2].problem == ("This row is not in the file's encoding (utf-8); save the file as UTF-8 and "
                               "import it again.")
    assert [row.cells for row in read if row.problem is None] == [PERSIAN[1], PERSIAN[2], PERSIAN[4]]


def test_a_utf8_row_in_a_legacy_file_is_that_rows_problem(tmp_path: Path) -> None:
    # Given a Windows-1256 file with one line pasted from a UTF-8 file
    content = csv_text(PERSIAN_1256[:4]).encode("cp1256") + csv_text(PERSIAN[4:]).encode()
    path = upload(tmp_path, content)
    # When it is read
    layout, _, read = read_all(path)
    # Then the file is Windows-1256 and the UTF-8 row, which that codec would turn to nonsense, is reported
    assert layout.encoding == "cp1256"
    assert [row.problem is None for row in read] == [True, True, True, False]
    assert [row.cells for row in read[:3]] == PERSIAN_1256[1:4]


ROW_TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12)


@given(header=st.lists(ROW_TEXT.filter(str.strip), min_size=2, max_size=5, unique_by=str.strip),
       rows=st.lists(st.lists(ROW_TEXT, min_size=1, max_size=5), min_size=1, max_size=6))
def test_any_text_written_by_the_csv_writer_reads_back_cell_for_cell(header: list[str],
                                                                     rows: list[list[str]]) -> None:
    # Given any rows of any text under a header of distinct names, written as UTF-8 CSV with as many fields
    # in each row as the header has, as spreadsheet programs write them (a ragged file with delimiters in its
    # cells can be read more than one way)
    rows = [row[:len(header)] + [""] * (len(header) - len(row)) for row in rows]
    with tempfile.TemporaryDirectory() as folder:
        path = upload(Path(folder), csv_text([header, *rows]).encode())
        # When it is read
        try:
            _, headers, read = read_all(path)
        except FileProblem as problem:
            # Then only a file whose every row is blank has no data
            assert problem.code == "header_only"
            assert not any(cell.strip() for row in rows for cell in row)
            return
    # Then every non-blank row comes back, each cell stripped
    expected = [[cell.strip() for cell in row] for row in rows]
    assert headers == [name.strip() for name in header]
    assert [row.cells for row in read] == [cells for cells in expected if any(cells)]
    assert all(row.problem is None for row in read)


@pytest.mark.fuzz(entry_point="an uploaded import file (crm.imports.files.read_table)")
@given(content=st.one_of(st.binary(max_size=2000),
                         st.binary(max_size=500).map(lambda tail: b"PK\x03\x04" + tail),
                         st.binary(max_size=500).map(lambda tail: b"\xff\xfe" + tail),
                         st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass"))))
def test_any_bytes_are_refused_or_read_never_crash(content: bytes) -> None:
    # Given any bytes at all as an upload
    with tempfile.TemporaryDirectory() as folder:
        path = upload(Path(folder), content)
        # When they are read, Then the result is rows or a FileProblem, nothing else
        try:
            _, headers, rows = read_table(path)
            assert all(isinstance(row, Row) and len(row.cells) == len(headers) for row in rows)
        except FileProblem as problem:
            assert problem.code and problem.message
