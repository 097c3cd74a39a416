"""The disclosure ledger as JSON (``/api/v1/deployments/SLUG/disclosure``): auditors and organisers.

Optional scope (one at most): ``?state=NC``, ``?payer_id=N`` or ``?volunteer_id=N``. The answer
carries the data's fingerprint, also as the ETag, so a client can tell whether anything changed.
"""
from flask import Blueprint, jsonify, request

from ..extensions import csrf, db
from ..models import Role
from ..services import deployments, paging
from ..services.compliance import scope as scopes
from ..services.compliance.disclosure import build_disclosure
from .api import token_required

bp = Blueprint("api_disclosure", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, not cookies (see api.py)


@bp.get("/deployments/<slug>/disclosure")
@token_required(Role.AUDITOR, Role.ORGANISER, Role.ADMIN, scope="disclosure:read")
def disclosure(slug: str):
    found = deployments.get_deployment(db.session, slug)
    args = request.args
    scope = scopes.resolve(db.session, found,
                           state=paging.text_arg(args.get("state"), "state", max_length=20),
                           payer_id=paging.id_arg(args.get("payer_id"), "payer_id"),
                           volunteer_id=paging.id_arg(args.get("volunteer_id"), "volunteer_id"))
    data = build_disclosure(db.session, found, scope)
    response = jsonify(data)
    response.set_etag(data["fingerprint"])
    return response
