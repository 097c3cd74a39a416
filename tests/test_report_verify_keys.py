"""The signing keyring: rotating the key keeps every earlier report genuine, verification
names the key that signed (current or retired, with its fingerprint and dates), and a report
signed by a key this server never had is "untrusted"."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader

from app.services.reports import signing


@pytest.fixture
def demo_key(app, runner):
    assert runner.invoke(args=["keys", "create-demo"]).exit_code == 0
    return Path(app.instance_path) / signing.DEMO_DIR


def _fingerprint(pem: Path) -> str:
    return signing.fingerprint_of(load_cert_from_pemder(str(pem)))


def _report(runner, slug, out: Path) -> bytes:
    made = runner.invoke(args=["report", "disclosure", slug, "-o", str(out),
                               "--prepared-by", "Ada"])
    assert made.exit_code == 0, made.output
    return out.read_bytes()


def _flat(output: str) -> str:
    return " ".join(output.split())


def test_a_report_signed_before_a_rotation_is_still_genuine_and_names_the_retired_key(
        app, runner, data, demo_key, tmp_path):
    out = tmp_path / "report.pdf"
    _report(runner, data["slug"], out)
    old = _fingerprint(demo_key / signing.DEMO_CERT)
    before = runner.invoke(args=["report", "verify", str(out)])
    assert before.exit_code == 0, before.output
    assert (f"certificate SHA-256 {old} — this server's current signing key"
            in _flat(before.output))

    rotated = runner.invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    new = _fingerprint(demo_key / signing.DEMO_CERT)
    assert new != old and "kept in the keyring" in rotated.output
    kept = demo_key / signing.KEYRING_DIR / f"{old[:16]}.pem"
    assert _fingerprint(kept) == old

    after = runner.invoke(args=["report", "verify", str(out)])
    assert after.exit_code == 0, after.output
    assert "Genuine and current" in after.output
    assert "Signature: valid — intact, covers the whole file" in after.output
    flat = _flat(after.output)
    assert f"certificate SHA-256 {old} — a retired signing key of this server (valid " in flat

    listed = runner.invoke(args=["keys", "list"])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].startswith(f"current  {new}") and lines[1].startswith(f"retired  {old}")


def test_create_demo_force_keeps_the_old_certificate(app, runner, data, demo_key, tmp_path):
    out = tmp_path / "report.pdf"
    _report(runner, data["slug"], out)
    old = _fingerprint(demo_key / signing.DEMO_CERT)
    assert runner.invoke(args=["keys", "create-demo", "--force"]).exit_code == 0
    assert old in runner.invoke(args=["keys", "list"]).output
    result = runner.invoke(args=["report", "verify", str(out)])
    assert result.exit_code == 0 and "a retired signing key" in result.output, result.output


def test_the_keyring_folder_setting_and_a_lost_certificate(app, runner, data, demo_key,
                                                           tmp_path):
    out = tmp_path / "report.pdf"
    _report(runner, data["slug"], out)
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    # The retired certificate moved to a folder of the administrator's: still trusted there.
    elsewhere = tmp_path / "keyring"
    shutil.move(str(demo_key / signing.KEYRING_DIR), str(elsewhere))
    app.config["REPORT_SIGNING_KEYRING"] = str(elsewhere)
    assert runner.invoke(args=["report", "verify", str(out)]).exit_code == 0
    # Without it, nothing vouches for the old signature any more (what rotation did before).
    app.config["REPORT_SIGNING_KEYRING"] = None
    lost = runner.invoke(args=["report", "verify", str(out)])
    assert lost.exit_code == 1
    assert "Signature: untrusted" in lost.output and "not a key of this server" in lost.output


def test_a_report_signed_by_an_unknown_key_is_untrusted(app, runner, data, tmp_path):
    unsigned = _report(runner, data["slug"], tmp_path / "unsigned.pdf")
    stranger = signing.create_demo_key(str(tmp_path / "stranger"), common_name="Someone else")
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(signing.sign(unsigned, stranger, reason="not ours"))
    assert runner.invoke(args=["keys", "create-demo"]).exit_code == 0
    result = runner.invoke(args=["report", "verify", str(forged)])
    assert result.exit_code == 1, result.output
    assert "NOT GENUINE" in result.output
    assert "Signature: untrusted — intact, but signed by" in result.output
    assert (f"{_fingerprint(stranger.cert_path)} — not a key of this server"
            in _flat(result.output))
    # Given that certificate explicitly, the file alone checks out against it.
    given = runner.invoke(args=["report", "verify", str(forged), "--offline",
                                "--cert", str(stranger.cert_path)])
    assert given.exit_code == 0, given.output
    assert "the certificate given to check against" in _flat(given.output)


def test_keys_rotate_refuses_without_a_demo_key_and_for_a_configured_key(app, runner,
                                                                         tmp_path):
    nothing = runner.invoke(args=["keys", "rotate"])
    assert nothing.exit_code == 1 and "no demo key to rotate" in nothing.output
    assert "No signing key" in runner.invoke(args=["keys", "list"]).output
    key = signing.create_demo_key(str(tmp_path / "own"))
    app.config.update(REPORT_SIGNING_KEY=str(key.key_path),
                      REPORT_SIGNING_CERT=str(key.cert_path))
    configured = runner.invoke(args=["keys", "rotate"])
    assert configured.exit_code == 1 and "keys retire" in configured.output
    kept = runner.invoke(args=["keys", "retire", str(key.cert_path)])
    assert kept.exit_code == 0, kept.output
    listed = runner.invoke(args=["keys", "list"]).output
    # The same certificate is current (configured) and in the keyring: listed once.
    assert listed.count(_fingerprint(key.cert_path)) == 1
    bad = tmp_path / "notes.pem"
    bad.write_text("not a certificate")
    refused = runner.invoke(args=["keys", "retire", str(bad)])
    assert refused.exit_code == 1 and "is not a certificate" in refused.output


def test_the_signature_names_the_signing_certificate(app, runner, data, demo_key, tmp_path):
    pdf = _report(runner, data["slug"], tmp_path / "report.pdf")
    [embedded] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert signing.fingerprint_of(embedded.signer_cert) == _fingerprint(
        demo_key / signing.DEMO_CERT)


def test_after_a_rotation_a_stored_report_is_signed_anew_not_served(app, runner, data,
                                                                    demo_key, tmp_path):
    """Same data, same preparer: the stored file is served — until the key rotates (the
    demo key keeps its subject, so the row must name the certificate, not just the subject)."""
    first = _report(runner, data["slug"], tmp_path / "first.pdf")
    again = _report(runner, data["slug"], tmp_path / "again.pdf")
    assert again == first
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    after = _report(runner, data["slug"], tmp_path / "after.pdf")
    assert after != first
    signer = PdfFileReader(io.BytesIO(after), strict=False).embedded_signatures[0].signer_cert
    assert signing.fingerprint_of(signer) == _fingerprint(demo_key / signing.DEMO_CERT)
