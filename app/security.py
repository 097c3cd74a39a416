"""Who is asking: session login (server-side sessions), role and staff gates, safe redirects."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, Flask, abort, has_request_context, jsonify, redirect, request,
                   session, url_for)
from flask_login import current_user, login_user, logout_user

from .extensions import db, login_manager
from .models import Role, User
from .services import audit, sessions, staff


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    # "strong" drops the session when the client changes identifier (IP + user agent).
    login_manager.session_protection = "basic"

    @app.before_request
    def _attribute_changes_to_user():
        if current_user.is_authenticated:
            audit.act_as(db.session, current_user)

    @app.context_processor
    def _permissions():
        # Templates show buttons and forms only to those who may use them (read-only roles
        # see the same pages without them).
        return {"can_change": can_change()}


#: The key of the server-side session's id in Flask's (signed) session cookie.
SESSION_ID_KEY = "sid"


@login_manager.user_loader
def _load_user(login_id: str) -> User | None:
    """The logged-in user, while their server-side session is live (``services.sessions``)."""
    user_id, _, nonce = login_id.partition(":")
    if not user_id.isdigit():
        return None
    user = sessions.live_user(db.session, int(user_id), session.get(SESSION_ID_KEY))
    if user is None or not user.is_active or user.session_nonce != nonce:
        return None
    return user


def start_session(user: User) -> None:
    """Log ``user`` in on a fresh cookie: a new server-side session, nothing carried over
    from before. Commits the session's row."""
    raw = sessions.start(db.session, user, user_agent=request.headers.get("User-Agent", ""))
    db.session.commit()
    session.clear()
    session[SESSION_ID_KEY] = raw
    login_user(user)


def end_session() -> None:
    """Log out here: the server-side session is revoked, so a copy of the cookie is worthless.
    Commits."""
    sessions.end(db.session, session.get(SESSION_ID_KEY))
    db.session.commit()
    logout_user()
    session.clear()


@login_manager.unauthorized_handler
def _unauthorized():
    if (request.blueprint or "").startswith("api"):
        return jsonify(error="unauthorized", message="Send a valid API token as "
                                                     "'Authorization: Bearer TOKEN'."), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


_READS = ("GET", "HEAD", "OPTIONS")
#: Blueprint name → the roles its gate lets change things.
_CHANGERS: dict[str, tuple[Role, ...]] = {}


def can_change() -> bool:
    """May the current user change things in the current blueprint (per its gate)?"""
    if not has_request_context() or not current_user.is_authenticated:
        return False
    return current_user.role in _CHANGERS.get(request.blueprint or "", ())


def changers(blueprint: str) -> tuple[Role, ...] | None:
    """The roles that may change things in ``blueprint``; None when it has no gate."""
    return _CHANGERS.get(blueprint)


def gate(bp: Blueprint, *roles: Role, read_only: tuple[Role, ...] = ()) -> None:
    """Let only logged-in users with one of ``roles`` into every route of ``bp``.

    ``read_only`` roles (the auditor, typically) may also GET, but never change anything.
    Templates read ``can_change``: True for ``roles``, False for a read-only visitor.
    A route under a deployment (a ``slug`` in its URL) also lets an organiser in only when
    they are on that deployment's staff (``services.staff``): 403 otherwise.
    """
    _CHANGERS[bp.name] = roles

    @bp.before_request
    def _require_role():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        allowed = roles + read_only if request.method in _READS else roles
        if current_user.role not in allowed:
            abort(403, "Your account's role does not give access to this page."
                  if request.method in _READS else "Your account's role may look but not change.")
        slug = (request.view_args or {}).get("slug")
        if slug is not None:
            staff.check_access(db.session, current_user, slug)
        return None


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this site, else ``fallback`` (no open redirects)."""
    if not target or any(ch in target for ch in "\\\r\n\t") or not target.startswith("/") \
            or target.startswith("//"):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def home_for(user) -> str:
    """Where a user lands after logging in."""
    return {Role.ADMIN: "admin.users", Role.ORGANISER: "organiser.dashboard",
            Role.AUDITOR: "auditor.dashboard", Role.VOLUNTEER: "volunteer.home"}[user.role]
