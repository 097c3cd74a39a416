"""The JSON API (``/api/v1``): bearer tokens, JSON in and out, JSON errors."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, g, jsonify, request

from ..extensions import csrf, db
from ..services import accounts, audit, deployments
from ..services.errors import DomainError, PermissionDenied

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Tokens, not cookies, authenticate here, so a forged cross-site request carries no credentials.
csrf.exempt(bp)


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


def token_required(*roles):
    """Authenticate ``Authorization: Bearer TOKEN``; optionally require one of ``roles``."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
            user = accounts.user_for_token(db.session, raw.strip()) \
                if scheme.lower() == "bearer" else None
            if user is None:
                raise Unauthorized("Send a valid API token as 'Authorization: Bearer TOKEN'.")
            if roles and user.role not in roles:
                raise PermissionDenied("This token's account may not do that.")
            g.api_user = user
            audit.act_as(db.session, user)
            return view(*args, **kwargs)
        return wrapper
    return decorator


@bp.get("/me")
@token_required()
def me():
    user = g.api_user
    return jsonify(email=user.email, full_name=user.full_name, role=user.role.value)


@bp.get("/deployments/<slug>")
def deployment(slug: str):
    found = deployments.get_deployment(db.session, slug)
    return jsonify(slug=found.slug, name=found.name, status=found.status.value,
                   requires_approval=found.requires_approval,
                   keeps_waitlist=found.keeps_waitlist,
                   placements=[p.as_json() for p in deployments.placement_stats(db.session, found)])
