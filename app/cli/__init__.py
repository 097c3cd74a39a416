"""``flask --app wsgi …`` commands (the CLI contract in DESIGN.md).

Each command calls the same services as the views, then commits once (``commits``); a domain
error is printed as a plain message with exit status 1 and nothing is written. One module per
subject; each lists its click groups in ``GROUPS`` and wraps commands in ``core.commits``.
"""
from flask import Flask

from . import audit, compliance, core, imports, reports, staff


def init_app(app: Flask) -> None:
    for module in (core, imports, compliance, reports, audit, staff):
        for group in module.GROUPS:
            app.cli.add_command(group)
