"""A volunteer's own disclosure statement (PDF): theirs, and no one else's.

No URL here names a volunteer: the statement is always the logged-in volunteer's own, so
there is nothing to change in a link to reach someone else's.
"""
from flask import Blueprint, current_app, flash, render_template, request
from flask_login import current_user

from ..extensions import db
from ..models import Role
from ..security import gate
from ..services import deployments
from ..services.compliance import scope as scopes
from ..forms.reports import VerifyReportForm
from ..services.errors import DomainError, NotFound
from ..services.reports import render, service, signing, statements, verify as checks
from .reports import send_pdf

bp = Blueprint("statements", __name__, url_prefix="/me/statements")
gate(bp, Role.VOLUNTEER)


@bp.get("/")
def index():
    render.warm(int(service.setting("REPORT_WORKERS")))  # a download is likely to follow
    return render_template("reports/statements.html",
                           deployments=statements.deployments_of(db.session,
                                                                 current_user.volunteer))


@bp.get("/<slug>.pdf")
def download(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    if current_user.volunteer is None:
        raise NotFound("Your account has no volunteer record, so there is no statement.")
    scope = scopes.for_volunteer(db.session, deployment, current_user.volunteer)
    # Made now, whatever its size: one person's lines are few, and a volunteer has no page
    # that follows a background job.
    issued = service.request_report(db.session, deployment, scope, actor=current_user,
                                    background=False)
    db.session.commit()
    return send_pdf(issued.pdf, f"statement-{slug}-{issued.report.id}.pdf")


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    """Check a statement PDF: only one about the signed-in volunteer is checked; of any other
    file nothing is told but that it is not theirs."""
    form = VerifyReportForm()
    result, not_yours = None, False
    if form.validate_on_submit():
        volunteer = current_user.volunteer
        try:
            if volunteer is None:
                raise NotFound("Your account has no volunteer record, so there is no statement "
                               "to check.")
            slugs = {d.slug for d in statements.deployments_of(db.session, volunteer)}
            result = checks.verify_statement(
                db.session, form.file.data.read(), volunteer,
                issuers=signing.issuers(current_app.config, current_app.instance_path),
                timestamp_roots=signing.timestamp_trust(current_app.config),
                deployment_slugs=slugs)
            not_yours = result is None
        except DomainError as exc:
            db.session.rollback()
            if not form.apply_domain_error(exc):
                flash(exc.message, "error")
        finally:
            db.session.rollback()  # verification only reads
    failed = form.errors or (request.method == "POST" and result is None and not not_yours)
    return render_template("reports/statement_verify.html", form=form, result=result,
                           not_yours=not_yours), 422 if failed else 200
