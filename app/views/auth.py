"""Log in, log out, register, confirm an address, set a password from a link."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db, limiter
from ..forms import ConfirmForm, ForgotPasswordForm, LoginForm, RegisterForm, SetPasswordForm
from .common import show_error
from ..security import end_session, home_for, safe_next, start_session
from ..services import accounts, paging, password_links, throttle
from ..services.errors import ValidationFailed

bp = Blueprint("auth", __name__)

_GENERIC_LOGIN_ERROR = ("That email and password do not match an account. (Just registered? "
                        "Open the link we emailed you first.)")
_CHECK_YOUR_EMAIL = ("Check your email: we sent a message to {email} with the next step. "
                     "It can take a few minutes; look in the spam folder too.")


def _login_rate() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate, methods=["POST"])
def login():
    """Per client IP (``limiter``) and per account (``throttle``, in the database) a limited
    number of tries; the answers never tell whether an address has an account."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = paging.text_arg(request.args.get("next"), "next", max_length=2000) or ""
    status = 200
    if form.validate_on_submit():
        locked = throttle.count_attempt(db.session, form.email.data)
        user = None if locked else accounts.authenticate(db.session, form.email.data,
                                                         form.password.data)
        if locked:
            form.password.errors = [locked.message()]
            status = 429
        elif user is None:
            db.session.rollback()
            form.password.errors = [_GENERIC_LOGIN_ERROR]
        else:
            start_session(user)  # commits the login with its new session
            throttle.clear(db.session, user.email)  # after: it writes on its own connection
            flash(f"Welcome, {user.full_name}.", "success")
            return redirect(safe_next(form.next.data, url_for(home_for(user))))
    if form.errors and status == 200:
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_rate, methods=["POST"])
def register():
    """The same answer whether or not the address has an account: "check your email". A new
    address gets the link that confirms it; a taken one, a message to its owner."""
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            accounts.register_volunteer(db.session, email=form.email.data,
                                        full_name=form.full_name.data,
                                        password=form.password.data)
        except ValidationFailed as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_CHECK_YOUR_EMAIL.format(email=form.email.data.strip().lower()), "info")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form), 200 if not form.errors else 422


@bp.get("/confirm/<token>")
def confirm_email(token: str):
    """The link from the registration email: the address is the account owner's."""
    try:
        password_links.confirm_by_link(db.session, token)
    except password_links.LinkRefused as exc:
        db.session.rollback()
        return render_template("auth/link_refused.html", message=exc.message), 400
    db.session.commit()
    flash("Your address is confirmed. Log in with it and the password you chose.", "success")
    return redirect(url_for("auth.login"))


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
    end_session()
    flash("You are logged out.", "info")
    return redirect(url_for("public.index"))


@bp.app_context_processor
def _layout_context():
    """The layout's logout button needs a CSRF-protected form."""
    # formdata=None: never read the request body here — an error page for an oversized
    # upload (413) renders this layout too.
    return {"logout_form": ConfirmForm(formdata=None) if current_user.is_authenticated else None}
