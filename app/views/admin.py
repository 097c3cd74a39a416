"""The administrators' area: users and roles."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..forms import RoleForm
from ..models import Role, User
from ..security import gate
from ..services import accounts

bp = Blueprint("admin", __name__, url_prefix="/admin")
gate(bp, Role.ADMIN)


@bp.get("/users")
def users():
    rows = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("admin/users.html", users=rows, form=RoleForm())


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    user = db.session.get(User, user_id) or abort(404, "No such user.")
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose one of the roles.", "error")
    elif user.id == current_user.id:
        flash("You cannot change your own role; ask another administrator.", "error")
    else:
        accounts.set_role(db.session, user, Role(form.role.data), actor=current_user)
        db.session.commit()
        flash(f"{user.email} is now {user.role.label.lower()}.", "success")
    return redirect(url_for("admin.users"))
