"""PAdES signatures on disclosure PDFs (pyHanko), and a self-signed key for the demo.

A report is signed when a key and certificate are configured: ``REPORT_SIGNING_KEY`` and
``REPORT_SIGNING_CERT`` (PEM files), or the pair ``keys create-demo`` writes to
``instance/signing/``. The signature is an incremental update, so the PDF/A-3b file inside
stays byte for byte as rendered.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

DEMO_DIR = "signing"
DEMO_KEY = "report-signing-key.pem"
DEMO_CERT = "report-signing-cert.pem"
FIELD = "TripLedgerSignature"


@dataclass(frozen=True)
class SigningKey:
    key_path: Path
    cert_path: Path
    passphrase: bytes | None = None

    @property
    def subject(self) -> str:
        """The certificate's subject, as a person reads it."""
        from pyhanko.keys import load_cert_from_pemder
        return load_cert_from_pemder(str(self.cert_path)).subject.human_friendly


def configured_key(config, instance_path: str) -> SigningKey | None:
    """The configured signing key, else the demo key if it exists, else None (unsigned)."""
    key = config.get("REPORT_SIGNING_KEY")
    cert = config.get("REPORT_SIGNING_CERT")
    if not (key and cert):
        key = Path(instance_path) / DEMO_DIR / DEMO_KEY
        cert = Path(instance_path) / DEMO_DIR / DEMO_CERT
        if not (key.exists() and cert.exists()):
            return None
    passphrase = config.get("REPORT_SIGNING_KEY_PASSPHRASE")
    return SigningKey(Path(key), Path(cert), passphrase.encode() if passphrase else None)


def trusted_certificates(config, instance_path: str) -> list:
    """Certificates whose signatures this server vouches for: its own signing certificate."""
    from pyhanko.keys import load_cert_from_pemder
    key = configured_key(config, instance_path)
    return [load_cert_from_pemder(str(key.cert_path))] if key else []


def sign(pdf: bytes, key: SigningKey, *, reason: str, location: str = "") -> bytes:
    """A PAdES baseline signature over the whole file."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load(str(key.key_path), str(key.cert_path),
                                       key_passphrase=key.passphrase)
    if signer is None:
        raise ValueError(f"could not load the signing key {key.key_path}")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name=FIELD, md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES,
                                        reason=reason, location=location or None)
    return signers.sign_pdf(writer, meta, signer=signer).getvalue()


def create_demo_key(instance_path: str, *, common_name: str = "TripLedger demo report signing",
                    force: bool = False) -> SigningKey:
    """Write a self-signed RSA key and certificate (ten years) to ``instance/signing/``.

    :raises FileExistsError: a demo key exists and ``force`` is not set
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder = Path(instance_path) / DEMO_DIR
    key_path, cert_path = folder / DEMO_KEY, folder / DEMO_CERT
    if key_path.exists() and not force:
        raise FileExistsError(str(key_path))
    folder.mkdir(parents=True, exist_ok=True)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TripLedger (demo)")])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(private.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=True, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(private, hashes.SHA256()))
    key_bytes = private.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
    # Readable by this user only, from the moment it exists.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_bytes)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return SigningKey(key_path, cert_path)
