"""``report verify FILE --offline`` and ``verify.check_file``: the file alone — signature
(against the keyring or ``--cert``), timestamp and embedded data — with no database at all,
saying plainly what could not be checked without one."""
from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from app import create_app
from app.services.reports import signing, verify

from .conftest import _config


@pytest.fixture
def report(app, runner, data, tmp_path):
    assert runner.invoke(args=["keys", "create-demo"]).exit_code == 0
    out = tmp_path / "report.pdf"
    made = runner.invoke(args=["report", "disclosure", data["slug"], "-o", str(out),
                                 "--prepared-by", "Ada Auditor"])
    assert made.exit_code == 0, made.output
    return out


def _no_database_app(instance: str):
    """The same instance folder (keys, keyring), but a database that cannot be opened."""
    return create_app(_config("sqlite:////nonexistent/folder/tripledger.sqlite3"),
                      instance_path=instance)


def test_offline_checks_the_file_without_any_database(app, report):
    cut_off = _no_database_app(app.instance_path)
    result = cut_off.test_cli_runner().invoke(args=["report", "verify", str(report),
                                                    "--offline"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("The signature holds and the embedded data is intact (checked from the "
                        "file alone).")
    assert "Issued by this server: not checked — this needs this server's database." in lines
    assert "Data since: not checked — this needs this server's database." in lines
    assert any(line.startswith("Signature: valid — intact, covers the whole file")
               for line in lines)
    assert any(line.startswith("Embedded data: intact") for line in lines)
    assert verify.OFFLINE_LIMITS in lines
    # Without --offline the same app needs its database, and says so by failing.
    online = cut_off.test_cli_runner().invoke(args=["report", "verify", str(report)])
    assert online.exit_code != 0


def test_check_file_needs_no_app_and_no_session(app, report):
    """Called with no application context at all: any database access would raise."""
    [current] = [i for i in signing.issuers(app.config, app.instance_path) if i.current]
    result = verify.check_file(report.read_bytes(), issuers=[current])
    assert result.offline and result.holds and result.signer_key == "current"
    assert result.issued is False and result.data == "unknown"


def test_offline_against_a_given_certificate(app, runner, report, tmp_path):
    own = Path(app.instance_path) / signing.DEMO_DIR / signing.DEMO_CERT
    ok = runner.invoke(args=["report", "verify", str(report), "--offline", "--cert", str(own)])
    assert ok.exit_code == 0 and "the certificate given to check against" in ok.output
    other = signing.create_demo_key(str(tmp_path / "other"), common_name="Another issuer")
    wrong = runner.invoke(args=["report", "verify", str(report), "--offline",
                                "--cert", str(other.cert_path)])
    assert wrong.exit_code == 1
    assert "Signature: untrusted" in wrong.output and "not a key of this server" in wrong.output


def test_offline_exit_codes_tampered_and_unsigned(app, runner, data, report, tmp_path):
    pdf = bytearray(report.read_bytes())
    at = pdf.index(b"/Producer")
    pdf[at + 1:at + 9] = b"Producex"
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(pdf))
    broken = runner.invoke(args=["report", "verify", str(tampered), "--offline"])
    assert broken.exit_code == 1 and broken.output.startswith("NOT GENUINE")
    assert "Signature: invalid — the signed content was changed after signing" in broken.output

    # An unsigned copy: nothing wrong in it, but nothing proves where it came from.
    with pikepdf.open(report) as doc:
        del doc.Root.AcroForm
        for page in doc.pages:
            if "/Annots" in page:
                del page.Annots
        unsigned = tmp_path / "unsigned.pdf"
        doc.save(unsigned)
    plain = runner.invoke(args=["report", "verify", str(unsigned), "--offline"])
    assert plain.exit_code == 2, plain.output
    assert plain.output.startswith("Unproven: the file is not signed")
    assert "Embedded data: intact" in plain.output


def test_offline_refuses_a_file_that_is_not_a_pdf(runner, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a report")
    result = runner.invoke(args=["report", "verify", str(notes), "--offline"])
    assert result.exit_code == 1 and "This file is not a PDF" in result.output


def test_the_help_documents_the_exit_codes(runner):
    text = runner.invoke(args=["report", "verify", "--help"]).output
    assert "--offline" in text and "--cert" in text
    assert "Exit 2: nothing wrong found, but nothing proven: the file is not signed." in text
