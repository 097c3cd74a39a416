"""Pages anyone may see: open deployments and their spots, and the health check."""
import logging

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..services import deployment_status, deployments

logger = logging.getLogger(__name__)
bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    open_now = deployments.open_deployments(db.session)
    stats = deployments.stats_by_deployment(db.session, [d.id for d in open_now])
    return render_template("public/index.html", deployments=open_now, stats=stats)


@bp.get("/deployments/<slug>")
def deployment(slug: str):
    found = deployment_status.check_visible(deployments.get_current(db.session, slug),
                                            current_user)
    return render_template("public/deployment.html", deployment=found,
                           refusal=deployment_status.why_no_claims(found),
                           placements=deployments.placement_stats(db.session, found))


@bp.get("/healthz")
def healthz():
    """For load balancers: 200 only when the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        logger.exception("Health check: database unreachable")
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database=db.engine.dialect.name)
