"""Disclosure reports: generate, list, download, verify (auditors and organisers)."""
from flask import Blueprint

from ..models import Role
from ..security import gate

bp = Blueprint("reports", __name__, url_prefix="/deployments/<slug>/reports")
gate(bp, Role.AUDITOR, Role.ORGANISER, Role.ADMIN)
