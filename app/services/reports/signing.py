"""PAdES signatures on disclosure PDFs (pyHanko), the keyring of issuing certificates, and a
self-signed key for the demo.

A report is signed when a key and certificate are configured: ``REPORT_SIGNING_KEY`` and
``REPORT_SIGNING_CERT`` (PEM files), or the pair ``keys create-demo`` writes to
``instance/signing/``. The signature is an incremental update, so the PDF/A-3b file inside
stays byte for byte as rendered; the update keeps the document information and the XMP
metadata in agreement (PDF/A requires it).

The keyring: a key is replaced from time to time, and the reports it signed must still
verify. The certificates of retired keys live in ``instance/signing/keyring/`` (``keys
rotate`` and ``keys create-demo --force`` move the old certificate there) and in the folder
``REPORT_SIGNING_KEYRING``. Verification trusts the current certificate and every one in the
keyring, and says which of them signed a file.

Timestamps: with ``REPORT_TIMESTAMP_URL`` (an RFC 3161 service) every signature carries a
timestamp token, so the time of signing is vouched for by someone other than this server.
"""
from __future__ import annotations

import hashlib
import io
import os
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..errors import DomainError
from ..private_files import private_dir, write_private

DEMO_DIR = "signing"
DEMO_KEY = "report-signing-key.pem"
DEMO_CERT = "report-signing-cert.pem"
KEYRING_DIR = "keyring"
FIELD = "TripLedgerSignature"


class SigningFailed(DomainError):
    code = "signing_failed"
    status = 503


@dataclass(frozen=True)
class SigningKey:
    key_path: Path
    cert_path: Path
    passphrase: bytes | None = None
    #: An RFC 3161 service that timestamps each signature (None: no timestamp, no network).
    timestamp_url: str | None = None
    timestamp_timeout: int = 10

    @property
    def subject(self) -> str:
        """The certificate's subject, as a person reads it."""
        from pyhanko.keys import load_cert_from_pemder
        return load_cert_from_pemder(str(self.cert_path)).subject.human_friendly

    @property
    def label(self) -> str:
        """Subject and certificate fingerprint: what a report row records as its signer, so a
        report signed by a key since rotated (same subject, another certificate) is not
        served as if this key had signed it."""
        from pyhanko.keys import load_cert_from_pemder
        certificate = load_cert_from_pemder(str(self.cert_path))
        fingerprint = fingerprint_of(certificate)[:16]
        return f"{certificate.subject.human_friendly} · certificate {fingerprint}"


@dataclass(frozen=True)
class Issuer:
    """A certificate this server signs (current) or signed (retired) reports with."""
    certificate: object  # asn1crypto.x509.Certificate
    current: bool
    path: Path | None = None
    #: Given for one check (``report verify --cert``), not from this server's keyring.
    given: bool = False

    @property
    def subject(self) -> str:
        return self.certificate.subject.human_friendly

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.certificate)

    @property
    def not_before(self) -> datetime:
        return self.certificate.not_valid_before

    @property
    def not_after(self) -> datetime:
        return self.certificate.not_valid_after

    def describe(self) -> str:
        """Which key this is, for a person: subject, fingerprint, current or retired."""
        state = ("the certificate given to check against" if self.given else
                 "this server's current signing key" if self.current else
                 f"a retired signing key of this server (valid {self.not_before:%d %b %Y} to "
                 f"{self.not_after:%d %b %Y})")
        return f"{self.subject}, certificate SHA-256 {self.fingerprint} — {state}"


def fingerprint_of(certificate) -> str:
    """SHA-256 of the certificate's DER encoding (what tools call its fingerprint)."""
    return hashlib.sha256(certificate.dump()).hexdigest()


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
    return SigningKey(Path(key), Path(cert), passphrase.encode() if passphrase else None,
                      timestamp_url=config.get("REPORT_TIMESTAMP_URL") or None,
                      timestamp_timeout=int(config.get("REPORT_TIMESTAMP_TIMEOUT") or 10))


def keyring_folders(config, instance_path: str) -> list[Path]:
    """Where retired certificates are kept: the instance keyring, then the configured one."""
    folders = [Path(instance_path) / DEMO_DIR / KEYRING_DIR]
    if config.get("REPORT_SIGNING_KEYRING"):
        folders.append(Path(config["REPORT_SIGNING_KEYRING"]))
    return folders


def load_certificates(path: Path) -> list:
    """Every certificate in a PEM (one or several) or DER file."""
    from pyhanko.keys import load_certs_from_pemder_data
    return list(load_certs_from_pemder_data(Path(path).read_bytes()))


def issuers(config, instance_path: str) -> list[Issuer]:
    """The current certificate (if any) first, then the keyring's, each once.

    :raises SigningFailed: a file in the keyring is not a certificate
    """
    found: dict[str, Issuer] = {}
    key = configured_key(config, instance_path)
    if key is not None:
        for cert in load_certificates(key.cert_path)[:1]:
            found[fingerprint_of(cert)] = Issuer(cert, True, key.cert_path)
    for folder in keyring_folders(config, instance_path):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in (".pem", ".crt", ".cer", ".der"):
                continue
            try:
                certificates = load_certificates(path)
            except Exception as exc:  # a stray file must not hide the rest: say which
                raise SigningFailed(f"{path} in the signing keyring is not a certificate "
                                    f"({type(exc).__name__}); remove it or fix it.") from exc
            for cert in certificates:
                found.setdefault(fingerprint_of(cert), Issuer(cert, False, path))
    return list(found.values())


def trusted_certificates(config, instance_path: str) -> list:
    """Certificates whose signatures this server vouches for: current and retired."""
    return [issuer.certificate for issuer in issuers(config, instance_path)]


def timestamp_trust(config) -> list:
    """Root certificates trusted for timestamps (REPORT_TIMESTAMP_TRUST); [] trusts none."""
    setting = config.get("REPORT_TIMESTAMP_TRUST")
    if not setting:
        return []
    paths = setting if isinstance(setting, (list, tuple)) else str(setting).split(os.pathsep)
    return [cert for path in paths if path for cert in load_certificates(Path(path))]


def prefetch() -> None:
    """Load pyHanko in a background thread (a third of a second), while the report renders
    in the worker processes: a command-line run need not wait for it after rendering."""
    if "pyhanko.sign.signers" in sys.modules:
        return  # loaded already (a web or job process after its first report)

    def _load():
        from pyhanko.pdf_utils import incremental_writer  # noqa: F401
        from pyhanko.sign import fields, signers  # noqa: F401
    threading.Thread(target=_load, name="pyhanko-import", daemon=True).start()


def sign(pdf: bytes, key: SigningKey, *, reason: str, location: str = "") -> bytes:
    """A PAdES signature over the whole file, timestamped when the key says where.

    :raises SigningFailed: the key cannot be loaded, or the timestamping service failed
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.metadata.model import VENDOR
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError

    signer = signers.SimpleSigner.load(str(key.key_path), str(key.cert_path),
                                       key_passphrase=key.passphrase)
    if signer is None:
        raise SigningFailed(f"Could not load the signing key {key.key_path}: check the file "
                            "and REPORT_SIGNING_KEY_PASSPHRASE.")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    # pyHanko writes its own name as the XMP pdf:Producer but appends it to the document
    # information's /Producer: PDF/A-3b needs the two equal, so give both the same value.
    info_ref = writer.trailer.raw_get("/Info") if "/Info" in writer.trailer else None
    if isinstance(info_ref, generic.IndirectObject):
        info = info_ref.get_object()
        info["/Producer"] = generic.TextStringObject(VENDOR)
        writer.mark_update(info_ref)
    timestamper = HTTPTimeStamper(key.timestamp_url, timeout=key.timestamp_timeout) \
        if key.timestamp_url else None
    meta = signers.PdfSignatureMetadata(field_name=FIELD, md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES,
                                        reason=reason, location=location or None)
    try:
        return signers.sign_pdf(writer, meta, signer=signer,
                                timestamper=timestamper).getvalue()
    except (TimestampRequestError, OSError) as exc:
        if timestamper is None:
            raise
        raise SigningFailed(f"The timestamping service at {key.timestamp_url} did not answer "
                            f"({exc}). Try again later, or ask an administrator to check "
                            "REPORT_TIMESTAMP_URL.") from exc


def retire(cert_path: Path, instance_path: str) -> Path:
    """Keep a certificate in the instance keyring (named by its fingerprint; idempotent)."""
    [cert, *_] = load_certificates(cert_path)
    folder = private_dir(Path(instance_path) / DEMO_DIR / KEYRING_DIR)
    target = folder / f"{fingerprint_of(cert)[:16]}.pem"
    if not target.exists():
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        pem = x509.load_der_x509_certificate(cert.dump()).public_bytes(
            serialization.Encoding.PEM)
        temp = target.with_suffix(".part")
        write_private(temp, pem)
        temp.replace(target)
    return target


def create_demo_key(instance_path: str, *, common_name: str = "TripLedger demo report signing",
                    force: bool = False, passphrase: str | None = None) -> SigningKey:
    """Write a self-signed RSA key and certificate (ten years) to ``instance/signing/``.

    With ``force`` an existing demo key is replaced: its certificate goes to the keyring
    first, so the reports it signed still verify (``rotate_demo_key``). With ``passphrase``
    (REPORT_SIGNING_KEY_PASSPHRASE) the private key is written encrypted with it, so a copy
    of the instance folder alone cannot sign.

    :raises FileExistsError: a demo key exists and ``force`` is not set
    """
    folder = Path(instance_path) / DEMO_DIR
    key_path, cert_path = folder / DEMO_KEY, folder / DEMO_CERT
    if key_path.exists() and not force:
        raise FileExistsError(str(key_path))
    if cert_path.exists():
        retire(cert_path, instance_path)
    private_dir(folder)
    secret = passphrase.encode() if passphrase else None
    key_bytes, cert_bytes = _self_signed(common_name, secret)
    # Readable by this user only, from the moment it exists.
    write_private(key_path, key_bytes)
    write_private(cert_path, cert_bytes)
    return SigningKey(key_path, cert_path, secret)


def rotate_demo_key(instance_path: str, **kwargs) -> tuple[SigningKey, Path]:
    """Replace the demo key: the old certificate is kept in the keyring (returned), the old
    private key is gone, a new pair signs from now on.

    :raises FileNotFoundError: there is no demo key to rotate
    """
    cert_path = Path(instance_path) / DEMO_DIR / DEMO_CERT
    if not cert_path.exists():
        raise FileNotFoundError(str(cert_path))
    kept = retire(cert_path, instance_path)
    return create_demo_key(instance_path, force=True, **kwargs), kept


def _self_signed(common_name: str, passphrase: bytes | None = None) -> tuple[bytes, bytes]:
    """(PKCS#8 PEM private key, encrypted with ``passphrase`` if given; PEM certificate) of a
    new self-signed RSA key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

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
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else \
        serialization.NoEncryption()
    key_bytes = private.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8, encryption)
    return key_bytes, certificate.public_bytes(serialization.Encoding.PEM)
