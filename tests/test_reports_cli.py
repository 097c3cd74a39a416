"""The command line (``report disclosure``, ``report verify``, ``keys create-demo``) and the
PAdES signature: made with the demo key, validated by pyHanko, broken by tampering."""
from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from app.extensions import db
from app.models import Cost, Report
from app.services.reports import pdfa, signing

from .test_reports_support import digest, pdf_text  # noqa: F401


@pytest.fixture
def demo_key(app, runner):
    result = runner.invoke(args=["keys", "create-demo"])
    assert result.exit_code == 0, result.output
    assert "Reports will be signed by" in result.output
    return Path(app.instance_path) / "signing"


def _make(slug: str, out) -> list[str]:
    """``report disclosure`` of ``slug`` into ``out``, prepared by a named auditor."""
    return ["report", "disclosure", slug, "-o", str(out), "--prepared-by", "Ada Auditor"]


def _reports(app):
    with app.app_context():
        return db.session.scalars(db.select(Report).order_by(Report.id)).all()


def test_keys_create_demo_writes_a_private_key_and_refuses_to_overwrite_it(app, runner,
                                                                          demo_key):
    key = demo_key / signing.DEMO_KEY
    assert key.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()
    again = runner.invoke(args=["keys", "create-demo"])
    assert again.exit_code == 1 and "A demo key exists already" in again.output
    forced = runner.invoke(args=["keys", "create-demo", "--force"])
    assert forced.exit_code == 0


def test_report_disclosure_writes_a_signed_pdf_a_and_records_it(app, runner, data, demo_key,
                                                              tmp_path):
    out = tmp_path / "report.pdf"
    result = runner.invoke(args=[*_make(data["slug"], out)])
    assert result.exit_code == 0, result.output
    assert "signed" in result.output and "not signed" not in result.output
    pdf = out.read_bytes()
    [report] = _reports(app)
    assert report.sha256 == digest(pdf) and report.requested_by_id is None
    assert "TripLedger demo report signing" in report.signer
    assert pdfa.pdfa_identification(pdf) == ("3", "B")
    assert set(pdfa.attachments(pdf)) == {"disclosure-ledger.csv", "disclosure-parts.csv",
                                          "disclosure.json"}
    assert "digitally signed by" in pdf_text(pdf, first=1, last=1)
    certificate = load_cert_from_pemder(str(demo_key / signing.DEMO_CERT))
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[certificate]))
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_report_verify_genuine_changed_and_tampered(app, runner, data, demo_key, tmp_path):
    out = tmp_path / "report.pdf"
    assert runner.invoke(args=[*_make(data["slug"], out)]
                         ).exit_code == 0
    genuine = runner.invoke(args=["report", "verify", str(out)])
    assert genuine.exit_code == 0, genuine.output
    assert "Genuine and current" in genuine.output
    assert "Signature: valid — intact, covers the whole file" in genuine.output

    pdf = bytearray(out.read_bytes())
    at = pdf.index(b"/Producer")
    pdf[at + 1:at + 9] = b"Producex"  # one changed byte inside the signed range
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(pdf))
    result = runner.invoke(args=["report", "verify", str(tampered)])
    assert result.exit_code == 1
    assert "NOT GENUINE" in result.output and "Issued by this server: no" in result.output
    assert "Signature: invalid — the signed content was changed after signing" in result.output

    with app.app_context():
        cost = db.session.get(Cost, data["bo_cost"])
        cost.description = "Campaign hotel (corrected)"
        db.session.commit()
    changed = runner.invoke(args=["report", "verify", str(out)])
    assert changed.exit_code == 2
    assert "data has changed since it was made" in changed.output
    assert "Data since: changed — data changed since" in changed.output


def test_content_added_after_signing_is_caught(runner, data, demo_key, tmp_path):
    out = tmp_path / "report.pdf"
    assert runner.invoke(args=[*_make(data["slug"], out)]
                         ).exit_code == 0
    with pikepdf.open(out) as doc:
        doc.pages[0].contents_add(pikepdf.Stream(doc, b"BT /F1 12 Tf 72 72 Td (FORGED) Tj ET"))
        appended = tmp_path / "appended.pdf"
        doc.save(appended)
    result = runner.invoke(args=["report", "verify", str(appended)])
    assert result.exit_code == 1
    assert "Signature: invalid" in result.output


def test_report_verify_refuses_a_file_that_is_not_a_pdf(runner, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a report")
    result = runner.invoke(args=["report", "verify", str(notes)])
    assert result.exit_code == 1 and "This file is not a PDF" in result.output


def test_an_unsigned_report_is_genuine_without_a_signature(runner, data, tmp_path):
    out = tmp_path / "report.pdf"
    made = runner.invoke(args=[*_make(data["slug"], out)])
    assert made.exit_code == 0 and "not signed" in made.output
    result = runner.invoke(args=["report", "verify", str(out)])
    assert result.exit_code == 0
    assert "Signature: unsigned — the file carries no digital signature." in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["report", "disclosure", "trip", "-o", "x.pdf"], "Missing option '--prepared-by'"),
    (["report", "disclosure", "trip", "-o", "x.pdf", "--prepared-by", "   "],
     "say who prepares the report"),
])
def test_report_disclosure_needs_a_preparer(app, runner, data, args, message, tmp_path,
                                            monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(args=args)
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "x.pdf").exists()
    assert _reports(app) == []


@pytest.mark.parametrize(("args", "message"), [
    (["report", "disclosure", "nowhere", "-o", "x.pdf", "--prepared-by", "Ada Auditor"],
     "No deployment called 'nowhere'"),
    (["report", "disclosure", "trip", "-o", "x.pdf", "--prepared-by", "Ada Auditor", "--state",
      "ZZ"], "not a US state code"),
    (["report", "disclosure", "trip", "-o", "x.pdf", "--prepared-by", "Ada Auditor", "--state",
      "NC", "--payer", "Self"], "Choose one scope"),
])
def test_report_disclosure_refuses_bad_input_and_writes_nothing(app, runner, data, args,
                                                                message, tmp_path,
                                                                monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(args=args)
    assert result.exit_code == 1 and message in result.output
    assert not (tmp_path / "x.pdf").exists()
    assert _reports(app) == []


def test_report_disclosure_for_one_volunteer(app, runner, data, tmp_path):
    out = tmp_path / "bo.pdf"
    result = runner.invoke(args=[*_make(data["slug"], out),
                                 "--volunteer", "bo@example.org"])
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    assert "VOLUNTEER STATEMENT" in text and "bo@example.org" in text
    assert "ana@example.org" not in text


def test_a_report_made_under_2024_1_verifies_under_its_rules_and_says_when_they_changed(
        app, runner, data, demo_key, tmp_path):
    assert runner.invoke(args=["compliance", "activate", "2024.1"]).exit_code == 0
    out = tmp_path / "report.pdf"
    assert runner.invoke(args=[*_make(data["slug"], out)]
                         ).exit_code == 0
    assert _reports(app)[0].rule_set_version == "2024.1"
    assert runner.invoke(args=["compliance", "activate", "2024.2"]).exit_code == 0
    moved = runner.invoke(args=["report", "verify", str(out)])
    assert moved.exit_code == 2, moved.output
    assert "Signature: valid" in moved.output
    assert ("The report was made under rule set 2024.1; rule set 2024.2 is in force now"
            in " ".join(moved.output.split()))
    # Put 2024.1 back in force: the same data under the same rules gives the same fingerprint.
    assert runner.invoke(args=["compliance", "activate", "2024.1"]).exit_code == 0
    again = runner.invoke(args=["report", "verify", str(out)])
    assert again.exit_code == 0 and "Genuine and current" in again.output, again.output


@pytest.mark.slow
def test_the_real_command_records_the_report_and_ends_cleanly(app, data, database_url,
                                                             tmp_path):
    """``flask --app wsgi report disclosure`` in its own process, as an auditor runs it: it
    ends without the interpreter's teardown (exit_now), so everything must already be done
    — the file written, the report recorded and committed, the connection closed."""
    import os
    import subprocess
    import sys
    out = tmp_path / "cold.pdf"
    env = {**os.environ, "DATABASE_URL": database_url, "TRIPLEDGER_ENV": "development",
           "TRIPLEDGER_INSTANCE_PATH": str(tmp_path / "cli-instance")}
    flask = str(Path(sys.executable).with_name("flask"))
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([flask, "--app", "wsgi", "report", "disclosure", data["slug"], "-o",
                           str(out), "--prepared-by", "Cold Start <cold@example.org>"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Wrote " in done.stdout and out.is_file()
    cover = " ".join(pdf_text(out.read_bytes(), first=1, last=1).split())
    assert "Prepared by Cold Start <cold@example.org>" in cover
    with app.app_context():
        recorded = db.session.scalars(db.select(Report)).one()
        assert recorded.prepared_by == "Cold Start <cold@example.org>"
        assert recorded.sha256 == digest(out.read_bytes())
    again = subprocess.run([flask, "--app", "wsgi", "report", "verify", str(out)], cwd=root,
                           env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
