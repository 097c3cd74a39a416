"""Housing: accommodations, stays and the night-by-night board (organisers; auditors read)."""
from flask import Blueprint

from ..models import Role
from ..security import gate

bp = Blueprint("housing", __name__, url_prefix="/organiser/deployments/<slug>/housing")
gate(bp, Role.ORGANISER, Role.ADMIN, read_only=(Role.AUDITOR,))
