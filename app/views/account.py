"""Everyone's own account: where they are logged in, and their API tokens.

"Sign out everywhere" ends every session of the account, this one included. A new token is
shown once, on the page that answers the form (never in a flash message: Flask keeps those
in the cookie), and never again.
"""
from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user

from ..extensions import db
from ..forms import ConfirmForm
from ..forms.account import TokenForm
from ..models import Role
from ..security import SESSION_ID_KEY, end_session, gate
from ..services import audit, sessions, tokens
from ..services.errors import DomainError
from .common import show_error

bp = Blueprint("account", __name__, url_prefix="/account")
gate(bp, Role.VOLUNTEER, Role.ORGANISER, Role.AUDITOR, Role.ADMIN)


def _token_form() -> TokenForm:
    scopes = {s: tokens.SCOPES[s] for s in tokens.ROLE_SCOPES[current_user.role]}
    form = TokenForm().for_scopes(scopes)
    if not form.is_submitted():
        form.days.data = tokens.default_days()
    return form


def _page(form, *, new_token=None, status=200):
    response = current_app.make_response((render_template(
        "account/index.html", form=form, confirm_form=ConfirmForm(), new_token=new_token,
        sessions=sessions.live_sessions(db.session, current_user, session.get(SESSION_ID_KEY)),
        tokens=[(t, tokens.state(t)) for t in tokens.tokens_of(db.session, current_user)],
        idle_minutes=current_app.config["SESSION_IDLE_MINUTES"]), status))
    response.headers["Cache-Control"] = "no-store"  # a new token is on it
    return response


@bp.get("/")
def index():
    return _page(_token_form())


@bp.post("/sign-out-everywhere")
def sign_out_everywhere():
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("account.index"))
    audit.act_as(db.session, current_user)
    ended = sessions.end_all(db.session, current_user)
    end_session()  # commits
    flash(f"You are signed out everywhere ({ended} session(s) ended). Log in again here.",
          "info")
    return redirect(url_for("auth.login"))


@bp.post("/tokens")
def new_token():
    form = _token_form()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        raw = tokens.issue(db.session, current_user, actor=current_user, name=form.name.data,
                           scopes=[form.scope.data], days=form.days.data)
    except DomainError as exc:
        show_error(form, exc)
        return _page(form, status=422)
    db.session.commit()
    return _page(_token_form(), new_token=raw, status=201)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("account.index"))
    token = tokens.revoke(db.session, current_user, token_id, actor=current_user)
    db.session.commit()
    flash(f"The token {token.prefix}… ({token.name or 'no name'}) is revoked: it stops "
          "working now.", "success")
    return redirect(url_for("account.index"))
