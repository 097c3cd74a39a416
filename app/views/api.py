"""The JSON API (``/api/v1``): bearer tokens, JSON in and out, JSON errors."""
from __future__ import annotations

from functools import wraps

from datetime import date

from flask import Blueprint, current_app, g, jsonify, request

from ..extensions import csrf, db
from ..models import Role, SignupStatus
from ..services import (audit, deployment_status, deployments, json_body, signups,
                        spots, staff, tokens)
from ..services.errors import PermissionDenied

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Tokens, not cookies, authenticate here, so a forged cross-site request carries no credentials.
csrf.exempt(bp)


def token_required(*roles, scope: str | None = None):
    """Authenticate ``Authorization: Bearer TOKEN``; optionally require one of ``roles`` and a
    token issued with ``scope`` (``services.tokens.SCOPES``). An organiser reaches a
    deployment (``slug``) only when on its staff. Refusals are JSON: 401 for a missing,
    unknown, revoked or expired token, 403 for a role, scope or deployment it cannot use."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
            token = tokens.authenticate(db.session, raw.strip() if scheme.lower() == "bearer"
                                        else None)
            user = token.user
            if roles and user.role not in roles:
                raise PermissionDenied("This token's account may not do that.")
            if scope is not None:
                tokens.require_scope(token, scope)
            if "slug" in kwargs:  # an organiser only in the deployments they are staff of
                staff.check_access(db.session, user, kwargs["slug"])
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


def _json_body() -> dict:
    """The request's JSON object, within the size and depth limits (``json_body``)."""
    limit = int(current_app.config["API_MAX_JSON_BYTES"])
    if (request.content_length or 0) > limit:  # refused unread
        raise json_body.BodyTooLarge(f"The request body is {request.content_length:,} bytes; "
                                     f"at most {limit:,} are accepted.")
    return json_body.parse_object(request.stream.read(limit + 1), max_bytes=limit,
                                  max_depth=int(current_app.config["API_MAX_JSON_DEPTH"]))


def _date(body: dict, key: str) -> date | None:
    value = body.get(key)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise signups.InvalidDates(f"{key} must be a date like 2024-10-20.", field=key) from None


def _claim_json(signup, position=None) -> dict:
    body = {"status": signup.status.value, "state": signup.placement.state_code,
            "role": signup.role.value, "arrive_on": signup.arrive_on.isoformat(),
            "depart_on": signup.depart_on.isoformat(), "id": signup.id}
    if signup.status is SignupStatus.WAITLISTED:
        body["position"] = position or spots.waitlist_position(db.session, signup)
    if signup.offer_expires_at:
        body["offer_expires_at"] = signup.offer_expires_at.isoformat()
    return body


def _my_claim(slug: str):
    found = deployment_status.check_visible(deployments.get_current(db.session, slug),
                                            g.api_user)
    signup = signups.active_signup(db.session, found, g.api_user.volunteer)
    if signup is None:
        raise signups.NoClaim("You have no active claim in this deployment.")
    return signup


@bp.post("/deployments/<slug>/placements/<state>/claims")
@token_required(Role.VOLUNTEER, scope="claims")
def claim(slug: str, state: str):
    """Claim a spot: 201 confirmed|pending_approval, 202 waitlisted with position, 409 …"""
    body = _json_body()
    found = deployment_status.check_visible(deployments.get_current(db.session, slug),
                                            g.api_user)
    result = signups.claim_spot(
        db.session, deployment=found, volunteer=g.api_user.volunteer, state=state,
        role=body.get("role") or "canvasser", arrive_on=_date(body, "arrive_on"),
        depart_on=_date(body, "depart_on"), attest=body.get("attestation") is True,
        actor=g.api_user)
    answer = _claim_json(result.signup, result.position)  # before commit expires the objects
    db.session.commit()
    return jsonify(answer), 202 if answer["status"] == SignupStatus.WAITLISTED.value else 201


@bp.get("/deployments/<slug>/claims/mine")
@token_required(Role.VOLUNTEER, scope="claims:read")
def my_claim(slug: str):
    return jsonify(_claim_json(_my_claim(slug)))


@bp.delete("/deployments/<slug>/claims/mine")
@token_required(Role.VOLUNTEER, scope="claims")
def withdraw(slug: str):
    """Withdraw; a freed spot is offered to the next person on the waitlist."""
    answer = _claim_json(signups.withdraw(db.session, _my_claim(slug), actor=g.api_user))
    db.session.commit()
    return jsonify(answer)


@bp.post("/deployments/<slug>/claims/mine/accept")
@token_required(Role.VOLUNTEER, scope="claims")
def accept_offer(slug: str):
    answer = _claim_json(signups.accept_offer(db.session, _my_claim(slug), actor=g.api_user))
    db.session.commit()
    return jsonify(answer)


@bp.get("/deployments/<slug>")
def deployment(slug: str):
    found = deployment_status.check_visible(deployments.get_current(db.session, slug), None)
    return jsonify(slug=found.slug, name=found.name, status=found.status.value,
                   requires_approval=found.requires_approval,
                   keeps_waitlist=found.keeps_waitlist,
                   placements=[p.as_json() for p in deployments.placement_stats(db.session, found)])
