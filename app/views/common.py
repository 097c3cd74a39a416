"""Small pieces every blueprint's views share."""
from flask import flash

from ..extensions import db
from ..services.errors import DomainError


def show_error(form, exc: DomainError) -> None:
    """Undo the failed change, then show the service's message beside its field (or as a flash)."""
    db.session.rollback()
    if not form.apply_domain_error(exc):
        flash(exc.message, "error")
