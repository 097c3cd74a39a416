"""The disclosure PDF itself, built from disclosures of the engine's shape (synthetic data):
read back with pdftotext and pikepdf — sections, totals, page numbers, attachments, PDF/A,
hostile text, the locked-down fetcher and the time limit."""
from __future__ import annotations

import csv
import io
import json
import re
import threading
from datetime import datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pikepdf
import pytest

from app.services.reports import context, labels, listing, pdfa, render

from . import synthetic
from .test_reports_support import code_totals_on_page, pages_text, pdf_text

MADE = datetime(2024, 11, 2, 9, 30, tzinfo=timezone.utc)
PLACEMENTS = [{"state": s, "base_city": "City", "arrive_from": "2024-10-20",
               "depart_by": "2024-11-06", "capacity": 20, "confirmed": 12, "pending": 2,
               "offered": 1, "waitlisted": w, "remaining": 5} for s, w in
              (("NC", 0), ("NV", 0), ("PA", 0), ("VA", 3))]
SECTIONS = ["1. Cover", "2. Summary", "3. Volunteer roles",
            "4. Things of value that look like compensation or a prohibited contribution",
            "5. Other things of value", "6. Open questions and reviews", "7. Method",
            "Not legal advice"]


def make_pdf(disclosure: dict, label: str = "Whole deployment") -> tuple[bytes, render.Rendered]:
    ctx = context.build_context(disclosure, placements=PLACEMENTS, chain_head=(7, "c" * 64),
                                scope_label=label, generated_at=MADE)
    rendered = render.render_pdf(ctx, workers=2, time_limit=120)
    pdf = pdfa.finish(rendered.pdf, disclosure=disclosure, made_at=MADE,
                      outline=None if rendered.whole else rendered.starts)
    return pdf, rendered


@pytest.fixture(scope="module")
def tiny():
    """Small enough to be rendered whole, in one WeasyPrint run (and tagged)."""
    disclosure = synthetic.make_disclosure(6, 12, seed=2, nasty=True)
    pdf, rendered = make_pdf(disclosure)
    return disclosure, pdf, rendered


@pytest.fixture(scope="module")
def small():
    disclosure = synthetic.make_disclosure(60, 260, seed=3, nasty=True)
    pdf, rendered = make_pdf(disclosure)
    return disclosure, pdf, rendered


@pytest.fixture(scope="module")
def large():
    """Big enough to be rendered in parallel parts and merged."""
    disclosure = synthetic.make_disclosure(300, 1500, seed=5)
    pdf, rendered = make_pdf(disclosure)
    return disclosure, pdf, rendered


def part(pdf: bytes, short: str) -> str:
    """The text of the pages of one part, found by its running header."""
    return "\n".join(p for p in pages_text(pdf) if short in p and "2. Summary" not in p)


def _money_after(label: str, text: str) -> Decimal:
    match = re.search(re.escape(label) + r"\s+\$([\d,]+\.\d\d)", text)
    assert match, f"no amount after {label!r}"
    return Decimal(match.group(1).replace(",", ""))


@pytest.mark.parametrize("which", ["tiny", "small", pytest.param("large", marks=pytest.mark.slow)])
def test_every_section_is_present_in_order(which, request):
    _, pdf, rendered = request.getfixturevalue(which)
    text = pdf_text(pdf)
    positions = []
    for title in SECTIONS[1:]:
        assert title in text, f"{title!r} missing from the {which} report"
        positions.append(text.index(title))
    assert positions[:-1] == sorted(positions[:-1])
    assert "TRIPLEDGER · DISCLOSURE REPORT" in text
    assert rendered.whole is (which == "tiny")


def test_cover_names_scope_as_of_rule_set_fingerprint_and_chain_head(small):
    disclosure, pdf, _ = small
    cover = pdf_text(pdf, first=1, last=1)
    for fact in ("Whole deployment", "1 Nov 2024 12:00 UTC", "2024.10-synthetic",
                 disclosure["fingerprint"], "event 7", "c" * 64,
                 "Synthetic deployment (benchmark)", "Example for America", "G2024"):
        assert fact in cover, fact


@pytest.mark.parametrize("which", ["tiny", "small", pytest.param("large", marks=pytest.mark.slow)])
def test_totals_in_the_pdf_equal_the_disclosure_json(which, request):
    disclosure, pdf, _ = request.getfixturevalue(which)
    summary = pdf_text(pdf, first=2, last=4, layout=True)
    on_page = code_totals_on_page(summary)
    for code, amount in disclosure["totals_by_code"].items():
        assert on_page[code] == Decimal(amount), code
    for kind, amount in disclosure["totals_by_payer_kind"].items():
        label = labels.title(labels.payer_kind(kind))
        assert _money_after(label, summary) == Decimal(amount), kind
    total = sum(Decimal(i["amount_usd"]) for i in disclosure["items"])
    assert f"${total:,.2f}" in summary


@pytest.mark.parametrize("which", ["tiny", "small", pytest.param("large", marks=pytest.mark.slow)])
def test_pages_are_numbered_n_of_m_with_running_headers(which, request):
    _, pdf, rendered = request.getfixturevalue(which)
    pages = pages_text(pdf)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) == len(pages) == rendered.pages
    for n, page in enumerate(pages, start=1):
        assert f"Page {n} of {len(pages)}" in page, f"page {n}"
        if n > 1:
            assert "TripLedger · Synthetic deployment (benchmark) · Whole deployment" in page
    for short in ("3. Volunteer roles", "4. Compensation or prohibited contribution",
                  "5. Other things of value", "6. Open questions", "7. Method"):
        assert any(short in p for p in pages[2:]), short


def _pagination_artifacts(page) -> list[list[str]]:
    """The drawing operators inside each /Artifact <</Type /Pagination>> of a page."""
    found, stack = [], []
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op in ("BDC", "BMC"):
            pagination = (op == "BDC" and operands[0] == pikepdf.Name.Artifact
                          and isinstance(operands[1], pikepdf.Dictionary)
                          and operands[1].get("/Type") == pikepdf.Name.Pagination)
            stack.append(pagination)
            if pagination:
                found.append([])
        elif op == "EMC":
            stack.pop()
        elif any(stack) and op in ("Tj", "TJ", "'", '"', "Do"):
            found[-1].append(op)
    return found


@pytest.mark.parametrize("which", ["tiny", pytest.param("large", marks=pytest.mark.slow)])
def test_page_numbers_are_drawn_as_pagination_artifacts(which, request):
    _, pdf, _ = request.getfixturevalue(which)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for n, page in enumerate(doc.pages, start=1):
            artifacts = _pagination_artifacts(page)
            assert len(artifacts) == 1 and artifacts[0], f"page {n}: {artifacts}"


@pytest.mark.slow
def test_merged_report_has_an_outline_to_every_section(large):
    _, pdf, rendered = large
    assert rendered.parts > 3
    with pikepdf.open(io.BytesIO(pdf)) as doc, doc.open_outline() as outline:
        titles = [item.title for item in outline.root]
    assert titles[:3] == ["Cover", "2. Summary", "3. Volunteer roles"]
    assert titles[-1] == "7. Method"


@pytest.mark.slow
def test_every_line_is_itemised_once_in_part_4_or_5(large):
    disclosure, pdf, _ = large
    listed = re.findall(r"^\s*#(\d+) \d{4}-\d\d-\d\d ", part(pdf, "4. Compensation or prohibited")
                        + "\n" + part(pdf, "5. Other things of value"), flags=re.M)
    assert sorted(map(int, listed)) == sorted(i["cost_id"] for i in disclosure["items"])


def test_lines_that_look_like_compensation_are_itemised_with_rule_and_citation(small):
    disclosure, pdf, _ = small
    part4 = part(pdf, "4. Compensation or prohibited contribution")
    flagged = [i for i in disclosure["items"]
               if {"PROHIBITED_FOREIGN_INKIND", "PROHIBITED_SOURCE", "COMPENSATION"}
               & set(i["codes"])]
    assert flagged
    for item in flagged:
        assert f"#{item['cost_id']} " in part4
    part4 = " ".join(part4.split())
    r10 = next(r for r in disclosure["rule_set"]["rules"] if r["id"] == "R10")
    assert "R10: Potential prohibited foreign in-kind [PROHIBITED_FOREIGN_INKIND]" in part4
    assert f"When: {r10['when'][:40]}" in part4
    assert "Citation: 52 U.S.C. 30121(a)(1)(A)" in part4
    # Rule texts that end in a full stop are not given a second one.
    assert ".. " not in part4 and not part4.rstrip().endswith("..")


@pytest.mark.slow
def test_volunteer_roles_show_no_money(large):
    _, pdf, _ = large
    roles = part(pdf, "3. Volunteer roles")
    assert "canvasser" in roles and "sign-up(s)" in roles
    # Leave out the page furniture (the footer names the rule-set version, 2024.10-…).
    roles = "\n".join(line for line in roles.splitlines() if not line.startswith("Fingerprint"))
    assert "$" not in roles
    assert not re.search(r"\d+\.\d\d\b", roles), "an amount in the roles part"


def test_open_questions_show_each_review_and_its_reason(small):
    disclosure, pdf, _ = small
    text = " ".join(pdf_text(pdf).split())
    reviews = [f["review"] for i in disclosure["items"] for f in i["findings"] if f["review"]]
    assert reviews
    for review in reviews:
        assert f"{labels.review_action(review['action'])} by auditor@example.org, 30 Oct 2024" \
            in text
        assert review["reason"] in text
    assert "not reviewed yet" in text


def test_method_lists_every_rule_with_its_citation_and_the_notice(small):
    disclosure, pdf, _ = small
    method = " ".join(part(pdf, "7. Method").split())
    # A long citation may wrap inside "30101(8)(A)" or at a hyphen (which pdftotext then
    # drops): compare without line breaks and hyphens.
    unbroken = re.sub(r"[\s-]", "", method)
    for rule in disclosure["rule_set"]["rules"]:
        assert re.sub(r"[\s-]", "", rule["citation"]) in unbroken, rule["id"]
    assert "It is not legal advice." in method
    assert "State law in NC, NV, PA and VA is not covered." in method


def test_attachments_are_present_and_parse(small):
    disclosure, pdf, _ = small
    files = pdfa.attachments(pdf)
    assert set(files) == {"disclosure-ledger.csv", "disclosure-parts.csv", "disclosure.json"}
    assert json.loads(files["disclosure.json"]) == disclosure
    rows = list(csv.DictReader(io.StringIO(files["disclosure-ledger.csv"].decode("utf-8"))))
    assert [int(r["cost_id"]) for r in rows] == [i["cost_id"] for i in disclosure["items"]]
    assert sum(Decimal(r["amount_usd"]) for r in rows) == sum(
        Decimal(i["amount_usd"]) for i in disclosure["items"])
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        associated = [spec.F for spec in doc.Root.AF]
        assert sorted(str(name) for name in associated) == sorted(files)
        for spec in doc.Root.AF:
            assert spec.AFRelationship == pikepdf.Name.Data
            assert str(spec.EF.F.Subtype) in ("/text/csv", "/application/json")


@pytest.mark.parametrize("which", ["tiny", "small", pytest.param("large", marks=pytest.mark.slow)])
def test_pdfa_3b_identification_and_metadata(which, request):
    _, pdf, _ = request.getfixturevalue(which)
    assert pdfa.pdfa_identification(pdf) == ("3", "B")
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        meta = doc.open_metadata()
        assert meta["dc:title"].startswith("Disclosure report — Synthetic deployment")
        assert doc.docinfo["/Author"] == "TripLedger"
        assert str(doc.docinfo["/TripLedgerFingerprint"]) == request.getfixturevalue(
            which)[0]["fingerprint"]
        assert str(doc.docinfo["/TripLedgerScope"]) == "deployment"
        assert doc.Root.OutputIntents[0].S == pikepdf.Name("/GTS_PDFA1")


def test_small_report_is_tagged_for_accessibility(tiny):
    _, pdf, _ = tiny
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert doc.Root.MarkInfo.Marked is True
        assert "/StructTreeRoot" in doc.Root


def test_names_with_html_emoji_and_right_to_left_text_are_rendered_not_interpreted(small):
    disclosure, pdf, _ = small
    text = pdf_text(pdf)
    assert "<script>alert('x')</script> O'Brien & Sons" in text
    assert "Zoë 🎉 Party-goer" in text
    assert "דנה כהן" in text or "ןהכ הנד" in text
    assert "مريم" in text or "ميرم" in text
    # The right-to-left override in a name was dropped, not obeyed.
    assert "\u202e" not in text and "Ünïcødé evil" in text
    ctx = context.build_context(disclosure, placements=[], chain_head=(0, "0" * 64),
                                scope_label="Whole", generated_at=MADE)
    html = render.render_html(ctx)
    assert "<script>" not in html and "&lt;script&gt;alert(" in html


def test_a_deployment_with_no_data_is_a_valid_short_report():
    empty = synthetic.make_disclosure(0, 0)
    pdf, rendered = make_pdf(empty)
    text = pdf_text(pdf)
    assert rendered.pages <= 8
    for title in SECTIONS[2:]:
        assert title in text
    for note in ("No sign-ups in this scope.", "No other things of value in this scope.",
                 "No open questions in this scope.", "No cost lines in this scope.",
                 "0 cost line(s), $0.00 in total"):
        assert note in text, note
    assert json.loads(pdfa.attachments(pdf)["disclosure.json"]) == empty


def test_sheets_never_overflow_and_entries_never_split():
    disclosure = synthetic.make_disclosure(200, 900, seed=9, nasty=True)
    ctx = context.build_context(disclosure, placements=[], chain_head=(0, "0" * 64),
                                scope_label="Whole", generated_at=MADE)
    for section in ctx["sections"]:
        for sheet in section["sheets"]:
            assert listing.units(sheet) <= listing.SHEET_UNITS
            for block in sheet["blocks"]:
                if block["kind"] == "pre":
                    assert all(len(line) <= listing.WIDTH for line in block["text"].split("\n"))
                    # An entry's second line never starts a sheet's listing.
                    assert not block["text"].startswith(listing.INDENT + "Volunteer")


def test_css_strings_cannot_break_out_of_the_stylesheet():
    value = render.css_string('Evil"; } body { display: none } </style><script>x</script>')
    assert value.startswith('"') and value.endswith('"')
    inner = str(value)[1:-1]
    assert '"' not in inner and "<" not in inner and "}" not in inner and ";" not in inner


class _CountingHandler(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


def _server():
    for port in range(5310, 5330):
        try:
            return HTTPServer(("127.0.0.1", port), _CountingHandler)
        except OSError:
            continue
    pytest.skip("no free port in 5310-5329")


def test_the_url_fetcher_refuses_local_files_and_the_network(tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    server = _server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/pixel.png"
        html = (f'<link rel="stylesheet" href="file://{secret}"><img src="{url}">'
                f'<img src="file:///etc/passwd"><img src="data:image/png;base64,AAAA"><p>Hi</p>')
        pdf, pages, refused = render.render_part(html, {})
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert pdf.startswith(b"%PDF") and pages == 1
    assert _CountingHandler.hits == 0
    assert sorted(refused) == sorted([f"file://{secret}", url, "file:///etc/passwd",
                                      "data:image/png;base64,AAAA"])
    fetcher = render.locked_fetcher()
    with pytest.raises(ValueError, match="reports load nothing"):
        fetcher("file:///etc/passwd")


@pytest.mark.slow
def test_rendering_stops_at_the_time_limit():
    heavy = "<table>" + "<tr><td>x</td><td>y</td></tr>" * 40000 + "</table>"
    parts = [render._Part("heavy", heavy, {})]
    with pytest.raises(render.RenderTimeout):
        render._run(parts, 1, 0, 1, lambda done, total: None)


def test_a_paid_role_reads_as_paid_work_and_a_repaid_line_counts_once(app_ctx):
    from app.extensions import db
    from app.models import CostCategory, PayerKind
    from app.services.compliance.disclosure import build_disclosure

    from .builders import (make_cost, make_election_deployment, make_payer_of_kind,
                           make_signup, make_volunteer)
    dep = make_election_deployment(slug="paid-roles")
    paid, free = make_volunteer(email="paid@example.org"), make_volunteer(email="free@example.org")
    make_signup(dep, paid, "NC")
    make_signup(dep, free, "PA")
    party = make_payer_of_kind(dep, PayerKind.FOREIGN_PARTY, name="Party", country="GB")
    campaign = make_payer_of_kind(dep, PayerKind.CAMPAIGN, name="Campaign", country="US")
    stipend = make_cost(dep, paid, CostCategory.STIPEND, "500.00", party)
    own = make_cost(dep, free, CostCategory.TRAVEL, "300.00")
    repays = make_cost(dep, free, CostCategory.TRAVEL, "300.00", campaign, reimburses_id=own.id)
    db.session.commit()
    pdf, _ = make_pdf(build_disclosure(db.session, dep))
    roles = " ".join(part(pdf, "3. Volunteer roles").split())
    paid_role = roles[roles.index("<paid@example.org>"):]
    paid_role = paid_role[:paid_role.index("<free@example.org>")] \
        if "<free@example.org>" in paid_role else paid_role
    assert "Looks like compensation [COMPENSATION] · R2c" in paid_role
    assert "[VOL_OK]" not in paid_role
    assert f"Paid on line(s) #{stipend.id}." in paid_role
    assert "volunteer services" not in roles
    text = " ".join(pdf_text(pdf).split())
    assert f"repays line #{own.id}" in text and "$300.00 repaid by another line" in text
    # $500 + a $300 flight the campaign repaid, counted once: $800, not $1,100.
    assert "3 $800.00 volunteers sign-ups cost lines in total (USD)" in text
    assert "The volunteer $0.00 The campaign $300.00 Foreign party $500.00" in text
    assert "$1,100.00" not in text and f"#{repays.id}" in text
