"""Log in, log out, register."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..forms import ConfirmForm, LoginForm, RegisterForm
from .common import show_error
from ..security import home_for, safe_next
from ..services import accounts
from ..services.errors import EmailTaken, ValidationFailed

bp = Blueprint("auth", __name__)

_GENERIC_LOGIN_ERROR = "That email and password do not match an account."


def _login_rate() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _start_session(user) -> None:
    """A fresh session on every login, so nothing from before carries over."""
    session.clear()
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            db.session.rollback()
            form.password.errors = [_GENERIC_LOGIN_ERROR]
        else:
            db.session.commit()
            _start_session(user)
            flash(f"Welcome, {user.full_name}.", "success")
            return redirect(safe_next(form.next.data, url_for(home_for(user))))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_rate, methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_volunteer(db.session, email=form.email.data,
                                               full_name=form.full_name.data,
                                               password=form.password.data)
        except (ValidationFailed, EmailTaken) as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            _start_session(user)
            flash("Your account is ready. Declare your details before you claim a spot.",
                  "success")
            return redirect(url_for("volunteer.home"))
    return render_template("auth/register.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("public.index"))


@bp.app_context_processor
def _layout_context():
    """The layout's logout button needs a CSRF-protected form."""
    # formdata=None: never read the request body here — an error page for an oversized
    # upload (413) renders this layout too.
    return {"logout_form": ConfirmForm(formdata=None) if current_user.is_authenticated else None}
