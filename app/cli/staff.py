"""``staff add|remove|list``: which organisers run a deployment."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import accounts, deployments, staff
from .core import commits

staff_cli = AppGroup("staff", help="Which organisers are on a deployment's staff.")


@staff_cli.command("add")
@click.argument("slug")
@click.argument("email")
@commits
def staff_add(slug: str, email: str):
    """Put the organiser EMAIL on the staff of deployment SLUG."""
    deployment = deployments.get_deployment(db.session, slug)
    user = accounts.get_user(db.session, email)
    staff.add_member(db.session, deployment, user, actor=None)
    click.echo(f"{user.email} is on the staff of {deployment.slug}.")


@staff_cli.command("remove")
@click.argument("slug")
@click.argument("email")
@commits
def staff_remove(slug: str, email: str):
    """Take EMAIL off the staff of deployment SLUG."""
    deployment = deployments.get_deployment(db.session, slug)
    user = accounts.get_user(db.session, email)
    staff.remove_member(db.session, deployment, user, actor=None)
    click.echo(f"{user.email} is no longer on the staff of {deployment.slug}.")


@staff_cli.command("list")
@click.argument("slug")
@commits
def staff_list(slug: str):
    """Print the staff of deployment SLUG, one email a line."""
    deployment = deployments.get_deployment(db.session, slug)
    for user in staff.members(db.session, deployment):
        click.echo(user.email)


GROUPS = [staff_cli]
