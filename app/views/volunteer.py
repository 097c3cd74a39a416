"""The volunteer's own area."""
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Role, Signup
from ..security import gate

bp = Blueprint("volunteer", __name__, url_prefix="/me")
gate(bp, Role.VOLUNTEER)


@bp.get("/")
def home():
    volunteer = current_user.volunteer
    signups = db.session.scalars(select(Signup).where(Signup.volunteer_id == volunteer.id)
                                 .order_by(Signup.created_at.desc())).all() if volunteer else []
    return render_template("volunteer/home.html", volunteer=volunteer, signups=signups)
