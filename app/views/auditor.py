"""The auditors' area: the state of the audit chain, findings per deployment, latest events."""
from flask import Blueprint, render_template
from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, Deployment, Role
from ..security import gate
from ..services import audit
from ..services.compliance.review import counts_by_code

bp = Blueprint("auditor", __name__, url_prefix="/audit")
gate(bp, Role.AUDITOR, Role.ADMIN)


@bp.get("/")
def dashboard():
    check = audit.verify_chain(db.session)
    latest = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(50)).all()
    found = db.session.scalars(select(Deployment).order_by(Deployment.starts_on.desc(),
                                                           Deployment.name)).all()
    return render_template("auditor/dashboard.html", check=check, events=latest,
                           deployments=found, counts=counts_by_code(db.session))
