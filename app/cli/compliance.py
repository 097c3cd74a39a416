"""``compliance recompute SLUG`` and ``compliance activate VERSION``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import deployments
from ..services.compliance import store, sync
from .core import commits

compliance_cli = AppGroup("compliance", help="Findings and the rule set in force.")


@compliance_cli.command("recompute")
@click.argument("slug")
@commits
def recompute(slug: str):
    """Recompute every finding of deployment SLUG (normally they are never stale)."""
    deployment = deployments.get_deployment(db.session, slug)
    count = sync.recompute_deployment(db.session, deployment)
    click.echo(f"Findings of {deployment.slug} recomputed ({count} volunteers).")


@compliance_cli.command("activate")
@click.argument("version")
@click.option("--note", default="", help="Why this rule set is put in force.")
@commits
def activate(version: str, note: str):
    """Put rule-set VERSION in force; every finding is recomputed in the same transaction."""
    store.activate_rule_set(db.session, version=version, actor=None, note=note)
    click.echo(f"Rule set {version} is in force.")


GROUPS = [compliance_cli]
