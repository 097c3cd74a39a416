"""One blueprint per audience or subject; each is gated by role once, in its module."""
from flask import Flask

from . import (admin, api, auditor, auth, compliance, housing, ledger, organiser, public, reports,
               statements, volunteer)

_MODULES = (public, auth, volunteer, statements, organiser, housing, ledger, compliance, reports,
            auditor, admin, api)


def register_blueprints(app: Flask) -> None:
    for module in _MODULES:
        app.register_blueprint(module.bp)
