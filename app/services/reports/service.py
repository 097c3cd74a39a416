"""Disclosure reports: ask for one (``request_report``), or make one (``issue``): data →
context → PDF/A → signature → stored file → Report row.

``request_report`` is the one entry point for the browser, the command line and a volunteer's
statement; it decides, in one place, whether a report is served from the store, made now or
queued for a background job (``jobs``, which makes it with ``issue``). Everything here
flushes but never commits; the caller commits once. The PDF goes to
``instance/reports/<sha256>.pdf`` (content-addressed: a rolled-back request leaves at most a
harmless orphan, never a wrong file under a recorded name).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import Deployment, Report, ReportStatus, User
from ...models.types import utcnow
from .. import audit, audit_anchors, deployments, hooks
from ..compliance.scope import Scope, check_placement
from ..private_files import private_dir, write_private
from ..errors import DomainError
from . import context as report_context
from . import page_facts, pdfa, render, signing, source

logger = logging.getLogger(__name__)

#: Defaults; each can be set in instance/config.py or as TRIPLEDGER_<NAME>.
DEFAULTS = {
    "REPORT_WORKERS": 2,             # worker processes that render parts in parallel
    "REPORT_TIME_LIMIT": 300,        # seconds one part may take
    "REPORT_SYNC_MAX_LINES": 4000,   # more cost lines + sign-ups than this: a background job
    "REPORT_JOB_NICE": 10,           # background rendering yields the CPU to web requests
    "REPORT_STALLED_AFTER": 3600,    # seconds before a queued or running job is called stalled
}


class ReportFailed(DomainError):
    code = "report_failed"
    status = 500


class QueueUnavailable(DomainError):
    code = "queue_unavailable"
    status = 503


def preparer_of(actor: User | None) -> str | None:
    """How a report names the signed-in person who prepares it."""
    if actor is None:
        return None
    return f"{actor.full_name} <{actor.email}>" if actor.full_name else actor.email


def setting(name: str):
    return current_app.config.get(name, DEFAULTS.get(name))


def is_stalled(report: Report) -> bool:
    """Queued or running for longer than any report takes: is the job consumer running?"""
    if report.status not in (ReportStatus.QUEUED, ReportStatus.RUNNING):
        return False
    age = (utcnow() - report.requested_at).total_seconds()
    return age > int(setting("REPORT_STALLED_AFTER"))


def size_of(disclosure: dict) -> int:
    return len(disclosure.get("items") or ()) + len(disclosure.get("roles") or ())


def storage_dir() -> Path:
    """instance/reports: people's data, so readable by this server's user only."""
    return private_dir(Path(current_app.instance_path) / "reports")


def file_of(report: Report) -> Path | None:
    if not report.file_path:
        return None
    return Path(current_app.instance_path) / report.file_path


def read_file(report: Report) -> bytes | None:
    """The stored PDF, if it is still there and still the file that was issued."""
    path = file_of(report)
    if path is None or not path.is_file():
        return None
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != report.sha256:
        logger.error("stored report %s does not match its recorded SHA-256", report.id)
        return None
    return data


def signing_key() -> signing.SigningKey | None:
    return signing.configured_key(current_app.config, current_app.instance_path)


def _same_data(deployment: Deployment, scope: Scope, fingerprint: str):
    return select(Report).where(Report.deployment_id == deployment.id,
                                Report.scope == scope.kind, Report.scope_value == scope.value,
                                Report.fingerprint == fingerprint)


def find_stored(session: Session, deployment: Deployment, scope: Scope,
                fingerprint: str, prepared_by: str | None) -> tuple[Report, bytes] | None:
    """A finished report of the same data and preparer whose file is intact and signed as it
    would be now, with its file."""
    key = signing_key()
    wanted_signer = key.label[:300] if key else None
    candidates = session.scalars(_same_data(deployment, scope, fingerprint)
                                 .where(Report.status == ReportStatus.DONE,
                                        Report.prepared_by == prepared_by)
                                 .order_by(Report.finished_at.desc()).limit(5))
    for report in candidates:
        if report.signer == wanted_signer and report.renderer == render.renderer():
            pdf = read_file(report)
            if pdf is not None:
                return report, pdf
    return None


def find_in_flight(session: Session, deployment: Deployment, scope: Scope,
                   fingerprint: str) -> Report | None:
    """A job already queued or running for the same data (and not stalled)."""
    candidates = session.scalars(_same_data(deployment, scope, fingerprint)
                                 .where(Report.status.in_((ReportStatus.QUEUED,
                                                           ReportStatus.RUNNING)))
                                 .order_by(Report.id.desc()).limit(5))
    return next((report for report in candidates if not is_stalled(report)), None)


def new_report(session: Session, deployment: Deployment, scope: Scope, *,
               actor: User | None, status: ReportStatus = ReportStatus.QUEUED,
               fingerprint: str | None = None, prepared_by: str | None = None) -> Report:
    """A Report row for a report about to be made (queued for a job, or running now).

    ``fingerprint``: the data it is asked for (a job may find newer data, and says so).
    """
    audit.act_as(session, actor)
    report = Report(deployment_id=deployment.id, scope=scope.kind, scope_value=scope.value,
                    scope_label=scope.label[:300], requested_by_id=actor.id if actor else None,
                    prepared_by=(prepared_by or preparer_of(actor) or "")[:300] or None,
                    status=status, progress=0, stage="Waiting for a worker"
                    if status is ReportStatus.QUEUED else "Starting",
                    fingerprint=fingerprint[:64] if fingerprint else None)
    session.add(report)
    session.flush()
    return report


@dataclass
class Issued:
    """A report with its PDF, ready to hand over."""
    report: Report
    pdf: bytes
    #: True when an earlier report of the same data was served instead of a new rendering.
    reused: bool


@dataclass
class Queued:
    """A report a background job makes; its row shows the progress."""
    report: Report
    #: Set at the commit when the queue could not take the job (the row is then FAILED):
    #: what to tell the person who asked.
    problem: str | None = None


def request_report(session: Session, deployment: Deployment, scope: Scope, *,
                   actor: User | None, background: bool | None = None,
                   progress: Callable[[float, str], None] | None = None,
                   prepared_by: str | None = None) -> Issued | Queued:
    """Ask for the report of ``scope``: the one policy for the browser, the CLI and statements.

    1. A stored report of the same scope and data (fingerprint) is served.
    2. A report is queued when ``background`` is True, or when it is None and the report is
       big (cost lines + sign-ups > REPORT_SYNC_MAX_LINES); a job already queued or running
       for the same scope and data is returned instead of a second one. The job is handed to
       the queue once the caller commits (it reads the committed row).
    3. Everything else is made now.

    The report names its preparer: ``prepared_by`` (the command line's), else ``actor``.
    Flushes; the caller commits.

    :raises NotFound: a state scope where the deployment has no placement
    :raises ReportFailed: rendering failed or ran over its time limit
    """
    check_placement(session, deployment, scope)
    audit.act_as(session, actor)
    progress = progress or (lambda fraction, stage: None)
    progress(0.01, "Reading the data")
    disclosure = source.load(session, deployment, scope)
    fingerprint = str(disclosure.get("fingerprint") or "")
    prepared_by = (prepared_by or preparer_of(actor) or "")[:300] or None
    stored = find_stored(session, deployment, scope, fingerprint, prepared_by)
    if stored is not None:
        return Issued(*stored, reused=True)
    if background is None:
        background = size_of(disclosure) > int(setting("REPORT_SYNC_MAX_LINES"))
    if not background:
        return issue(session, deployment, scope, actor=actor, disclosure=disclosure,
                     progress=progress, prepared_by=prepared_by)
    running = find_in_flight(session, deployment, scope, fingerprint)
    if running is not None:
        return Queued(running)
    report = new_report(session, deployment, scope, actor=actor, fingerprint=fingerprint,
                        prepared_by=prepared_by)
    queued = Queued(report)
    # Ids taken now: after the commit the session's objects are expired.
    report_id, actor_id = report.id, actor.id if actor else None
    hooks.on_commit(session, lambda: _hand_to_queue(queued, report_id, actor_id))
    return queued


def _hand_to_queue(queued: Queued, report_id: int, actor_id: int | None) -> None:
    """After the commit: queue the job; if the queue cannot be reached, say so on the row."""
    from . import jobs  # jobs makes its reports with issue() below: imported when used
    try:
        jobs.enqueue(report_id)
    except Exception:  # noqa: BLE001 — the queue's storage is down; the row must say so
        logger.exception("could not queue report %s", report_id)
        queued.problem = ("The report queue could not be reached; try again later or ask an "
                          "administrator.")
        # The request's session cannot write after its commit: a short one of its own,
        # recorded in the audit chain like any change to the row.
        with Session(db.engine) as own:
            audit.act_as(own, own.get(User, actor_id) if actor_id else None)
            failed = own.get(Report, report_id)
            failed.status = ReportStatus.FAILED
            failed.error = failed.stage = "The report queue could not be reached."
            failed.finished_at = utcnow()
            own.commit()


def issue(session: Session, deployment: Deployment, scope: Scope, *, actor: User | None,
          disclosure: dict, report: Report | None = None,
          progress: Callable[[float, str], None] | None = None, nice: int = 0,
          prepared_by: str | None = None) -> Issued:
    """Make the report of ``disclosure`` now, or serve the stored one made from the same data.

    ``report`` is the queued row of a background job, filled in here; without it a new row
    is added (unless a stored report is served). Flushes; the caller commits.

    :raises ReportFailed: rendering failed or ran over its time limit
    """
    audit.act_as(session, actor)
    fingerprint = str(disclosure.get("fingerprint") or "")
    if report is not None:
        prepared_by = report.prepared_by
    prepared_by = (prepared_by or preparer_of(actor) or "")[:300] or None
    stored = find_stored(session, deployment, scope, fingerprint, prepared_by)
    if stored is not None:
        done, pdf = stored
        if report is not None:
            _fill(report, done)
            report.stage = f"Same data as report #{done.id}: its file is served"
        return Issued(report or done, pdf, True)
    head = audit.head_anchor(session)
    pdf, pages, key = produce(session, deployment, scope, disclosure, progress=progress,
                              nice=nice, prepared_by=prepared_by, head=head)
    if report is None:
        # Only now, after rendering: on SQLite an inserted row holds the write lock until
        # the caller commits, and other requests should not wait for WeasyPrint.
        report = new_report(session, deployment, scope, actor=actor,
                            status=ReportStatus.RUNNING, prepared_by=prepared_by)
    digest = hashlib.sha256(pdf).hexdigest()
    path = storage_dir() / f"{digest}.pdf"
    if not path.exists():
        temp = path.with_suffix(".part")
        write_private(temp, pdf)
        temp.replace(path)
    report.status = ReportStatus.DONE
    report.progress = 100
    report.stage = "Done"
    report.rule_set_version = str((disclosure.get("rule_set") or {}).get("version") or "")[:40]
    report.fingerprint = fingerprint[:64]
    report.audit_head_hash = head.hash  # the head the PDF carries
    report.sha256 = digest
    report.file_path = str(path.relative_to(current_app.instance_path))
    report.page_count = pages
    report.byte_size = len(pdf)
    report.signer = key.label[:300] if key else None
    report.renderer = render.renderer()
    report.error = None
    report.finished_at = utcnow()
    session.flush()
    return Issued(report, pdf, False)


def _fill(report: Report, done: Report) -> None:
    for name in ("rule_set_version", "fingerprint", "audit_head_hash", "sha256", "file_path",
                 "prepared_by",
                 "page_count", "byte_size", "signer", "renderer"):
        setattr(report, name, getattr(done, name))
    report.status = ReportStatus.DONE
    report.progress = 100
    report.error = None
    report.finished_at = utcnow()


def produce(session: Session, deployment: Deployment, scope: Scope, disclosure: dict, *,
            progress: Callable[[float, str], None] | None = None, nice: int = 0,
            prepared_by: str | None = None, head: audit.Anchor | None = None,
            ) -> tuple[bytes, int, signing.SigningKey | None]:
    """The finished PDF bytes (PDF/A-3b, attachments, signature when configured).

    ``head``: the audit chain's head to record in it (default: the head now).
    """
    progress = progress or (lambda fraction, stage: None)
    key = signing_key()
    if key is not None:
        signing.prefetch()
    made_at = utcnow()
    head = head or audit.head_anchor(session)
    if scope.volunteer_email:
        hint = ("You can check this file yourself: sign in to TripLedger, open My statements "
                "and choose \"Check a statement\".")
    else:
        hint = (f"To check it, upload it on the Reports page of {deployment.slug}, or run "
                "'flask --app wsgi report verify FILE'.")
    ctx = report_context.build_context(
        disclosure,
        placements=[p.as_json() for p in deployments.placement_stats(session, deployment)],
        chain_head=(head.seq, head.hash), scope_label=scope.label, generated_at=made_at,
        signer=key.subject if key else None, verify_hint=hint,
        facts=page_facts.read(session, deployment, disclosure,
                              prepared_by=prepared_by or "not recorded"))
    try:
        rendered = render.render_pdf(ctx, workers=int(setting("REPORT_WORKERS")),
                                     time_limit=int(setting("REPORT_TIME_LIMIT")), nice=nice,
                                     progress=progress)
    except render.RenderTimeout as exc:
        raise ReportFailed(f"The report took too long to render ({exc}). Try a narrower scope "
                           "(one state, payer or volunteer).") from exc
    except render.RenderFailed as exc:
        raise ReportFailed(f"The report could not be rendered: {exc}.") from exc
    progress(0.94, "Embedding the ledger and the data")
    pdf = pdfa.finish(rendered.pdf, disclosure=disclosure, made_at=made_at,
                      outline=None if rendered.whole else rendered.starts,
                      audit_head=audit_anchors.report_value(head))
    if key is not None:
        progress(0.97, "Signing")
        pdf = signing.sign(pdf, key, reason=f"TripLedger disclosure, data fingerprint "
                                            f"{disclosure.get('fingerprint')}",
                           location=deployment.slug)
    return pdf, rendered.pages, key
