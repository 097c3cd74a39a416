""""Page n of m", stamped on every page once the parts are merged and m is known.

Why stamp: the parts of a big report are rendered in parallel, each without knowing how many
pages come before it or in all. Rather than measuring and rendering twice, every part is
rendered once and the page numbers are written afterwards — in the report's own font: a tiny
WeasyPrint rendering of "Page 0123456789 of" supplies an embedded (PDF/A-safe) subset of
DejaVu Sans, its glyph ids (from its ToUnicode map) and widths (from its /W array). Each
number is drawn as a pagination artifact, so a tagged PDF keeps it out of its reading order.

Why by hand, not a WeasyPrint overlay merged with pikepdf: issue 10 tried that (m blank
pages, each with its "Page n of m", rendered in the worker pool and laid over the report as
Form XObjects; see the commit "Try: page numbers as a WeasyPrint overlay"). Measured on
30 Nov 2026 in runs interleaved with this code (load 6-8), numbering took 0.094 s instead
of 0.004 s for 25 pages, 0.62 s instead of 0.025 s for 175 pages, and 7.45 s instead of
0.135 s for the 1,666 pages of a 50,000-line report (of which WeasyPrint 3.1 s on two
workers and pikepdf 0.35 s in a quieter run), and that file grew by 1.2 MB (19 %).
Details: bench/results/reports.md.
"""
from __future__ import annotations

import re
from io import BytesIO

import pikepdf

TEMPLATE_HTML = ("<p style=\"font: 7pt 'DejaVu Sans', sans-serif; margin: 0\">"
                 "Page 0123456789 of</p>")
SIZE = 7.0
#: From the page's bottom-right corner: 14 mm in (the right margin), and the baseline level
#: with the footer WeasyPrint draws at the bottom left.
RIGHT = 14 / 25.4 * 72
BASELINE = 12.8 / 25.4 * 72
_FONT_NAME = pikepdf.Name("/TLPageNo")


class _Glyphs:
    """Glyph ids and widths of the characters of the template, from its embedded font."""

    def __init__(self, template_pdf: bytes):
        self.pdf = pikepdf.open(BytesIO(template_pdf))
        fonts = self.pdf.pages[0].Resources.Font
        self.font = next(iter(fonts.values()))
        cmap = self.font.ToUnicode.read_bytes().decode("latin-1")
        self.cid: dict[str, int] = {}
        for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
            for cid, uni in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                self.cid[chr(int(uni, 16))] = int(cid, 16)
        for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
            for lo, hi, uni in re.findall(
                    r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                for offset in range(int(hi, 16) - int(lo, 16) + 1):
                    self.cid[chr(int(uni, 16) + offset)] = int(lo, 16) + offset
        descendant = self.font.DescendantFonts[0]
        self.default_width = int(descendant.get("/DW", 1000))
        self.widths: dict[int, float] = {}
        w = list(descendant.get("/W", []))
        i = 0
        while i < len(w):
            first = int(w[i])
            if isinstance(w[i + 1], pikepdf.Array):
                for n, width in enumerate(w[i + 1]):
                    self.widths[first + n] = float(width)
                i += 2
            else:
                for cid in range(first, int(w[i + 1]) + 1):
                    self.widths[cid] = float(w[i + 2])
                i += 3
        missing = set("Page 0123456789of") - set(self.cid)
        if missing:
            raise ValueError(f"the page-number font lacks {sorted(missing)}")

    def encode(self, text: str) -> tuple[bytes, float]:
        """(hex string for Tj, width in points at SIZE)."""
        cids = [self.cid[ch] for ch in text]
        width = sum(self.widths.get(c, self.default_width) for c in cids) * SIZE / 1000
        return b"<" + "".join(f"{c:04x}" for c in cids).encode() + b">", width

    def close(self) -> None:
        self.pdf.close()


def stamp(pdf_bytes: bytes, template_pdf: bytes) -> bytes:
    """Write "Page n of m" at the bottom right of every page."""
    glyphs = _Glyphs(template_pdf)
    try:
        with pikepdf.open(BytesIO(pdf_bytes)) as pdf:
            font = pdf.copy_foreign(glyphs.font)
            total = len(pdf.pages)
            for number, page in enumerate(pdf.pages, start=1):
                shown, width = glyphs.encode(f"Page {number} of {total}")
                x = float(page.MediaBox[2]) - RIGHT - width
                _add_font(page, font)
                # WeasyPrint leaves its flipped coordinate system in place: isolate it.
                page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
                page.contents_add(pikepdf.Stream(pdf, (
                    b"Q\n/Artifact <</Type /Pagination>> BDC\nq 0.13 g BT /TLPageNo "
                    + f"{SIZE:g} Tf 1 0 0 1 {x:.2f} {BASELINE:.2f} Tm ".encode()
                    + shown + b" Tj ET Q\nEMC\n")))
            out = BytesIO()
            pdf.save(out)
            return out.getvalue()
    finally:
        glyphs.close()


def _add_font(page: pikepdf.Page, font) -> None:
    resources = page.obj.get("/Resources")
    if resources is None:
        page.obj.Resources = resources = pikepdf.Dictionary()
    fonts = resources.get("/Font")
    if fonts is None:
        resources.Font = fonts = pikepdf.Dictionary()
    fonts[_FONT_NAME] = font
