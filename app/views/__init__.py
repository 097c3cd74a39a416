"""One blueprint per audience; each is gated by role once, in its module."""
from flask import Flask

from . import admin, api, auditor, auth, organiser, public, volunteer


def register_blueprints(app: Flask) -> None:
    for module in (public, auth, volunteer, organiser, auditor, admin, api):
        app.register_blueprint(module.bp)
