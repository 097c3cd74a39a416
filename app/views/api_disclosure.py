"""The disclosure ledger as JSON (``/api/v1/deployments/SLUG/disclosure``): auditors and organisers."""
from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api_disclosure", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, not cookies (see api.py)
