"""Trusted timestamps: with REPORT_TIMESTAMP_URL the signature carries an RFC 3161 token from
that service, and verification reports its time and whether it validates. The service here
is a real HTTP server on 127.0.0.1, answering with pyHanko's DummyTimeStamper and a throwaway
CA made for the test. Without the setting no request is made at all."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.sign.timestamps import DummyTimeStamper

from app.services.reports import verify


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _throwaway_tsa(folder: Path):
    """A root CA and a timestamping certificate it issued (RSA: the dummy TSA signs only
    with RSA); returns (root PEM path, TSA cert,
    TSA key, root cert) — the last three as asn1crypto objects for pyHanko."""
    now = datetime.now(timezone.utc)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = (x509.CertificateBuilder().subject_name(_name("Test TSA root"))
            .issuer_name(_name("Test TSA root")).public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(root_key, hashes.SHA256()))
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa = (x509.CertificateBuilder().subject_name(_name("Test timestamping authority"))
           .issuer_name(root.subject).public_key(tsa_key.public_key())
           .serial_number(x509.random_serial_number())
           .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
           .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                          critical=True)
           .sign(root_key, hashes.SHA256()))
    pem = folder / "tsa-root.pem"
    pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    der = serialization.Encoding.DER
    key_der = tsa_key.private_bytes(der, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return (pem, asn1_x509.Certificate.load(tsa.public_bytes(der)),
            asn1_keys.PrivateKeyInfo.load(key_der),
            asn1_x509.Certificate.load(root.public_bytes(der)))


@pytest.fixture
def tsa(tmp_path):
    """A timestamping service on a free local port; yields (url, root PEM, requests seen)."""
    root_pem, cert, key, root = _throwaway_tsa(tmp_path)
    stamper = DummyTimeStamper(tsa_cert=cert, tsa_key=key, certs_to_embed=[root])
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.headers.get("Content-Type", ""))
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", root_pem, seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def signed(app, runner):
    assert runner.invoke(args=["keys", "create-demo"]).exit_code == 0


def _make(runner, slug, out: Path):
    made = runner.invoke(args=["report", "disclosure", slug, "-o", str(out),
                               "--prepared-by", "Ada"])
    assert made.exit_code == 0, made.output
    return out


def test_a_configured_service_timestamps_the_signature_and_verify_checks_it(
        app, runner, data, signed, tsa, tmp_path):
    url, root_pem, seen = tsa
    app.config.update(REPORT_TIMESTAMP_URL=url, REPORT_TIMESTAMP_TRUST=str(root_pem))
    before = datetime.now(timezone.utc).replace(microsecond=0)
    out = _make(runner, data["slug"], tmp_path / "report.pdf")
    # pyHanko asks once to size the signature, then for the real token.
    assert seen and set(seen) == {"application/timestamp-query"}
    result = runner.invoke(args=["report", "verify", str(out)])
    assert result.exit_code == 0, result.output
    assert "Timestamp: valid — signed at" in result.output
    assert "vouched for by Common Name: Test timestamping authority" in result.output
    checked = verify.check_file(out.read_bytes(), issuers=[],
                                timestamp_roots=[load_cert_from_pemder(str(root_pem))])
    assert checked.timestamp == "valid"
    assert before - timedelta(seconds=5) <= checked.timestamp_time <= \
        datetime.now(timezone.utc) + timedelta(seconds=5)
    # The same file, but its timestamping authority is not one this server trusts.
    app.config["REPORT_TIMESTAMP_TRUST"] = None
    untrusted = runner.invoke(args=["report", "verify", str(out)])
    assert "Timestamp: untrusted — signed at" in untrusted.output
    assert untrusted.exit_code == 0  # the signature itself still holds


def test_without_a_service_no_request_is_made_and_verify_says_there_is_none(
        app, runner, data, signed, tsa, tmp_path):
    _, _, seen = tsa
    out = _make(runner, data["slug"], tmp_path / "report.pdf")
    assert seen == []
    result = runner.invoke(args=["report", "verify", str(out)])
    assert result.exit_code == 0
    assert "Timestamp: none — the signature carries no timestamp" in result.output


def test_a_service_that_does_not_answer_stops_the_report_with_a_plain_message(
        app, runner, data, signed, tmp_path):
    app.config.update(REPORT_TIMESTAMP_URL="http://127.0.0.1:9/", REPORT_TIMESTAMP_TIMEOUT=2)
    result = runner.invoke(args=["report", "disclosure", data["slug"], "-o",
                                 str(tmp_path / "r.pdf"), "--prepared-by", "Ada"])
    assert result.exit_code == 1
    assert "The timestamping service at http://127.0.0.1:9/ did not answer" in result.output
    assert not (tmp_path / "r.pdf").exists()
