"""The reusable CSV framework: whole-file checks, row errors with line numbers, safe writing."""
import csv
import io
from datetime import date

import pytest

from app.services import csv_import
from app.services.csv_import import FileRejected, ImportRejected, Row

COLUMNS = ("email", "amount")


def _parse(text: str | bytes, **kwargs):
    data = text.encode() if isinstance(text, str) else text
    return csv_import.parse(data, columns=COLUMNS, **kwargs)


def test_rows_carry_their_line_numbers_and_extra_columns_are_ignored():
    parsed = _parse("Notes, AMOUNT ,email\r\nhi,1.00,a@x.org\r\n\r\n,,\r\n"
                    '"two\nlines",2.00,b@x.org\r\nlast,3,c@x.org')
    assert [(r.line, r.values) for r in parsed.rows] == [
        (2, {"email": "a@x.org", "amount": "1.00"}),
        (5, {"email": "b@x.org", "amount": "2.00"}),   # blank rows skipped, still counted
        (7, {"email": "c@x.org", "amount": "3"})]       # the quoted cell spans lines 5 and 6


def test_a_byte_order_mark_is_fine_and_short_rows_read_as_blank():
    parsed = _parse(b"\xef\xbb\xbfemail,amount\nz@x.org\n")
    assert parsed.rows[0].values == {"email": "z@x.org", "amount": ""}


@pytest.mark.parametrize(("data", "message"), [
    (b"", "is empty"),
    (b"\n\n", "is empty"),
    (b"email\nx@y.org\n", "lacks the column amount"),
    (b"mail,sum\n1,2\n", "lacks the columns email, amount"),
    (b"email,amount,email\n1,2,3\n", "names email more than once"),
    (b"email,amount\n", "has a header but no rows"),
    ("email,amount\nJos\xe9,1\n".encode("latin-1"), "is not UTF-8 text: the byte 0xe9 on line 2"),
    ("email,amount\n".encode("utf-16"), "not a text file"),
    (b"PK\x03\x04\x14\x00rest-of-a-zip", "an Excel or OpenDocument workbook"),
    (b"%PDF-1.7\n...", "a PDF document"),
    (b'email,amount\n"unclosed,1\n', "not valid CSV"),
])
def test_files_that_cannot_be_read_are_refused_with_a_reason(data, message):
    with pytest.raises(FileRejected, match=message) as caught:
        _parse(data, filename="costs.csv")
    assert caught.value.field == "file" and caught.value.status == 422


def test_only_csv_file_names_and_files_under_the_limit_are_accepted(tmp_path):
    with pytest.raises(FileRejected, match=r"costs\.xlsx is not a CSV file"):
        _parse("email,amount\na,1\n", filename="costs.xlsx")
    with pytest.raises(FileRejected, match="is 1.0 MB; an import may be at most 512 KB"):
        _parse(b"email,amount\n" + b"a,1\n" * (1024 * 1024 // 4), filename="big.csv",
               limit=512 * 1024)
    big = tmp_path / "huge.csv"
    with open(big, "wb") as handle:          # 50 MB on disk, never read into memory
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(FileRejected, match="huge.csv is 50.0 MB; an import may be at most 10.0 MB"):
        csv_import.read_path(str(big))
    with pytest.raises(FileRejected, match="not a CSV file"):
        csv_import.read_path(str(tmp_path / "notes.txt"))


def test_row_checks_collect_every_problem_with_line_column_and_reason():
    rows = [Row(2, {"email": "", "amount": "x", "when": "2024-13-01", "ok": "maybe"}),
            Row(3, {"email": "a@x.org", "amount": "1", "when": "2024-10-01", "ok": "yes"})]
    for row in rows:
        row.take("email", what="an email")
        row.take("amount", int)
        row.take("when", csv_import.parse_date)
        row.take("ok", csv_import.parse_bool, required=False)
    assert rows[1].ok and not rows[0].ok
    with pytest.raises(ImportRejected) as caught:
        csv_import.reject_if_errors(rows, "people.csv")
    errors = caught.value.errors
    assert [(e.line, e.column) for e in errors] == [(2, "email"), (2, "amount"), (2, "when"),
                                                   (2, "ok")]
    assert "line 2, email: is empty; give an email." in caught.value.message
    assert "'2024-13-01' is not a date; write it as YYYY-MM-DD" in caught.value.message
    assert "'maybe' is not yes or no" in caught.value.message
    assert caught.value.summary.startswith("people.csv: 1 row with problems; nothing was imported")


def test_cell_parsers():
    assert csv_import.parse_date("2024-10-21") == date(2024, 10, 21)
    for bad in ("21/10/2024", "2024-10-21T10:00", "20241021"):
        with pytest.raises(ValueError):
            csv_import.parse_date(bad)
    assert [csv_import.parse_bool(v) for v in ("TRUE", "yes", "1", "x", "", "no", "0")] == [
        True, True, True, True, False, False, False]
    with pytest.raises(ValueError, match="at most 3"):
        csv_import.limited(3)("four")


@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("+1 555 0100", "'+1 555 0100"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTAB", "'\tTAB"), ("plain", "plain"), ("a=b", "a=b"), (None, ""), ("-12.50", "-12.50"),
    (["VOL_OK", "=1"], "VOL_OK;=1"), (["-x", "y"], "'-x;y"),
    (True, "true"), (date(2024, 10, 21), "2024-10-21"),
])
def test_written_cells_cannot_become_formulas(value, written):
    assert csv_import.safe_cell(value) == written


def test_write_csv_quotes_and_neutralises_every_cell():
    text = csv_import.write_csv(["name", "=note"], [["O'Hara, Jo", "=1+1"], ["-x", 'say "hi"']])
    assert list(csv.reader(io.StringIO(text))) == [["name", "'=note"], ["O'Hara, Jo", "'=1+1"],
                                                   ["'-x", 'say "hi"']]
