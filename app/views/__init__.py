"""One blueprint per audience or subject; each is gated by role once, in its module."""
from flask import Flask

from . import (account, admin, api, api_disclosure, auditor, auth, compliance, housing, ledger,
               organiser, public, reports, statements, volunteer)

_MODULES = (public, auth, volunteer, statements, organiser, housing, ledger, compliance, reports,
            auditor, admin, account, api, api_disclosure)


def register_blueprints(app: Flask) -> None:
    for module in _MODULES:
        app.register_blueprint(module.bp)
