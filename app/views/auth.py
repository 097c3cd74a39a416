"""Log in, log out, register."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..forms import ConfirmForm, ForgotPasswordForm, LoginForm, RegisterForm, SetPasswordForm
from .common import show_error
from ..security import home_for, safe_next
from ..services import accounts, paging, password_links
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
        form.next.data = paging.text_arg(request.args.get("next"), "next", max_length=2000) or ""
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


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_login_rate, methods=["POST"])
def forgot_password():
    """Ask for a link to set a new password. The answer is the same whether or not an
    account has the address, and the message is sent from the outbox (``jobs run``), not
    during the request, so neither the words nor the time tell."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_links.request_reset(db.session, form.email.data)
        db.session.commit()
        flash("If an account has that address, a link to set a new password is on its way. "
              "It works once, within an hour.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), 200 if not form.errors else 422


def _set_password_page(token: str, purpose, title: str, done: str):
    try:
        user = password_links.user_for(db.session, token, purpose)
    except password_links.LinkRefused as exc:
        db.session.rollback()
        return render_template("auth/link_refused.html", message=exc.message), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            password_links.set_password_by_link(db.session, token, purpose, form.password.data)
        except ValidationFailed as exc:
            db.session.rollback()
            form.password.errors = [exc.message]
        else:
            db.session.commit()
            flash(done, "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, title=title,
                           email=user.email), 200 if not form.errors else 422


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_rate, methods=["POST"])
def reset_password(token: str):
    return _set_password_page(token, password_links.RESET, "Set a new password",
                              "Your new password is set. Log in with it.")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_login_rate, methods=["POST"])
def accept_invitation(token: str):
    return _set_password_page(token, password_links.INVITE, "Choose your password",
                              "Your password is set. Log in with it.")


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
