"""Chain heads recorded outside the database, and the check that the chain still extends them.

The HMAC keeps someone without the key from recomputing the chain, but not from cutting it:
deleting the newest events and moving the head row back leaves a shorter chain that verifies.
So the head — (event number, key id, HMAC) — is written where the database cannot reach:

- every disclosure report carries the head it was made at (``/TripLedgerAuditHead`` in its
  document information, under the report's signature);
- a checkpoint, ``instance/audit/checkpoint.json`` (``audit checkpoint``, and ``jobs run``
  each time), signed with the report signing key when there is one.

``check`` verifies the chain against the instance checkpoint and any files given (``audit
verify --against``): a chain that ends before an anchor's event, or whose event there has
another HMAC, is broken. A forged anchor cannot make a broken chain pass — matching an HMAC
needs the key — so an unsigned anchor is still worth checking; a signed one proves its origin.
A new checkpoint is written only after the chain verifies against the previous one, so a
periodic job cannot launder a cut.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from ..models.types import utcnow
from . import audit
from .errors import DomainError

CHECKPOINT_FORMAT = "tripledger-audit-checkpoint/1"
CHECKPOINT_FILE = "checkpoint.json"
#: The report's document-information key that holds the head it was made at.
REPORT_KEY = "/TripLedgerAuditHead"


class AnchorError(DomainError):
    """A file given as an anchor cannot serve as one (unreadable, altered, holds no head)."""
    code = "audit_anchor"


class ChainBroken(DomainError):
    code = "audit_chain_broken"
    status = 500

    def __init__(self, check: audit.ChainCheck):
        super().__init__(f"Audit chain BROKEN at event {check.first_bad_seq}: {check.problem}.")
        self.check = check


def checkpoint_path(instance_path: str) -> Path:
    return Path(instance_path) / "audit" / CHECKPOINT_FILE


def report_value(anchor: audit.Anchor) -> str:
    """What a report records of the head (compact JSON)."""
    return json.dumps({"seq": anchor.seq, "key_id": anchor.key_id, "hash": anchor.hash},
                      separators=(",", ":"), sort_keys=True)


def check(session: Session, files: list[Path] = ()) -> audit.ChainCheck:
    """The chain verified against the instance checkpoint (if any) and ``files`` (reports or
    checkpoints).

    :raises AnchorError: a file cannot serve as an anchor
    :raises AuditKeyError: the audit keyring cannot be read
    """
    anchors = [read(Path(path)) for path in files]
    own = checkpoint_path(current_app.instance_path)
    if own.exists():
        anchors.append(read(own, label="this server's checkpoint"))
    return audit.verify_chain(session, anchors)


def read(path: Path, *, label: str | None = None) -> audit.Anchor:
    """The head a report PDF or a checkpoint file records.

    :raises AnchorError: unreadable, altered, signed by a key not trusted here, or no head
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AnchorError(f"{path} cannot be read ({exc.strerror}).") from exc
    if data.lstrip()[:1] == b"{":
        return _from_checkpoint(data, label or f"the checkpoint {path.name}")
    from .reports import verify as report_checks
    if not report_checks.looks_like_pdf(data):
        raise AnchorError(f"{path} is neither a disclosure report (PDF) nor an audit "
                          "checkpoint (JSON).")
    return _from_report(data, label or f"the report {path.name}")


def _from_report(data: bytes, label: str) -> audit.Anchor:
    import io

    import pikepdf

    from .reports import signing
    from .reports import verify as report_checks
    config, instance = current_app.config, current_app.instance_path
    result = report_checks.check_file(data, issuers=signing.issuers(config, instance),
                                      timestamp_roots=signing.timestamp_trust(config))
    if result.signature in ("invalid", "untrusted", "unreadable"):
        raise AnchorError(f"{label} cannot vouch for the chain: its signature is "
                          f"{result.signature} ({result.signature_detail})")
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            raw = pdf.docinfo.get(REPORT_KEY)
            value = json.loads(str(raw)) if raw is not None else None
    except (pikepdf.PdfError, ValueError) as exc:
        raise AnchorError(f"{label} cannot be read ({type(exc).__name__}).") from exc
    if value is None:
        raise AnchorError(f"{label} records no audit-chain head (it was made before reports "
                          "carried one): it cannot serve as an anchor.")
    return _anchor(value, f"{label} ({'signed' if result.signature == 'valid' else 'unsigned'})")


def _from_checkpoint(data: bytes, label: str) -> audit.Anchor:
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise AnchorError(f"{label} is not valid JSON.") from exc
    if not isinstance(value, dict) or value.get("format") != CHECKPOINT_FORMAT:
        raise AnchorError(f"{label} is not an audit checkpoint.")
    signer = _check_signature(value, label)
    return _anchor(value, f"{label} of {value.get('made_at', '?')} ({signer})")


def _anchor(value: dict, source: str) -> audit.Anchor:
    try:
        seq, digest = int(value["seq"]), str(value["hash"])
        key_id = value.get("key_id")
    except (KeyError, TypeError, ValueError) as exc:
        raise AnchorError(f"{source}: the recorded head is incomplete.") from exc
    if seq < 0 or len(digest) != 64:
        raise AnchorError(f"{source}: the recorded head is not a chain position and hash.")
    return audit.Anchor(seq, str(key_id) if key_id else None, digest, source)


@dataclass
class Checkpoint:
    path: Path
    anchor: audit.Anchor
    signer: str | None
    check: audit.ChainCheck


def write_checkpoint(session: Session, path: Path | None = None) -> Checkpoint:
    """Verify the chain (against the previous checkpoint too), then record its head in a
    small signed file: ``path``, and always the instance checkpoint.

    :raises ChainBroken: the chain does not verify; nothing is written
    :raises AnchorError: the previous checkpoint is altered
    """
    checked = check(session)
    if not checked.ok:
        raise ChainBroken(checked)
    head = audit.head_anchor(session)
    content = {"format": CHECKPOINT_FORMAT, "seq": head.seq, "key_id": head.key_id,
               "hash": head.hash, "made_at": utcnow().isoformat(timespec="seconds")}
    signer = _sign(content)
    text = json.dumps(content, indent=1, sort_keys=True) + "\n"
    own = checkpoint_path(current_app.instance_path)
    _write(own, text)
    if path is not None and Path(path).resolve() != own.resolve():
        _write(Path(path), text)  # a copy to keep elsewhere
    return Checkpoint(Path(path) if path else own, head, signer, checked)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    temp.write_text(text)
    os.replace(temp, path)


def _payload(content: dict) -> bytes:
    unsigned = {k: v for k, v in content.items() if k not in ("signature", "signer")}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()


def _sign(content: dict) -> str | None:
    """Sign ``content`` in place with the report signing key; its subject, or None."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    from .reports import signing
    key = signing.configured_key(current_app.config, current_app.instance_path)
    content["signer"] = content["signature"] = None
    if key is None:
        return None
    data = key.key_path.read_bytes()
    try:
        private = serialization.load_pem_private_key(data, password=key.passphrase)
    except ValueError:
        private = serialization.load_der_private_key(data, password=key.passphrase)
    payload = _payload(content)
    if isinstance(private, rsa.RSAPrivateKey):
        signature = private.sign(payload, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(private, ec.EllipticCurvePrivateKey):
        signature = private.sign(payload, ec.ECDSA(hashes.SHA256()))
    else:
        raise AnchorError(f"The signing key {key.key_path} is neither RSA nor EC: checkpoints "
                          "cannot be signed with it.")
    [certificate] = signing.load_certificates(key.cert_path)[:1]
    content["signer"] = signing.fingerprint_of(certificate)
    content["signature"] = base64.b64encode(signature).decode()
    return certificate.subject.human_friendly


def _check_signature(content: dict, label: str) -> str:
    """"signed by …" or "unsigned"; a signature that does not hold raises.

    :raises AnchorError: the signature does not hold, or its key is not trusted here
    """
    if not content.get("signature"):
        return "unsigned"
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    from .reports import signing
    issuers = {issuer.fingerprint: issuer for issuer in
               signing.issuers(current_app.config, current_app.instance_path)}
    issuer = issuers.get(str(content.get("signer")))
    if issuer is None:
        raise AnchorError(f"{label} is signed by a certificate ({content.get('signer')}) that "
                          "is not one of this server's signing keys, current or retired.")
    public = x509.load_der_x509_certificate(issuer.certificate.dump()).public_key()
    try:
        signature = base64.b64decode(str(content["signature"]), validate=True)
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, _payload(content), padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, _payload(content), ec.ECDSA(hashes.SHA256()))
        else:
            raise InvalidSignature()
    except (InvalidSignature, ValueError) as exc:
        raise AnchorError(f"{label} was altered: its signature does not hold.") from exc
    return f"signed by {issuer.subject}"
