"""A volunteer's own disclosure statement (PDF): theirs, and no one else's.

No URL here names a volunteer: the statement is always the logged-in volunteer's own, so
there is nothing to change in a link to reach someone else's.
"""
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import or_, select

from ..extensions import db
from ..models import Cost, Deployment, Role, Signup
from ..security import gate
from ..services import deployments
from ..services.errors import NotFound
from ..services.reports import render, scope as scopes, service
from .reports import send_pdf

bp = Blueprint("statements", __name__, url_prefix="/me/statements")
gate(bp, Role.VOLUNTEER)


def _own_deployments() -> list[Deployment]:
    volunteer = current_user.volunteer
    if volunteer is None:
        return []
    involved = or_(
        Deployment.id.in_(select(Signup.deployment_id).where(Signup.volunteer_id == volunteer.id)),
        Deployment.id.in_(select(Cost.deployment_id).where(Cost.volunteer_id == volunteer.id)))
    return db.session.scalars(select(Deployment).where(involved)
                              .order_by(Deployment.starts_on.desc())).all()


@bp.get("/")
def index():
    render.warm(int(service.setting("REPORT_WORKERS")))  # a download is likely to follow
    return render_template("reports/statements.html", deployments=_own_deployments())


@bp.get("/<slug>.pdf")
def download(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    if current_user.volunteer is None:
        raise NotFound("Your account has no volunteer record, so there is no statement.")
    scope = scopes.for_volunteer(db.session, deployment, current_user.volunteer)
    issued = service.issue(db.session, deployment, scope, actor=current_user)
    db.session.commit()
    return send_pdf(issued.pdf, f"statement-{slug}-{issued.report.id}.pdf")
