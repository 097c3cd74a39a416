"""Core commands: accounts, deployments, placements, demo data, periodic jobs."""
from __future__ import annotations

import logging
import os
import sys
from functools import wraps

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..models import Deployment, ElectionOffice, Role
from ..services import (accounts, audit, audit_anchors, demo, deployments, notifications,
                        sessions, spots, throttle, tokens)
from ..services.errors import DomainError

ROLE_CHOICE = click.Choice([r.value for r in Role])


def commits(command):
    """Commit when the command returns; on a domain error roll back and exit 1."""
    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            result = command(*args, **kwargs)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from exc
        db.session.commit()
        return result
    return wrapper


def exit_now(code: int = 0) -> None:
    """End a finished command at once, skipping the interpreter's teardown.

    Freeing every module and object of a process that is about to end takes a third of a
    second or more (measured on ``report disclosure``), and the operating system frees it all
    anyway. Call only when everything is done: the session committed, files written. Log
    handlers and output are flushed and database connections closed first. Under the test
    runner (TESTING) the command returns as usual: the tests run in this very process.
    """
    if current_app.testing:
        return
    logging.shutdown()
    db.session.remove()
    db.engine.dispose()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


users_cli = AppGroup("users", help="Accounts and API tokens.")
deployments_cli = AppGroup("deployments", help="Deployments.")
placements_cli = AppGroup("placements", help="Spots per state.")
demo_cli = AppGroup("demo", help="Demo data.")
jobs_cli = AppGroup("jobs", help="Periodic work (optional: the app also does it on demand).")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=ROLE_CHOICE, required=True)
@click.option("--name", "full_name", help="Full name (defaults to the part before the @).")
@commits
def users_create(email: str, role: str, full_name: str | None):
    """Create an account; the password comes from TRIPLEDGER_PASSWORD or a prompt."""
    password = os.environ.get("TRIPLEDGER_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    user = accounts.create_user(db.session, email=email, role=Role(role),
                                full_name=full_name or email.split("@")[0], password=password,
                                actor=None)
    click.echo(f"Created {user.email} ({user.role.value}).")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, e.g. \"phone bank laptop\".")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(list(tokens.SCOPES)),
              help="Repeat for more; default: what the account's role does through the API.")
@click.option("--days", type=int, help="How long it works (default API_TOKEN_DAYS, 90).")
@commits
def users_token(email: str, name: str, scopes: tuple[str, ...], days: int | None):
    """Print a new API token for EMAIL."""
    user = accounts.get_user(db.session, email)
    click.echo(accounts.issue_token(db.session, user, actor=None, name=name,
                                    scopes=list(scopes) or None, days=days))


@users_cli.command("list-tokens")
@click.argument("email")
@commits
def users_list_tokens(email: str):
    """Print EMAIL's API tokens: id, prefix, name, scope, state, last used."""
    user = accounts.get_user(db.session, email)
    for token in tokens.tokens_of(db.session, user):
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
        click.echo(f"{token.id}\t{token.prefix}…\t{token.name or '-'}\t{token.scope}\t"
                   f"{tokens.state(token).label}\t{used}")


@users_cli.command("revoke-token")
@click.argument("email")
@click.argument("token_id", type=int, required=False)
@click.option("--all", "everything", is_flag=True, help="Revoke every token of EMAIL.")
@commits
def users_revoke_token(email: str, token_id: int | None, everything: bool):
    """Revoke EMAIL's token TOKEN_ID (see list-tokens), or --all of them."""
    user = accounts.get_user(db.session, email)
    if everything == (token_id is not None):
        raise click.UsageError("Give a TOKEN_ID or --all (not both).")
    if everything:
        audit.act_as(db.session, None)
        click.echo(f"Revoked {tokens.revoke_all(db.session, user)} token(s) of {user.email}.")
        return
    token = tokens.revoke(db.session, user, token_id, actor=None)
    click.echo(f"Revoked {token.prefix}… of {user.email}.")


@users_cli.command("sign-out")
@click.argument("email")
@commits
def users_sign_out(email: str):
    """End every browser session of EMAIL (API tokens stay: see revoke-token)."""
    user = accounts.get_user(db.session, email)
    audit.act_as(db.session, None)
    ended = sessions.end_all(db.session, user)
    click.echo(f"Signed {user.email} out everywhere ({ended} session(s) ended).")


@users_cli.command("tokens")
@click.option("--role", type=ROLE_CHOICE, required=True)
@commits
def users_tokens(role: str):
    """Print "email,token" for every active user of ROLE (new tokens)."""
    for email, token in accounts.issue_tokens_for_role(db.session, Role(role), actor=None):
        click.echo(f"{email},{token}")


@deployments_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--state", "states", multiple=True, metavar="STATE:SPOTS",
              help="A placement, e.g. --state NC:25 (repeat for more states).")
@click.option("--approval", is_flag=True, help="Sign-ups need an organiser's approval.")
@click.option("--no-waitlist", is_flag=True, help="Refuse claims when a state is full.")
@click.option("--starts", type=click.DateTime(["%Y-%m-%d"]), help="First day (default today).")
@click.option("--ends", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default +30 days).")
@click.option("--election", "election_code", metavar="CODE",
              help="The election, FEC style, e.g. G2024: running totals are kept per election.")
@click.option("--office", type=click.Choice([o.value for o in ElectionOffice]),
              help="The election's office.")
@click.option("--jurisdiction", help="US, a state (NC) or a House district (NC-05).")
@click.option("--election-name", help='The election in words, e.g. "2024 general".')
@commits
def deployments_create(slug, name, states, approval, no_waitlist, starts, ends, election_code,
                       office, jurisdiction, election_name):
    """Create a deployment, open for sign-ups."""
    created = deployments.create_deployment(
        db.session, slug=slug, name=name, actor=None,
        spots=deployments.parse_state_spots(list(states)), requires_approval=approval,
        keeps_waitlist=not no_waitlist, starts_on=starts.date() if starts else None,
        ends_on=ends.date() if ends else None,
        election=deployments.Election(election_code or "", office or "", jurisdiction or "",
                                      election_name or ""))
    click.echo(f"Created {created.slug} with {len(states)} placement(s).")


@placements_cli.command("set")
@click.argument("slug")
@click.argument("state")
@click.option("--capacity", type=click.IntRange(min=0), required=True)
@commits
def placements_set(slug: str, state: str, capacity: int):
    """Create a state's placement or change its capacity."""
    found = deployments.get_deployment(db.session, slug)
    placement = deployments.set_capacity(db.session, found, state, capacity, actor=None)
    click.echo(f"{found.slug} {placement.state_code}: capacity {placement.capacity}.")


@demo_cli.command("load")
@commits
def demo_load():
    """Load the demo deployment (safe to run again) and print the demo logins."""
    summary = demo.load_demo(db.session)
    click.echo(summary.describe())


@jobs_cli.command("run")
def jobs_run():
    """Expire overdue waitlist offers (passing the spots on), send queued emails, forget
    lapsed failed-login counts, and record the audit chain's head in a signed checkpoint
    (exit 1 if the chain does not verify)."""
    try:
        expired = 0
        for deployment in db.session.scalars(db.select(Deployment)):
            expired += spots.settle_overdue_offers(db.session, deployment)
        db.session.flush()
        sent = notifications.deliver_pending(db.session)
        throttle.prune(db.session)  # failed-login counts whose window has ended
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Expired {expired} offer(s); sent {sent} email(s).")
    try:
        made = audit_anchors.write_checkpoint(db.session)
    except DomainError as exc:  # the chain is broken, or the old checkpoint is altered
        click.echo(f"{exc.message} No checkpoint written.", err=True)
        sys.exit(1)
    finally:
        db.session.rollback()
    click.echo(f"Audit checkpoint: event {made.anchor.seq}.")


GROUPS = [users_cli, deployments_cli, placements_cli, demo_cli, jobs_cli]
