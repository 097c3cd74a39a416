"""Findings and their review (auditors review; organisers and admins read)."""
from flask import Blueprint

from ..models import Role
from ..security import gate

bp = Blueprint("compliance", __name__, url_prefix="/deployments/<slug>/findings")
gate(bp, Role.AUDITOR, Role.ADMIN, read_only=(Role.ORGANISER,))
