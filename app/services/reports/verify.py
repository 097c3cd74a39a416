"""Check a disclosure PDF someone holds: did this server issue it, does its signature hold,
and has the data changed since?

1. Issued here: the file's SHA-256 is on record (a Report row). Any changed byte means no.
2. Signature: pyHanko checks each embedded signature — intact (the signed bytes are
   unchanged), cryptographically valid, covering the whole file, and made with this server's
   certificate (trusted).
3. Data changed since: the fingerprint the report was made from (from the record, or else
   from the JSON embedded in the file, which is then only a claim) against today's
   fingerprint for the same deployment and scope.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Deployment, Report, ReportStatus
from ..compliance import scope as scopes
from ..compliance.store import active_rule_set
from ..errors import DomainError, ValidationFailed
from . import pdfa, source

logger = logging.getLogger(__name__)


@dataclass
class Verification:
    sha256: str
    issued: bool = False
    report_id: int | None = None
    issued_detail: str = ""
    #: "valid", "untrusted", "invalid", "unsigned" or "unreadable"
    signature: str = "unsigned"
    signature_detail: str = ""
    #: "unchanged", "changed" or "unknown"
    data: str = "unknown"
    data_detail: str = ""
    deployment_slug: str | None = None
    fingerprint_then: str | None = None
    fingerprint_now: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def genuine(self) -> bool:
        """Issued here, and its signature (if it has one) holds."""
        return self.issued and self.signature in ("valid", "unsigned")

    @property
    def summary(self) -> str:
        if not self.genuine:
            return "NOT GENUINE: this server did not issue this exact file, or it was altered."
        if self.data == "changed":
            return "Genuine, but the data has changed since it was made."
        if self.data == "unchanged":
            return "Genuine and current: the data has not changed since."
        return "Genuine; whether the data has changed could not be checked."

    def lines(self) -> list[str]:
        return [self.summary,
                f"Issued by this server: {'yes' if self.issued else 'no'} — {self.issued_detail}",
                f"Signature: {self.signature} — {self.signature_detail}",
                f"Data since: {self.data} — {self.data_detail}", *self.notes]


def looks_like_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def verify(session: Session, data: bytes, *, trusted: list) -> Verification:
    """Answer the three questions about ``data`` (the bytes of an uploaded PDF).

    :raises ValidationFailed: the file is empty or not a PDF at all
    """
    if not data:
        raise ValidationFailed("The file is empty. Choose the report's PDF.", field="file")
    if not looks_like_pdf(data):
        raise ValidationFailed("This file is not a PDF. Choose the report's PDF file.",
                               field="file")
    result = Verification(sha256=hashlib.sha256(data).hexdigest())
    report = session.scalar(select(Report).where(Report.sha256 == result.sha256,
                                                 Report.status == ReportStatus.DONE)
                            .order_by(Report.id).limit(1))
    if report is not None:
        result.issued = True
        result.report_id = report.id
        result.issued_detail = (f"report #{report.id} of {report.deployment.slug} "
                                f"({report.scope_label}), made "
                                f"{report.finished_at:%d %b %Y %H:%M UTC} for "
                                f"{report.requested_by_label}.")
    else:
        result.issued_detail = ("no report with this SHA-256 is on record: the file was not "
                                "made here, or it has been changed since.")
    _check_signature(data, trusted, result)
    claimed = _embedded_disclosure(data, result)
    _check_data(session, report, claimed, result)
    return result


def _check_signature(data: bytes, trusted: list, result: Verification) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception as exc:  # a damaged file: say so rather than fail
        result.signature = "unreadable"
        result.signature_detail = f"the file's structure could not be read ({type(exc).__name__})."
        return
    if not signatures:
        result.signature_detail = "the file carries no digital signature."
        return
    context = ValidationContext(trust_roots=trusted) if trusted else ValidationContext()
    worst = None
    for embedded in signatures:
        try:
            status = validate_pdf_signature(embedded, context)
        except Exception as exc:
            result.signature = "invalid"
            result.signature_detail = f"the signature could not be checked ({exc})."
            return
        whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
        if not (status.intact and status.valid):
            result.signature = "invalid"
            result.signature_detail = ("the signed content was changed after signing: the file "
                                       "has been tampered with.")
            return
        if not whole:
            worst = "invalid"
            result.signature_detail = ("the signature holds for an earlier version, but content "
                                       "was added to the file after it was signed.")
        elif not status.trusted and worst is None:
            worst = "untrusted"
            signer = status.signing_cert.subject.human_friendly
            result.signature_detail = (f"intact, but signed by {signer}, which is not this "
                                       "server's signing certificate.")
    if worst:
        result.signature = worst
        return
    subject = signatures[0].signer_cert.subject.human_friendly
    result.signature = "valid"
    result.signature_detail = f"intact, covers the whole file, signed by {subject}."


def _embedded_disclosure(data: bytes, result: Verification) -> dict | None:
    try:
        files = pdfa.attachments(data)
    except Exception as exc:
        result.notes.append(f"The file's attachments could not be read ({type(exc).__name__}).")
        return None
    raw = files.get(pdfa.JSON_NAME)
    if raw is None:
        result.notes.append(f"The file has no {pdfa.JSON_NAME} attachment.")
        return None
    try:
        return json.loads(raw)
    except ValueError:
        result.notes.append(f"The embedded {pdfa.JSON_NAME} is not valid JSON.")
        return None


def _check_data(session: Session, report: Report | None, claimed: dict | None,
                result: Verification) -> None:
    if report is not None:
        deployment = report.deployment
        then = report.fingerprint
        try:
            scope = scopes.from_report(session, deployment, report.scope, report.scope_value)
        except DomainError as exc:
            result.data_detail = f"its scope no longer exists ({exc.message})."
            return
    elif claimed is not None:
        slug = str((claimed.get("deployment") or {}).get("slug") or "")
        deployment = session.scalar(select(Deployment).where(Deployment.slug == slug))
        then = str(claimed.get("fingerprint") or "")
        if deployment is None:
            result.data_detail = f"the deployment it names ({slug!r}) is not on this server."
            return
        kind = str((claimed.get("scope") or {}).get("kind") or "deployment")
        value = (claimed.get("scope") or {}).get("value")
        try:
            scope = scopes.resolve(session, deployment, **(
                {kind: str(value)} if kind in ("state", "payer", "volunteer") and value else {}))
        except DomainError as exc:
            result.data_detail = f"its scope cannot be found today ({exc.message})."
            return
        result.notes.append("The data fingerprint was read from the file itself, which this "
                            "server did not issue: treat it as a claim.")
    else:
        result.data_detail = "the file does not say what data it was made from."
        return
    result.deployment_slug = deployment.slug
    result.fingerprint_then = then
    try:
        now = source.load(session, deployment, scope).get("fingerprint")
    except DomainError as exc:
        result.data_detail = f"today's data could not be read ({exc.message})."
        return
    result.fingerprint_now = now
    if now == then:
        result.data = "unchanged"
        result.data_detail = f"today's fingerprint is the same ({now[:16]}…)."
    else:
        result.data = "changed"
        result.data_detail = (f"data changed since: the report was made from {str(then)[:16]}…, "
                              f"today's data gives {str(now)[:16]}….")
        made_under = report.rule_set_version if report is not None else \
            str(((claimed or {}).get("rule_set") or {}).get("version") or "")
        in_force = active_rule_set(session).version
        if made_under and made_under != in_force:
            result.data_detail += (f" The report was made under rule set {made_under}; rule set "
                                   f"{in_force} is in force now, and findings follow the rules "
                                   "in force. The report itself is as it was issued.")
