"""``audit verify [--against FILE …]``, ``audit checkpoint [-o FILE]``, ``audit rotate-key``,
``audit grant-app-role ROLE [--sql]``: the audit chain, its key, its anchors outside the
database, and the restricted PostgreSQL role."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import create_engine

from ..extensions import db
from ..services import audit, audit_anchors, audit_keys, pg_roles
from ..services.errors import DomainError

audit_cli = AppGroup("audit", help="The audit chain: verify it, anchor it, rotate its key.")


def _explain(check: audit.ChainCheck) -> None:
    click.echo(f"Audit chain intact: {check.events} events, head {check.head_hash}.")
    if check.legacy:
        click.echo(f"{check.legacy} event(s) made before the chain was keyed keep a plain "
                   "SHA-256 (key id 'legacy'): they are only as trustworthy as the database "
                   "was then.")
    if check.key_ids:
        click.echo(f"Keyed with: {', '.join(check.key_ids)}.")
    for anchor in check.anchored:
        click.echo(f"Extends {anchor.source}: event {anchor.seq}.")


@audit_cli.command("verify")
@click.option("--against", "files", multiple=True, type=click.Path(dir_okay=False),
              help="A disclosure report (PDF) or an audit checkpoint (JSON) whose recorded "
                   "head the chain must still hold (may be given more than once).")
def audit_verify(files):
    """Exit 0 if the audit chain is intact (and extends every anchor), else name the first
    bad event and exit 1.

    Each event's HMAC is checked with the audit keyring; the chain must still hold the head
    recorded in this server's checkpoint (instance/audit/checkpoint.json, if any) and in each
    --against file.
    """
    try:
        check = audit_anchors.check(db.session, [Path(f) for f in files])
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        db.session.rollback()
    if check.ok:
        _explain(check)
        return
    click.echo(f"Audit chain BROKEN at event {check.first_bad_seq}: {check.problem}.", err=True)
    sys.exit(1)


@audit_cli.command("checkpoint")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Also write the checkpoint here (e.g. somewhere off this machine).")
def audit_checkpoint(output):
    """Verify the chain, then record its head in instance/audit/checkpoint.json, signed with
    the report signing key when there is one. ``jobs run`` does this too."""
    try:
        made = audit_anchors.write_checkpoint(db.session, Path(output) if output else None)
    except audit_anchors.ChainBroken as exc:
        click.echo(f"{exc.message} No checkpoint written.", err=True)
        sys.exit(1)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        db.session.rollback()
    click.echo(f"Checkpoint: event {made.anchor.seq}, HMAC {made.anchor.hash}, "
               f"{'signed by ' + made.signer if made.signer else 'not signed (no signing key)'}"
               f" → {made.path}")


@audit_cli.command("rotate-key")
def audit_rotate_key():
    """Make a new audit key for new events; the old one stays in the keyring, so the events
    it made still verify."""
    try:
        old, new = audit_keys.rotate(current_app.config, current_app.instance_path)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"New events are keyed with {new}; {old} stays in the keyring "
               f"({audit_keys.keyring_path(current_app.instance_path)}) so older events "
               "still verify. Back the keyring up with the database.")


@audit_cli.command("grant-app-role")
@click.argument("role")
@click.option("--sql", "only_sql", is_flag=True, help="Print the statements; change nothing.")
def audit_grant_app_role(role, only_sql):
    """PostgreSQL: give ROLE (an existing role that owns nothing) what the app needs — and on
    the audit tables only INSERT and SELECT (the head: SELECT and UPDATE). Runs as the tables'
    owner: MIGRATION_DATABASE_URL, else DATABASE_URL. Point DATABASE_URL at ROLE afterwards."""
    try:
        statements = pg_roles.grant_statements(role)
        if only_sql:
            click.echo(";\n".join(statements) + ";")
            return
        url = pg_roles.owner_url(current_app.config)
        engine = create_engine(url) if url else db.engine
        try:
            with engine.begin() as connection:
                statements = pg_roles.grant_app_role(connection, role)
        finally:
            if url:
                engine.dispose()
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{role} may now use the app's tables; on audit_events only INSERT and SELECT, "
               f"on audit_head only SELECT and UPDATE ({len(statements)} statements).")


GROUPS = [audit_cli]
