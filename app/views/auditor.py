"""The auditors' area: the state of the audit chain and the latest events."""
from flask import Blueprint, render_template
from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, Role
from ..security import gate
from ..services import audit

bp = Blueprint("auditor", __name__, url_prefix="/audit")
gate(bp, Role.AUDITOR, Role.ADMIN)


@bp.get("/")
def dashboard():
    check = audit.verify_chain(db.session)
    latest = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(50)).all()
    return render_template("auditor/dashboard.html", check=check, events=latest)
