"""A volunteer's own disclosure statement (PDF): theirs, and no one else's."""
from flask import Blueprint

from ..models import Role
from ..security import gate

bp = Blueprint("statements", __name__, url_prefix="/me/statements")
gate(bp, Role.VOLUNTEER)
