"""Disclosure reports: generate, list, download, verify (auditors and organisers)."""
from __future__ import annotations

from io import BytesIO

from flask import (Blueprint, current_app, flash, jsonify, redirect, render_template, request,
                   send_file, url_for)
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..forms.reports import GenerateReportForm, VerifyReportForm
from ..models import Report, ReportStatus, Role
from ..security import gate
from ..services import deployments, paging
from ..services.compliance import fec, scope as scopes
from ..services.errors import DomainError, NotFound
from ..services.reports import render, service, signing, verify as checks

bp = Blueprint("reports", __name__, url_prefix="/deployments/<slug>/reports")
gate(bp, Role.AUDITOR, Role.ORGANISER, Role.ADMIN)


def send_pdf(pdf: bytes, name: str):
    response = send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=name, max_age=0)
    # Personal data: never kept by a shared cache or the browser's disk cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def file_name(deployment_slug: str, report: Report) -> str:
    part = report.scope.value if report.scope_value is None else \
        f"{report.scope.value}-{report.scope_value}"
    return f"disclosure-{deployment_slug}-{part}-{report.id}.pdf"


def _recent(deployment_id: int) -> list[Report]:
    return db.session.scalars(select(Report).where(Report.deployment_id == deployment_id)
                              .order_by(Report.id.desc()).limit(50)).all()


@bp.get("/")
def index(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    render.warm(int(service.setting("REPORT_WORKERS")))  # a report is likely to follow
    reports = _recent(deployment.id)
    return render_template("reports/index.html", deployment=deployment, reports=reports,
                           stalled={r.id for r in reports if service.is_stalled(r)},
                           form=GenerateReportForm(), signing_key=service.signing_key(),
                           **_fec_section(deployment))


def _fec_section(deployment) -> dict:
    """The FEC export's section: the form chosen (``?fec_form=``) and what the file holds."""
    choices = fec.forms(db.session)
    wanted = paging.choice_arg((request.args.get("fec_form") or "").upper(), choices,
                               "fec_form")
    export = fec.build(db.session, deployment, form=wanted)
    return {"fec_forms": choices, "fec_export": export}


@bp.post("/")
def generate(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    form = GenerateReportForm()
    if not form.validate_on_submit():
        errors = [e for field in form for e in field.errors]
        flash("; ".join(errors) or "Choose what the report should cover.", "error")
        return redirect(url_for("reports.index", slug=slug))
    try:
        scope = scopes.resolve(db.session, deployment, **form.scope_arguments())
        result = service.request_report(db.session, deployment, scope, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("reports.index", slug=slug))
    db.session.commit()
    report = result.report
    if isinstance(result, service.Issued):
        flash(f"Report #{report.id} is ready.", "success")
    elif result.problem:
        flash(result.problem, "error")
    else:
        flash(f"Report #{report.id} is big: it is being made in the background. This page "
              "shows its progress.", "info")
    return redirect(url_for("reports.index", slug=slug, _anchor=f"report-{report.id}"))


@bp.get("/disclosure.pdf")
def disclosure_pdf(slug: str):
    """The disclosure PDF; ``?state=NC``, ``?payer=ID|NAME`` or ``?volunteer=ID|EMAIL``."""
    deployment = deployments.get_deployment(db.session, slug)
    unknown = set(request.args) - {"state", "payer", "volunteer"}
    if unknown:
        raise NotFound(f"Unknown scope {sorted(unknown)[0]!r}: use state, payer or volunteer.")
    scope = scopes.resolve(db.session, deployment, **{
        name: paging.text_arg(request.args.get(name), name, max_length=254)
        for name in ("state", "payer", "volunteer")})
    result = service.request_report(db.session, deployment, scope, actor=current_user)
    db.session.commit()
    report = result.report
    if isinstance(result, service.Issued):
        return send_pdf(result.pdf, file_name(slug, report))
    if result.problem:
        raise service.QueueUnavailable(result.problem)
    flash(f"This report is big: report #{report.id} is being made in the background; "
          "download it here when it is done.", "info")
    return redirect(url_for("reports.index", slug=slug, _anchor=f"report-{report.id}"), 303)


def _report_of(slug: str, report_id: int) -> Report:
    deployment = deployments.get_deployment(db.session, slug)
    report = db.session.get(Report, report_id)
    if report is None or report.deployment_id != deployment.id:
        raise NotFound(f"{deployment.name} has no report #{report_id}.")
    return report


@bp.get("/<int:report_id>.pdf")
def download(slug: str, report_id: int):
    report = _report_of(slug, report_id)
    pdf = service.read_file(report) if report.status is ReportStatus.DONE else None
    if pdf is None:
        pending = report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)
        raise NotFound(f"Report #{report_id} has no file to download{' yet' if pending else ''}.")
    return send_pdf(pdf, file_name(slug, report))


@bp.get("/<int:report_id>/progress")
def progress(slug: str, report_id: int):
    """A background job's progress, for the page's progress bar."""
    report = _report_of(slug, report_id)
    return jsonify(id=report.id, status=report.status.value, progress=report.progress,
                   stage=report.stage, error=report.error, stalled=service.is_stalled(report),
                   download_url=url_for("reports.download", slug=slug, report_id=report.id)
                   if report.status is ReportStatus.DONE else None)


@bp.route("/verify", methods=["GET", "POST"])
def verify(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    form = VerifyReportForm()
    result = None
    if form.validate_on_submit():
        try:
            result = checks.verify(db.session, form.file.data.read(),
                                   issuers=signing.issuers(current_app.config,
                                                           current_app.instance_path),
                                   timestamp_roots=signing.timestamp_trust(current_app.config))
        except DomainError as exc:
            db.session.rollback()
            if not form.apply_domain_error(exc):
                flash(exc.message, "error")
        finally:
            # Verification only reads; leave nothing open.
            db.session.rollback()
    status = 422 if form.errors or (request.method == "POST" and result is None) else 200
    return render_template("reports/verify.html", deployment=deployment, form=form,
                           result=result), status
