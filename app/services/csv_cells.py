"""CSV cells out: the one place a CSV the app writes gets its cells (every export, the FEC
file, the report's embedded ledger).

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is a formula
to Excel, LibreOffice and Google Sheets, and a way to run commands on the machine of whoever
opens the file (CSV injection). Such cells get a leading apostrophe, which spreadsheets show as
text; a plain number such as ``-12.50`` is left as it is. ``tests/test_csv_exports_safe.py``
fails if a ``csv.writer`` appears anywhere else in ``app/``.

No Flask and no database here: the report workers import it.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe_cell(value) -> str:
    """A cell's text, neutralised if a spreadsheet would take it for a formula (a list becomes
    its items joined with ``;``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        text = ";".join(str(item) for item in value)
    else:
        text = value.isoformat() if isinstance(value, date) else str(value)
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`safe_cell` (CRLF line ends, as
    RFC 4180 says)."""

    def __init__(self, sink):
        self._writer = csv.writer(sink, lineterminator="\r\n")

    def writerow(self, values: Iterable) -> None:
        self._writer.writerow([safe_cell(value) for value in values])


def write_csv(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A whole CSV document (UTF-8 text), every cell safe."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return out.getvalue()
