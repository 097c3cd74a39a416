"""Small bar charts as inline SVG, drawn from plain numbers (no chart library, no images).

Labels are escaped here: the SVG is inserted into the print template as markup.

Each chart carries its alternative text as the SVG's first ``<title>``: that is where
WeasyPrint looks when it tags an ``<svg>`` as a Figure (its ``/Alt``); ``aria-label`` and
``role`` are kept for HTML readers but WeasyPrint does not read them. The text says what
the bars say, so a reader who cannot see them loses nothing.
"""
from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

_ROW = 16
_LABEL_W = 150
_VALUE_W = 90
#: WeasyPrint draws inline SVG without the page's stylesheet: colours and fonts are attributes.
_FILL = {"bad": "#a33b2e", "warn": "#c48a1c", "ok": "#5b8a5b", "held": "#2f4f6f",
         "free": "#b9c9d9", "kind": "#4a6785"}
_TEXT = 'font-family="DejaVu Sans" font-size="7.5" fill="#222"'


def _open(width: int, height: int, alt: str) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(alt)}"><title>{escape(alt)}</title>')


def _scale(value: Decimal, largest: Decimal, width: float) -> float:
    if largest <= 0 or value <= 0:
        return 0.0
    return max(float(value / largest) * width, 1.0)


def bars(rows: list[tuple[str, Decimal, str]], *, title: str, width: int = 460,
         unit: str = "$") -> Markup:
    """Horizontal bars: ``rows`` are (label, value, css class); the value is printed beside."""
    if not rows:
        return Markup("")
    plot = width - _LABEL_W - _VALUE_W
    largest = max(value for _, value, _ in rows)
    height = _ROW * len(rows) + 4
    texts = [f"{unit}{value:,.2f}" if unit == "$" else f"{value:,}" for _, value, _ in rows]
    parts = [_open(width, height, f"Bar chart, {title}: " + "; ".join(
        f"{label} {text}" for (label, _, _), text in zip(rows, texts)) + ".")]
    for n, ((label, value, css), shown) in enumerate(zip(rows, texts)):
        y = n * _ROW + 2
        bar = _scale(value, largest, plot)
        parts.append(
            f'<text x="{_LABEL_W - 6}" y="{y + 11}" text-anchor="end" {_TEXT}>'
            f'{escape(label)}</text>'
            f'<rect x="{_LABEL_W}" y="{y + 2}" width="{bar:.1f}" height="{_ROW - 5}" '
            f'fill="{_FILL.get(css, _FILL["kind"])}"/>'
            f'<text x="{_LABEL_W + bar + 4:.1f}" y="{y + 11}" {_TEXT}>{escape(shown)}</text>')
    parts.append("</svg>")
    # every piece of text in parts went through escape(); the rest is numbers and constants
    return Markup("".join(parts))  # nosec B704


def spots(rows: list[dict], *, width: int = 460) -> Markup:
    """Per state: held spots (dark) and remaining spots (light) on one bar; the waitlist after."""
    if not rows:
        return Markup("")
    plot = width - 60 - 150
    largest = max([r["capacity"] for r in rows] + [r["held"] for r in rows] + [1])
    height = _ROW * len(rows) + 4
    notes = []
    for row in rows:
        note = f'{row["held"]} of {row["capacity"]} held'
        if row["waitlisted"]:
            note += f', {row["waitlisted"]} waiting'
        notes.append(note)
    parts = [_open(width, height, "Bar chart, spots per state: " + "; ".join(
        f'{row["state"]} {note}' for row, note in zip(rows, notes)) + ".")]
    for n, (row, note) in enumerate(zip(rows, notes)):
        y = n * _ROW + 2
        held = plot * row["held"] / largest
        free = plot * row["remaining"] / largest
        parts.append(
            f'<text x="40" y="{y + 11}" text-anchor="end" {_TEXT}>{escape(row["state"])}</text>'
            f'<rect x="48" y="{y + 2}" width="{held:.1f}" height="{_ROW - 5}" '
            f'fill="{_FILL["held"]}"/>'
            f'<rect x="{48 + held:.1f}" y="{y + 2}" width="{free:.1f}" height="{_ROW - 5}" '
            f'fill="{_FILL["free"]}"/>'
            f'<text x="{48 + plot + 6}" y="{y + 11}" {_TEXT}>{escape(note)}</text>')
    parts.append("</svg>")
    # every piece of text in parts went through escape(); the rest is numbers and constants
    return Markup("".join(parts))  # nosec B704
