"""The auditors' area: the state of the audit chain, findings per deployment, latest events."""
from flask import Blueprint, render_template

from ..extensions import db
from ..models import Role
from ..security import gate
from ..services import audit, audit_anchors, deployments
from ..services.compliance.review import counts_by_code
from ..services.errors import DomainError

bp = Blueprint("auditor", __name__, url_prefix="/audit")
gate(bp, Role.AUDITOR, Role.ADMIN)


@bp.get("/")
def dashboard():
    try:
        check = audit_anchors.check(db.session)
    except DomainError as exc:  # an altered checkpoint or an unreadable keyring: say so here
        check = audit.ChainCheck(False, 0, "", problem=exc.message)
    return render_template("auditor/dashboard.html", check=check,
                           events=audit.latest_events(db.session, 50),
                           deployments=deployments.all_deployments(db.session),
                           counts=counts_by_code(db.session))
