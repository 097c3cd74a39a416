"""Spreadsheets in and out: the checks every CSV import shares, and safe CSV writing.

An import reads the whole file first (size, UTF-8, header), then checks every row and collects
every problem with its line number, column and reason. Only a file without a single problem is
written, in one transaction: all or nothing. The subject modules (``costs_import`` …) supply
the columns and the per-row checks; this module knows nothing about costs or volunteers.

Writing: every CSV the app writes goes through ``csv_cells`` (formulas neutralised);
``safe_cell`` and ``write_csv`` are kept here under their old names.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum

from flask import current_app, has_app_context
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..models import enums
from ..models.ledger import ImportUpload
from ..models.types import utcnow
from . import csv_cells
from .errors import NotFound, ValidationFailed

#: Default upper bound for one import file (override with IMPORT_MAX_BYTES).
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: Magic numbers of files people upload by mistake instead of a CSV export.
_NOT_CSV = {b"PK\x03\x04": "an Excel or OpenDocument workbook (a zip file)",
            b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
            b"%PDF": "a PDF document",
            b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image"}
_SAVE_AS = 'Save the sheet as "CSV UTF-8 (comma delimited)" and try again.'


def max_bytes() -> int:
    if has_app_context():
        return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))
    return DEFAULT_MAX_BYTES


def describe_size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


class FileRejected(ValidationFailed):
    """The file as a whole cannot be read: too big, not CSV, not UTF-8, wrong header."""

    code = "bad_file"

    def __init__(self, message: str):
        super().__init__(message, field="file")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.reason}"


class ImportRejected(ValidationFailed):
    """Some rows are wrong; nothing was written. ``errors`` lists every problem."""

    code = "bad_rows"

    def __init__(self, errors: list[RowError], *, filename: str = "the file"):
        lines = sorted({e.line for e in errors})
        head = (f"{filename}: {len(lines)} row{'s' if len(lines) != 1 else ''} with problems; "
                "nothing was imported. Fix them and import the whole file again.")
        super().__init__("\n".join([head, *(f"  {e}" for e in errors)]), field="file")
        self.errors = errors
        self.summary = head


@dataclass
class Row:
    """One data row: its values by column (stripped), and the problems found in it."""
    line: int
    values: dict[str, str]
    errors: list[RowError] = field(default_factory=list)

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    def error(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.line, column, reason))

    def errors_in(self, column: str) -> bool:
        """Whether a problem has been recorded for ``column`` (so later checks skip it)."""
        return any(error.column == column for error in self.errors)

    def take(self, column: str, parse: Callable[[str], object] = str, *, required: bool = True,
             default=None, what: str | None = None):
        """``parse(value)`` of a column; a problem is recorded (not raised) and gives None.

        ``parse`` raises ValidationFailed (or ValueError) with a reason a person can act on.
        """
        raw = self.get(column)
        if not raw:
            if required:
                self.error(column, f"is empty; give {what or 'a value'}.")
            return default
        try:
            return parse(raw)
        except ValidationFailed as exc:
            self.error(column, exc.message)
        except ValueError as exc:
            self.error(column, str(exc))
        return None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class CsvFile:
    filename: str
    header: list[str]
    rows: list[Row]


@dataclass
class ParsedFile:
    """A file whose cells have been read (each subject module reads its own columns): the rows
    (their line numbers, for problems found later against the database) and each row's values.

    Packed into the staged upload once it has been checked, so the preview and the import that
    follow never read the file again.
    """
    filename: str
    sha256: str
    rows: list[Row]
    cells: list[dict]

    def pack(self) -> bytes:
        document = {"filename": self.filename, "sha256": self.sha256,
                    "lines": [row.line for row in self.rows],
                    "cells": [{key: _plain(value) for key, value in cell.items()}
                              for cell in self.cells]}
        return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 6)

    @classmethod
    def unpack(cls, blob: bytes) -> ParsedFile:
        document = json.loads(zlib.decompress(blob))
        return cls(document["filename"], document["sha256"],
                   [Row(line, {}) for line in document["lines"]],
                   [{key: _typed(value) for key, value in cell.items()}
                    for cell in document["cells"]])


def _plain(value):
    """JSON for a cell's value, keeping its type (enum, Decimal, date)."""
    if isinstance(value, Enum):
        return {"enum": type(value).__name__, "value": value.value}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return value


def _typed(value):
    if isinstance(value, dict):
        if "enum" in value:
            return getattr(enums, value["enum"])(value["value"])
        if "decimal" in value:
            return Decimal(value["decimal"])
        if "date" in value:
            return date.fromisoformat(value["date"])
    return value


# -- reading ------------------------------------------------------------------------------
def read_path(path: str, *, limit: int | None = None) -> bytes:
    """The bytes of a file named on the command line, refusing an oversized one unread.

    :raises FileRejected: too large, or not a .csv name
    """
    limit = limit or max_bytes()
    check_name(os.path.basename(path))
    size = os.path.getsize(path)
    check_size(size, limit, os.path.basename(path))
    with open(path, "rb") as handle:
        return handle.read()


def check_name(filename: str) -> None:
    """:raises FileRejected: the name says it is not a CSV file"""
    if filename and not filename.lower().endswith(".csv"):
        raise FileRejected(f"{filename} is not a CSV file (its name should end in .csv). "
                           f"{_SAVE_AS}")


def check_size(size: int, limit: int, filename: str = "The file") -> None:
    """:raises FileRejected: larger than ``limit`` bytes"""
    if size > limit:
        raise FileRejected(f"{filename} is {describe_size(size)}; an import may be at most "
                           f"{describe_size(limit)}. Split it into smaller files and import "
                           "them one after the other.")


def decode(data: bytes, filename: str = "The file") -> str:
    """UTF-8 text (a byte-order mark is allowed and dropped).

    :raises FileRejected: a binary file, or text in another encoding
    """
    for magic, what in _NOT_CSV.items():
        if data.startswith(magic):
            raise FileRejected(f"{filename} is {what}, not a CSV file. {_SAVE_AS}")
    head = data[:65536]
    if head.count(b"\x00") * 10 >= len(head) > 0:
        raise FileRejected(f"{filename} is not a text file (it contains NUL bytes), so not a "
                           f"CSV file; a UTF-16 export does this too. {_SAVE_AS}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise FileRejected(f"{filename} is not UTF-8 text: the byte 0x{data[exc.start]:02x} on "
                           f"line {line} is not valid UTF-8 (perhaps it was saved as Latin-1 or "
                           f"Windows-1252). {_SAVE_AS}") from None
    refuse_control_characters(text, filename)
    return text


#: Control characters no spreadsheet cell holds (tab, line feed and carriage return are
#: CSV's own). PostgreSQL refuses NUL in text, so one that slipped through failed the import
#: with a 500 after a clean preview.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LISTED = 10


def refuse_control_characters(text: str, filename: str = "The file") -> None:
    """Scan the whole text (not only its start) for control characters.

    :raises FileRejected: naming the line of each (the first ten), nothing written
    """
    found: list[str] = []
    more = line = position = 0
    for match in _CONTROL.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        if len(found) < _LISTED:
            char = match.group()
            name = "a NUL byte" if char == "\x00" else "a control character"
            found.append(f"line {line + 1}: {name} (0x{ord(char):02x})")
        else:
            more += 1
    if found:
        rest = f"; and {more} more" if more else ""
        raise FileRejected(f"{filename} contains characters that are not text, so nothing was "
                           f"imported — {'; '.join(found)}{rest}. Remove them (or export the "
                           f"sheet again) and upload the file again.")


def _normal(name: str) -> str:
    return name.strip().lower()


def parse(data: bytes, *, columns: Sequence[str], optional: Sequence[str] = (),
          filename: str | None = None, limit: int | None = None) -> CsvFile:
    """Check a whole file and split it into rows (header = line 1; blank rows skipped).

    Every column in ``columns`` must be in the header (in any order, any case); a column in
    ``optional`` may be left out, and then reads as blank in every row. Other columns are
    ignored.

    :raises FileRejected: too big, not UTF-8, not CSV, header missing or incomplete, no rows
    """
    if filename:
        check_name(filename)
    filename = filename or "The file"
    check_size(len(data), limit or max_bytes(), filename)
    text = decode(data, filename)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    expected = ", ".join(columns)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise FileRejected(f"{filename} is empty. The first line must be the header: "
                               f"{expected}")
        names = [_normal(cell) for cell in header]
        repeated = sorted({n for n in names if n and names.count(n) > 1})
        if repeated:
            raise FileRejected(f"{filename}: the header names {', '.join(repeated)} more than "
                               "once; each column may appear only once.")
        missing = [c for c in columns if c not in names]
        if missing:
            raise FileRejected(f"{filename}: the header (line {reader.line_num}) lacks the "
                               f"column{'s' if len(missing) > 1 else ''} {', '.join(missing)}. "
                               f"The header must name these columns: {expected}")
        index = {c: names.index(c) for c in (*columns, *optional) if c in names}
        absent = {c: "" for c in optional if c not in names}
        rows, line = [], reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num  # a quoted cell may span several lines
            if not any(cell.strip() for cell in cells):
                continue
            values = {c: cells[i].strip() if i < len(cells) else "" for c, i in index.items()}
            rows.append(Row(start, values | absent))
    except csv.Error as exc:
        raise FileRejected(f"{filename} is not valid CSV near line {reader.line_num}: {exc}. "
                           "Check for a stray quote mark.") from None
    if not rows:
        raise FileRejected(f"{filename} has a header but no rows to import.")
    return CsvFile(filename, header, rows)


# -- cell parsers for subject modules -----------------------------------------------------
def parse_date(raw: str) -> date:
    """:raises ValueError: not YYYY-MM-DD"""
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a date; write it as YYYY-MM-DD "
                         "(e.g. 2024-10-21).") from None


_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0", ""}


def parse_bool(raw: str) -> bool:
    """:raises ValueError: not yes/no"""
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not yes or no (use true/false, yes/no or 1/0).")


def limited(length: int) -> Callable[[str], str]:
    def _check(raw: str) -> str:
        if len(raw) > length:
            raise ValueError(f"is {len(raw)} characters long; at most {length}.")
        return raw
    return _check


def reject_if_errors(rows: Iterable[Row], filename: str) -> None:
    """:raises ImportRejected: listing every problem of every row, in line order"""
    errors = [error for row in rows for error in row.errors]
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line), filename=filename)


# -- writing: one neutraliser for every CSV the app writes (see csv_cells) -------------------
safe_cell = csv_cells.safe_cell
write_csv = csv_cells.write_csv


# -- uploads waiting for confirmation (browser preview → confirm) -------------------------
#: Unconfirmed uploads older than this are thrown away.
UPLOAD_LIFETIME = timedelta(hours=24)


def stage_upload(session: Session, *, deployment_id: int, kind: str, content: bytes,
                 parsed: ParsedFile, summary: dict, user_id: int | None) -> str:
    """Keep a checked file, its parsed rows and its preview until the preview is confirmed;
    returns the preview's token.

    Written with a plain INSERT, not the ORM, so the audit chain does not store the file;
    the import it leads to is audited.
    """
    table = ImportUpload.__table__
    session.execute(delete(table).where(table.c.created_at < utcnow() - UPLOAD_LIFETIME))
    token = secrets.token_urlsafe(32)
    session.execute(insert(table).values(
        token=token, deployment_id=deployment_id, user_id=user_id, kind=kind,
        filename=parsed.filename[:255], content=content, sha256=parsed.sha256,
        parsed=parsed.pack(), summary=summary, created_at=utcnow()))
    return token


@dataclass
class StagedUpload:
    id: int
    filename: str
    #: What the preview shows, as the check on upload found it.
    summary: dict
    #: The parsed rows (only when asked for: the preview does not need them).
    parsed: ParsedFile | None


def staged_upload(session: Session, *, deployment_id: int, kind: str, token: str,
                  with_rows: bool = False) -> StagedUpload:
    """A waiting upload: its preview and (``with_rows``) its parsed rows.

    :raises NotFound: none with that token (confirmed, discarded or expired)
    """
    table = ImportUpload.__table__
    columns = [table.c.id, table.c.filename, table.c.summary] + \
        ([table.c.parsed] if with_rows else [])
    row = session.execute(select(*columns)
                          .where(table.c.token == token, table.c.deployment_id == deployment_id,
                                 table.c.kind == kind, table.c.parsed.is_not(None),
                                 table.c.created_at >= utcnow() - UPLOAD_LIFETIME)).first()
    if row is None:
        raise NotFound("That upload is no longer waiting (it was imported, discarded or is "
                       "more than a day old); upload the file again.")
    return StagedUpload(row.id, row.filename, row.summary or {},
                        ParsedFile.unpack(row.parsed) if with_rows else None)


def drop_upload(session: Session, upload_id: int) -> None:
    table = ImportUpload.__table__
    session.execute(delete(table).where(table.c.id == upload_id))
