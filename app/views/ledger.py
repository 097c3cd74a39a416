"""The cost ledger: payers, costs, exchange rates, totals, imports and exports
(organisers; auditors read)."""
from flask import Blueprint

from ..models import Role
from ..security import gate

bp = Blueprint("ledger", __name__, url_prefix="/organiser/deployments/<slug>/ledger")
gate(bp, Role.ORGANISER, Role.ADMIN, read_only=(Role.AUDITOR,))
