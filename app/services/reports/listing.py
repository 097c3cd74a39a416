"""Long parts of the report as fixed-width text, cut into pages here rather than by WeasyPrint.

Why: WeasyPrint lays out every table cell as its own boxes (a 10,000-row table takes minutes);
a page of monospaced lines in one ``<pre>`` is a handful of boxes. And because every line has
the same height and never wraps, this module knows how many pages each part takes before
anything is rendered — so parts can be rendered in parallel, each already carrying its final
"page n of m" numbers.

A *sheet* is one printed page: ``{"section": title, "blocks": [...]}`` where a block is
``{"kind": "h1"|"h2", "text": str}`` or ``{"kind": "pre", "text": "line\\nline"}``.
Heights are counted in line units: a pre line is 1, an h2 is 2, an h1 is 3 (the CSS gives
them exactly these heights).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

#: Characters per line at the listing's font size (DejaVu Sans Mono 7pt across 182 mm).
WIDTH = 118
#: Line units per sheet; the CSS makes a sheet exactly this tall, less than the page's box.
SHEET_UNITS = 78
UNITS = {"h1": 3, "h2": 2}
#: A review or a reason longer than this many lines is cut (the JSON attachment has it all).
MAX_TEXT_LINES = 24
INDENT = " " * 10


#: Bidi embeddings, overrides, isolates and marks: user text may not reorder the listing.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                     "\u200e\u200f\u061c\ufeff")


def clean(text) -> str:
    """One line of user text: control and bidi-control characters removed, spaces collapsed.

    A line break or a right-to-left override inside a name must not reshape the listing.
    """
    if text is None:
        return ""
    value = str(text)
    # The common case, checked in C: nothing to remove (bidi controls are not printable).
    if value.isprintable():
        return " ".join(value.split()) if "  " in value or value[:1] == " " or \
            value[-1:] == " " else value
    out = []
    for ch in value:
        if ch in _BIDI_CONTROLS:
            continue
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            out.append(" ")
        else:
            out.append(ch)
    return " ".join("".join(out).split())


_RTL = {"R", "AL"}


def iso(text) -> str:
    """User text, isolated (FSI … PDI) when it holds right-to-left letters, so a Hebrew or
    Arabic name cannot pull its neighbours along. (Only then: isolates split a line into more
    runs for the text engine, which costs time on every line of a 50,000-line ledger.)"""
    value = clean(text)
    if not value.isascii() and any(unicodedata.bidirectional(ch) in _RTL for ch in value):
        return f"\u2068{value}\u2069"
    return value


def cut(text: str, width: int = WIDTH) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def wrap(text: str, *, indent: str = INDENT, first: str | None = None,
         max_lines: int = MAX_TEXT_LINES, prepared: bool = False) -> list[str]:
    """Wrap at spaces to the listing's width; at most ``max_lines`` lines, the last marked
    when cut. ``prepared`` text was assembled from cleaned parts (and may hold our isolates).

    A plain greedy wrap (not textwrap): it runs for every one of 50,000 lines.
    """
    first = indent if first is None else first
    rest = first + (text if prepared else clean(text))
    lines = []
    while len(rest) > WIDTH:
        at = rest.rfind(" ", len(first if not lines else indent) + 1, WIDTH + 1)
        if at == -1:
            at = WIDTH
            lines.append(rest[:at])
            rest = indent + rest[at:]
        else:
            lines.append(rest[:at])
            rest = indent + rest[at + 1:]
    lines.append(rest.rstrip() if rest.strip() else first.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = cut(lines[-1], WIDTH - 35) + " … (in full in the JSON attachment)"
    return lines


@dataclass
class Group:
    """A heading and the entries under it; an entry's lines always stay on one sheet."""
    heading: str
    head_lines: list[str] = field(default_factory=list)
    entries: list[list[str]] = field(default_factory=list)
    #: "h2" for a rule or a state; "line" for a volunteer: a plain listing line, because
    #: thousands of heading elements would cost WeasyPrint more than the lines under them.
    level: str = "h2"


@dataclass
class Section:
    key: str
    title: str
    intro: list[str]
    groups: list[Group]
    empty_text: str = "Nothing in this scope."
    #: For the running header (the full title is too long for it).
    short: str = ""


class _Sheets:
    def __init__(self, title: str):
        self.title = title
        self.sheets: list[dict] = []
        self.free = 0

    def new(self) -> None:
        self.sheets.append({"section": self.title, "blocks": []})
        self.free = SHEET_UNITS

    def heading(self, kind: str, text: str) -> None:
        self.sheets[-1]["blocks"].append({"kind": kind, "text": text})
        self.free -= UNITS[kind]

    def lines(self, lines: list[str]) -> None:
        blocks = self.sheets[-1]["blocks"]
        if blocks and blocks[-1]["kind"] == "pre":
            blocks[-1]["lines"].extend(lines)
        else:
            blocks.append({"kind": "pre", "lines": list(lines)})
        self.free -= len(lines)


def paginate(section: Section) -> list[dict]:
    """Cut a section into sheets: headings kept with their first entry, entries never split,
    a group's heading repeated ("continued") at the top of each further sheet."""
    out = _Sheets(section.short or section.title)
    out.new()
    out.heading("h1", section.title)
    for start in range(0, len(section.intro), SHEET_UNITS - 4):
        chunk = section.intro[start:start + SHEET_UNITS - 4]
        if out.free < len(chunk):
            out.new()
        out.lines(chunk)
    if not section.groups:
        out.lines(["", section.empty_text])
    for group in section.groups:
        first = group.entries[0] if group.entries else []
        plain = group.level == "line"
        need = (len(_line_heading(group.heading)) if plain else 1 + UNITS["h2"]) + \
            len(group.head_lines) + len(first)
        if out.free < need:
            out.new()
        elif not plain and out.sheets[-1]["blocks"]:
            out.lines([""])
        _group_heading(out, group, "")
        if group.head_lines:
            out.lines(group.head_lines)
        for entry in group.entries:
            if out.free < len(entry):
                out.new()
                _group_heading(out, group, " (continued)")
            out.lines(entry)
    for sheet in out.sheets:
        for block in sheet["blocks"]:
            if block["kind"] == "pre":
                block["text"] = "\n".join(block.pop("lines"))
    return out.sheets


def _group_heading(out: _Sheets, group: Group, suffix: str) -> None:
    if group.level == "line":
        out.lines(_line_heading(group.heading + suffix))
    else:
        out.heading(group.level, group.heading + suffix)


def _line_heading(text: str) -> list[str]:
    """A volunteer's heading, wrapped rather than cut: its total must be read in full."""
    return wrap(text, first="» ", indent="    ", max_lines=3, prepared=True)


def units(sheet: dict) -> int:
    """Line units a sheet uses (for tests: never more than SHEET_UNITS)."""
    return sum(UNITS.get(b["kind"], 0) or b["text"].count("\n") + 1 for b in sheet["blocks"])
