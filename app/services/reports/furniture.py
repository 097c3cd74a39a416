""""Page n of m" on every page, laid over the merged report once m is known.

Why afterwards: the parts of a big report are rendered in parallel, each without knowing how
many pages come before it or in all. So every part is rendered once, and the numbers come
last: WeasyPrint renders a document of m blank pages, each with its "Page n of m" where the
report's bottom-right margin is (in parallel chunks, in the same worker pool), and pikepdf
lays its pages over the report's, each as a Form XObject drawn inside a pagination artifact
(``/Artifact <</Type /Pagination>>``), so a tagged PDF keeps the numbers out of its reading
order. The overlay embeds its own subset of DejaVu Sans (PDF/A needs embedded fonts).
"""
from __future__ import annotations

from io import BytesIO

import pikepdf

#: Lay out as the report's @page (A4, 14 mm right margin); the baseline sits 12.8 mm above
#: the page's bottom edge, level with the footer WeasyPrint draws at the bottom left.
_CSS = ("@page { size: A4; margin: 0 } html, body { margin: 0 } "
        ".n { height: 297mm; position: relative } .n + .n { break-before: page } "
        ".n span { position: absolute; right: 14mm; bottom: 12.42mm; white-space: nowrap; "
        "font: 7pt/1 'DejaVu Sans', sans-serif; color: #212121 }")


def numbers_html(first: int, last: int, total: int) -> str:
    """Pages ``first``..``last`` of the overlay: blank but for "Page n of total"."""
    pages = "".join(f'<div class="n"><span>Page {n} of {total}</span></div>'
                    for n in range(first, last + 1))
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><style>{_CSS}"
            f"</style></head><body>{pages}</body></html>")


def stamp(pdf_bytes: bytes, overlays: list[bytes]) -> bytes:
    """Lay the pages of ``overlays`` (in order, one page per report page) over the report."""
    sources = [pikepdf.open(BytesIO(data)) for data in overlays]
    try:
        numbers = [page for source in sources for page in source.pages]
        with pikepdf.open(BytesIO(pdf_bytes)) as pdf:
            if len(numbers) != len(pdf.pages):
                raise ValueError(f"{len(numbers)} page numbers for {len(pdf.pages)} pages")
            for page, number in zip(pdf.pages, numbers):
                name = page.add_resource(number.as_form_xobject(), pikepdf.Name.XObject,
                                         prefix="TLPageNo")
                # WeasyPrint leaves its flipped coordinate system in place: isolate it.
                page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
                page.contents_add(pikepdf.Stream(pdf, (
                    b"Q\n/Artifact <</Type /Pagination>> BDC\nq " + name.unparse()
                    + b" Do Q\nEMC\n")))
            out = BytesIO()
            pdf.save(out)
            return out.getvalue()
    finally:
        for source in sources:
            source.close()
