"""A volunteer's own disclosure statement (PDF): theirs, and no one else's.

No URL here names a volunteer: the statement is always the logged-in volunteer's own, so
there is nothing to change in a link to reach someone else's.
"""
from flask import Blueprint, render_template
from flask_login import current_user

from ..extensions import db
from ..models import Role
from ..security import gate
from ..services import deployments
from ..services.compliance import scope as scopes
from ..services.errors import NotFound
from ..services.reports import render, service, statements
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
