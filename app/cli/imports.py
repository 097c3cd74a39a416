"""``import volunteers|costs SLUG FILE.csv [--dry-run]`` (DESIGN.md's spreadsheet formats).

Each import is all or nothing: any bad row and nothing is written; every bad row is printed
with its line number, column and reason, and the command exits with status 1. A dry run of
costs also prints what the compliance rules in force would record that needs review.
"""
from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import costs_import, csv_import, deployments, volunteers_import
from .core import commits

import_cli = AppGroup("import", help="Spreadsheets in: all or nothing, with --dry-run.")

_FILE = click.Path(exists=True, dir_okay=False, readable=True)


@import_cli.command("costs")
@click.argument("slug")
@click.argument("path", metavar="FILE.csv", type=_FILE)
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--again", is_flag=True,
              help="Import a file although the very same file was imported before.")
@commits
def import_costs(slug: str, path: str, dry_run: bool, again: bool):
    """Add the cost lines of a costs.csv to deployment SLUG."""
    deployment = deployments.get_deployment(db.session, slug)
    data = csv_import.read_path(path)
    result = costs_import.import_costs(db.session, deployment, data, actor=None,
                                       filename=os.path.basename(path), dry_run=dry_run,
                                       again=again)
    payers = ", ".join(f"{p['name']} ({p['kind'].value}"
                       f"{', ' + p['org_type'].value if p['org_type'] else ''})"
                       for p in result.new_payers)
    for earlier in result.imported_before if dry_run else ():
        click.echo(f"Warning: {earlier.describe()}; importing it again adds its lines twice "
                   "(--again).")
    if dry_run:
        db.session.rollback()  # belt and braces: a dry run leaves nothing behind
        click.echo(f"Dry run: {len(result.lines)} rows of {result.filename} are fine "
                   f"({result.total_usd} USD); nothing was written.")
    else:
        click.echo(f"Imported {result.written} cost lines into {deployment.slug} "
                   f"({result.total_usd} USD).")
    if payers:
        click.echo(f"{'New payers would be' if dry_run else 'New payers added'}: {payers}")
    if result.warnings:
        counts = ", ".join(f"{code} {n}" for code, n in result.warning_counts.items())
        click.echo(f"Importing would record {len(result.warnings)} findings that need review "
                   f"({counts}):")
        for warning in result.warnings:
            click.echo(f"  line {warning['line']}: {warning['code']} ({warning['rule']}) "
                       f"{warning['reason']}")


@import_cli.command("volunteers")
@click.argument("slug")
@click.argument("path", metavar="FILE.csv", type=_FILE)
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@commits
def import_volunteers(slug: str, path: str, dry_run: bool):
    """Create the volunteers of a volunteers.csv, their accounts and their claims in SLUG."""
    deployment = deployments.get_deployment(db.session, slug)
    result = volunteers_import.import_volunteers(db.session, deployment, csv_import.read_path(path),
                                                 actor=None, filename=os.path.basename(path))
    if dry_run:
        db.session.rollback()  # the claims really ran, so the report is exact; now undo them
        click.echo(f"Dry run: {result.filename} is fine: {result.describe()}; nothing was written.")
    else:
        click.echo(f"Imported {result.filename}: {result.describe()}.")


GROUPS = [import_cli]
