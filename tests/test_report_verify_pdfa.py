"""A signed report is still PDF/A-3b: the signature's incremental update keeps the document
information and the XMP metadata in agreement (Producer, Title, Creator, dates), keeps the
PDF/A identification, and the signature still covers the whole file — for a report rendered
whole and for one merged from parallel parts."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pikepdf
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from app.services.reports import context, pdfa, render, signing

from . import synthetic

MADE = datetime(2024, 11, 2, 9, 30, tzinfo=timezone.utc)


def _pdf_date(value: str) -> datetime:
    """A PDF date (D:YYYYMMDDHHmmSS with Z or +HH'mm') as an aware datetime."""
    text = value[2:] if value.startswith("D:") else value
    moment = datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    zone = text[14:].replace("'", "")
    if zone in ("", "Z"):
        return moment.replace(tzinfo=timezone.utc)
    return datetime.strptime(text[:14] + zone[:5], "%Y%m%d%H%M%S%z")


def _signed(disclosure: dict, instance) -> tuple[bytes, bytes, render.Rendered]:
    ctx = context.build_context(disclosure, placements=[], chain_head=(1, "c" * 64),
                                scope_label="Whole deployment", generated_at=MADE)
    rendered = render.render_pdf(ctx, workers=2, time_limit=120)
    pdf = pdfa.finish(rendered.pdf, disclosure=disclosure, made_at=MADE,
                      outline=None if rendered.whole else rendered.starts)
    key = signing.create_demo_key(str(instance))
    return pdf, signing.sign(pdf, key, reason="test", location="synthetic"), rendered


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    unsigned, signed, rendered = _signed(synthetic.make_disclosure(6, 12, seed=2),
                                         tmp_path_factory.mktemp("whole"))
    assert rendered.whole
    return unsigned, signed


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    """More sheets than WHOLE_MAX_SHEETS (lowered here): rendered in parts and merged."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "WHOLE_MAX_SHEETS", 2)
        unsigned, signed, rendered = _signed(synthetic.make_disclosure(40, 160, seed=4),
                                             tmp_path_factory.mktemp("merged"))
    assert not rendered.whole
    return unsigned, signed


PAIRS = [("/Producer", "pdf:Producer"), ("/Title", "dc:title"),
         ("/Creator", "xmp:CreatorTool"), ("/Subject", "dc:description"),
         ("/Keywords", "pdf:Keywords")]
DATES = [("/CreationDate", "xmp:CreateDate"), ("/ModDate", "xmp:ModifyDate")]


def _disagreements(pdf: bytes) -> list[str]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        meta = doc.open_metadata()
        info = doc.docinfo
        wrong = [f"{key}={info.get(key)!s} but {prop}={meta.get(prop)}" for key, prop in PAIRS
                 if key in info and str(info[key]) != str(meta.get(prop))]
        wrong += [f"{key}={info[key]!s} but {prop}={meta.get(prop)}" for key, prop in DATES
                  if key in info and (meta.get(prop) is None or _pdf_date(str(info[key]))
                                      != datetime.fromisoformat(meta[prop]))]
        if "/Author" in info and [str(info["/Author"])] != list(meta.get("dc:creator") or []):
            wrong.append(f"/Author={info['/Author']!s} but dc:creator={meta.get('dc:creator')}")
        return wrong


@pytest.mark.parametrize("which", ["whole", pytest.param("merged", marks=pytest.mark.slow)])
def test_signed_report_metadata_agrees_with_its_xmp(which, request):
    unsigned, signed = request.getfixturevalue(which)
    assert _disagreements(unsigned) == []  # as rendered
    assert _disagreements(signed) == []
    assert pdfa.pdfa_identification(signed) == ("3", "B")
    with pikepdf.open(io.BytesIO(signed)) as doc:
        assert str(doc.docinfo["/Producer"]) == doc.open_metadata()["pdf:Producer"]
        assert str(doc.docinfo["/TripLedgerFingerprint"])  # our own keys survive
        assert doc.Root.OutputIntents[0].S == pikepdf.Name("/GTS_PDFA1")
        assert len(doc.Root.AF) == 3  # ledger, parts, disclosure


@pytest.mark.parametrize("which", ["whole", pytest.param("merged", marks=pytest.mark.slow)])
def test_the_signature_still_covers_the_whole_file(which, request):
    unsigned, signed = request.getfixturevalue(which)
    assert signed.startswith(unsigned)  # an incremental update: the rendered bytes as they were
    [embedded] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    trust = ValidationContext(trust_roots=[embedded.signer_cert])
    status = validate_pdf_signature(embedded, trust)
    assert status.intact and status.valid and status.coverage.name == "ENTIRE_FILE"
