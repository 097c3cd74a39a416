"""Check a disclosure PDF someone holds: did this server issue it, does its signature hold,
is the data embedded in it as it was made, and has the data changed since?

1. Issued here: the file's SHA-256 is on record (a Report row). Any changed byte means no.
2. Signature: pyHanko checks each embedded signature — intact (the signed bytes are
   unchanged), cryptographically valid, covering the whole file, and made with one of this
   server's certificates (the current one or a retired one in the keyring: ``signing``),
   and names the key. A timestamp token, when there is one, is checked too.
3. Embedded data: the fingerprint is recomputed from the embedded ``disclosure.json`` (never
   taken from the file's word for it), and the embedded ledger CSV must be the one that JSON
   gives: an edited attachment is caught even in a file that is not signed.
4. Data changed since: the fingerprint the report was made from (from the record, or else
   from the embedded JSON, which is then only a claim) against today's fingerprint for the
   same deployment and scope.

``check_file`` answers 2 and 3 from the file alone (no database: ``report verify
--offline``); ``verify`` adds 1 and 4 from this server's records.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Deployment, Report, ReportScope, ReportStatus, Volunteer
from ..compliance import scope as scopes
from ..compliance.rules import sha256_of
from ..compliance.store import active_rule_set
from ..errors import DomainError, ValidationFailed
from . import pdf_guard, pdfa, signing, source

logger = logging.getLogger(__name__)

#: What a check from the file alone cannot tell.
OFFLINE_LIMITS = ("Not checked from the file alone (they need this server's database): whether "
                  "this server issued this exact file, and whether the data has changed since.")
EDITED = "the embedded data was edited: it no longer matches the fingerprint it states"


@dataclass
class Verification:
    sha256: str
    #: True when only the file was checked (no database): issued and data are not known.
    offline: bool = False
    issued: bool = False
    report_id: int | None = None
    issued_detail: str = ""
    #: "valid", "untrusted", "invalid", "unsigned" or "unreadable"
    signature: str = "unsigned"
    signature_detail: str = ""
    #: Which certificate signed: subject, fingerprint, current or retired ("" if unsigned).
    signed_by: str = ""
    signer_fingerprint: str | None = None
    #: "current", "retired", "given" (``--cert``) or "unknown"
    signer_key: str | None = None
    #: "none", "valid", "untrusted" or "invalid"
    timestamp: str = "none"
    timestamp_detail: str = ""
    timestamp_time: datetime | None = None
    #: "intact", "edited", "missing" or "unreadable"
    embedded: str = "missing"
    embedded_detail: str = ""
    #: "unchanged", "changed" or "unknown"
    data: str = "unknown"
    data_detail: str = ""
    deployment_slug: str | None = None
    fingerprint_then: str | None = None
    fingerprint_now: str | None = None
    notes: list[str] = field(default_factory=list)
    #: The embedded disclosure as read (whether or not it is intact).
    claimed: dict | None = field(default=None, repr=False)

    @property
    def altered(self) -> bool:
        """Something in the file shows it was changed, or signed by a key not trusted here."""
        return (self.signature in ("invalid", "untrusted", "unreadable")
                or self.embedded == "edited" or self.timestamp == "invalid")

    @property
    def genuine(self) -> bool:
        """Issued here, and its signature (if it has one) and embedded data hold."""
        return self.issued and not self.altered

    @property
    def holds(self) -> bool:
        """From the file alone: signed by a trusted key, intact, embedded data as made."""
        return self.signature == "valid" and self.embedded == "intact" and not self.altered

    @property
    def summary(self) -> str:
        if self.offline:
            if self.embedded == "edited":
                return f"NOT GENUINE: {EDITED}."
            if self.altered:
                return ("NOT GENUINE: the file was altered, or it was not signed by a key "
                        "trusted here.")
            if self.holds:
                return ("The signature holds and the embedded data is intact (checked from the "
                        "file alone).")
            return ("Unproven: the file is not signed, so nothing in it shows where it came "
                    "from.")
        if not self.genuine:
            return "NOT GENUINE: this server did not issue this exact file, or it was altered."
        if self.data == "changed":
            return "Genuine, but the data has changed since it was made."
        if self.data == "unchanged":
            return "Genuine and current: the data has not changed since."
        return "Genuine; whether the data has changed could not be checked."

    def lines(self) -> list[str]:
        issued = "not checked" if self.offline else "yes" if self.issued else "no"
        data = "not checked" if self.offline else self.data
        out = [self.summary, f"Issued by this server: {issued} — {self.issued_detail}",
               f"Signature: {self.signature} — {self.signature_detail}"]
        if self.signed_by:
            out.append(f"Signed with: {self.signed_by}")
        if self.signature not in ("unsigned", "unreadable"):
            out.append(f"Timestamp: {self.timestamp} — {self.timestamp_detail}")
        out += [f"Embedded data: {self.embedded} — {self.embedded_detail}",
                f"Data since: {data} — {self.data_detail}", *self.notes]
        return out


def looks_like_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def _admit(data: bytes) -> None:
    """Let a file be parsed here only if it is a PDF whose insides are known to be small
    (``pdf_guard``: measured in a child process with memory and time limits).

    :raises ValidationFailed: empty, not a PDF, or refused by the guard (``PdfRefused``)
    """
    if not data:
        raise ValidationFailed("The file is empty. Choose the report's PDF.", field="file")
    if not looks_like_pdf(data):
        raise ValidationFailed("This file is not a PDF. Choose the report's PDF file.",
                               field="file")
    pdf_guard.inspect(data)


def _as_issuers(trusted: list) -> list[signing.Issuer]:
    return [signing.Issuer(cert, current=n == 0) for n, cert in enumerate(trusted)]


def check_file(data: bytes, *, issuers: list[signing.Issuer],
               timestamp_roots: list = ()) -> Verification:
    """What the file alone can show: signature (against ``issuers``), timestamp (against
    ``timestamp_roots``) and embedded data. No database.

    :raises ValidationFailed: the file is empty, not a PDF, or refused by ``pdf_guard``
    """
    _admit(data)
    result = _checked(data, issuers, timestamp_roots)
    result.offline = True
    result.issued_detail = "this needs this server's database."
    result.data_detail = "this needs this server's database."
    result.notes.append(OFFLINE_LIMITS)
    return result


def _checked(data: bytes, issuers: list[signing.Issuer], timestamp_roots) -> Verification:
    """Signature and embedded data of a file ``_admit`` has let in."""
    result = Verification(sha256=hashlib.sha256(data).hexdigest())
    _check_signature(data, issuers, list(timestamp_roots), result)
    result.claimed = _check_embedded(data, result)
    return result


def verify(session: Session, data: bytes, *, trusted: list | None = None,
           issuers: list[signing.Issuer] | None = None,
           timestamp_roots: list = ()) -> Verification:
    """Answer the questions about ``data`` (the bytes of an uploaded PDF).

    ``issuers``: the certificates this server signs or signed with (``signing.issuers``);
    ``trusted`` (plain certificates, the first taken as current) is the older spelling.

    :raises ValidationFailed: the file is empty, not a PDF, or refused by ``pdf_guard``
    """
    _admit(data)
    return _verify(session, data, issuers if issuers is not None else
                   _as_issuers(trusted or []), timestamp_roots)


def _verify(session: Session, data: bytes, issuers: list[signing.Issuer],
            timestamp_roots) -> Verification:
    result = _checked(data, issuers, timestamp_roots)
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
    claimed = result.claimed if result.embedded == "intact" else None
    if report is None and result.embedded == "edited":
        result.data_detail = ("the embedded data was edited, so what the report was made "
                              "from cannot be known.")
    else:
        _check_data(session, report, claimed, result)
    return result


def verify_statement(session: Session, data: bytes, volunteer: Volunteer, *,
                     issuers: list[signing.Issuer], timestamp_roots: list = (),
                     deployment_slugs: set[str] = frozenset()) -> Verification | None:
    """``verify`` for a volunteer checking their own statement; None when the file is not a
    statement about ``volunteer`` (and then nothing about it is looked up or told).

    About them: on record as a statement of theirs; or, not on record, its embedded data
    names them as its volunteer in one of their deployments (``deployment_slugs``).

    :raises ValidationFailed: the file is empty, not a PDF, or refused by ``pdf_guard``
    """
    _admit(data)  # before its attachments are read to see whom it is about
    sha256 = hashlib.sha256(data).hexdigest()
    report = session.scalar(select(Report).where(Report.sha256 == sha256,
                                                 Report.status == ReportStatus.DONE)
                            .order_by(Report.id).limit(1))
    if report is not None:
        mine = report.scope is ReportScope.VOLUNTEER and \
            report.scope_value == str(volunteer.id)
    else:
        mine = _claims_to_be_about(data, volunteer, deployment_slugs)
    if not mine:
        return None
    return _verify(session, data, issuers, timestamp_roots)


def _claims_to_be_about(data: bytes, volunteer: Volunteer, slugs: set[str]) -> bool:
    try:
        claimed = json.loads(pdfa.attachments(data).get(pdfa.JSON_NAME) or b"null")
        scope = claimed.get("scope") or {}
        slug = (claimed.get("deployment") or {}).get("slug")
    except Exception:  # unreadable, not JSON, not a dict: it says nothing about anyone
        return False
    return (scope.get("kind") == "volunteer" and str(scope.get("value")) == str(volunteer.id)
            and slug in slugs)


def _check_signature(data: bytes, issuers: list[signing.Issuer], timestamp_roots: list,
                     result: Verification) -> None:
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
    trusted = [issuer.certificate for issuer in issuers]
    # Only this server's certificates (none: nothing is trusted), never the OS's list.
    context = ValidationContext(trust_roots=trusted)
    # Timestamps are vouched for by their authority's root (REPORT_TIMESTAMP_TRUST), not by
    # this server's keys; with none configured, no timestamp is trusted (never the OS's list).
    ts_context = ValidationContext(trust_roots=list(timestamp_roots))
    by_fingerprint = {issuer.fingerprint: issuer for issuer in issuers}
    worst = None
    for embedded in signatures:
        try:
            status = validate_pdf_signature(embedded, context, ts_validation_context=ts_context)
        except Exception as exc:
            result.signature = "invalid"
            result.signature_detail = f"the signature could not be checked ({exc})."
            return
        _name_signer(status.signing_cert, by_fingerprint, result)
        _check_timestamp(status.timestamp_validity, result)
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
            result.signature_detail = (f"intact, but signed by {signer}, which is not one of "
                                       "this server's signing certificates (current or "
                                       "retired).")
    if worst:
        result.signature = worst
        return
    subject = signatures[0].signer_cert.subject.human_friendly
    result.signature = "valid"
    result.signature_detail = f"intact, covers the whole file, signed by {subject}."


def _name_signer(certificate, by_fingerprint: dict, result: Verification) -> None:
    fingerprint = signing.fingerprint_of(certificate)
    result.signer_fingerprint = fingerprint
    issuer = by_fingerprint.get(fingerprint)
    if issuer is None:
        result.signer_key = "unknown"
        result.signed_by = (f"{certificate.subject.human_friendly}, certificate SHA-256 "
                            f"{fingerprint} — not a key of this server.")
    else:
        result.signer_key = "given" if issuer.given else "current" if issuer.current \
            else "retired"
        result.signed_by = issuer.describe() + "."


def _check_timestamp(status, result: Verification) -> None:
    if status is None:
        result.timestamp = "none"
        result.timestamp_detail = ("the signature carries no timestamp: the time of signing is "
                                   "the signer's own word.")
        return
    result.timestamp_time = status.timestamp
    when = f"{status.timestamp:%d %b %Y %H:%M:%S %Z}".strip()
    authority = status.signing_cert.subject.human_friendly
    if not (status.intact and status.valid):
        result.timestamp = "invalid"
        result.timestamp_detail = (f"the timestamp token ({when}) does not match the signature: "
                                   "it was tampered with.")
    elif not status.trusted:
        result.timestamp = "untrusted"
        result.timestamp_detail = (f"signed at {when} according to {authority}, a timestamping "
                                   "authority this server does not trust "
                                   "(REPORT_TIMESTAMP_TRUST).")
    else:
        result.timestamp = "valid"
        result.timestamp_detail = f"signed at {when}, vouched for by {authority}."


def _check_embedded(data: bytes, result: Verification) -> dict | None:
    """The embedded disclosure if it is as it was made; else None (the reason is recorded).

    The fingerprint is recomputed from the JSON itself: a file can state any fingerprint.
    """
    try:
        files = pdfa.attachments(data)
    except Exception as exc:
        result.embedded = "unreadable"
        result.embedded_detail = f"the file's attachments could not be read ({type(exc).__name__})."
        return None
    raw = files.get(pdfa.JSON_NAME)
    if raw is None:
        result.embedded = "missing"
        result.embedded_detail = f"the file has no {pdfa.JSON_NAME} attachment."
        return None
    try:
        claimed = json.loads(raw)
        stated = str(claimed.get("fingerprint") or "")
    except (ValueError, AttributeError):
        result.embedded = "edited"
        result.embedded_detail = f"{EDITED} (the embedded {pdfa.JSON_NAME} is not valid JSON)."
        return None
    recomputed = sha256_of({k: v for k, v in claimed.items()
                            if k not in ("as_of", "fingerprint")})
    if recomputed != stated:
        result.embedded = "edited"
        result.embedded_detail = (f"{EDITED} (it states {stated[:16] or 'none'}…, its contents "
                                  f"give {recomputed[:16]}…).")
        return claimed
    ledger = files.get(pdfa.LEDGER_NAME)
    # Each CSV is made from the JSON; reports made before the parts CSV existed have none.
    for name, made in ((pdfa.LEDGER_NAME, pdfa.ledger_csv), (pdfa.PARTS_NAME, pdfa.parts_csv)):
        csv_bytes = files.get(name)
        if csv_bytes is not None and csv_bytes != made(claimed):
            result.embedded = "edited"
            result.embedded_detail = (f"the embedded {name} does not agree with the embedded "
                                      f"{pdfa.JSON_NAME}: one of them was edited.")
            return claimed
    result.embedded = "intact"
    result.embedded_detail = (f"the embedded {pdfa.JSON_NAME} gives the fingerprint it states "
                              f"({stated[:16]}…)"
                              + (" and the CSV files agree with it." if ledger is not None
                                 else f"; there is no {pdfa.LEDGER_NAME}."))
    return claimed


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
