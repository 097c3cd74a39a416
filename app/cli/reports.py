"""``report disclosure SLUG -o FILE.pdf``, ``report verify FILE``, ``keys create-demo``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..services import deployments
from ..services.compliance import scope as scopes
from ..services.reports import render, service, signing, verify as checks
from .core import commits

report_cli = AppGroup("report", help="Disclosure reports.")
keys_cli = AppGroup("keys", help="The key that signs disclosure reports.")


@report_cli.command("disclosure")
@click.argument("slug")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the PDF.")
@click.option("--prepared-by", "prepared_by", required=True,
              help="Who prepares the report (a name, and an email if you like): the PDF names "
                   "them.")
@click.option("--state", help="Only this state (e.g. NC), or 'none' for the volunteers "
                              "without a sign-up.")
@click.option("--payer", help="Only this payer (its name or number).")
@click.option("--volunteer", help="Only this volunteer (email or number): their statement.")
@commits
def report_disclosure(slug, output, prepared_by, state, payer, volunteer):
    """Write the disclosure report of SLUG to a PDF file (and record it)."""
    prepared_by = " ".join(prepared_by.split())
    if not prepared_by:
        raise click.BadParameter("say who prepares the report.", param_hint="--prepared-by")
    # WeasyPrint loads in the render workers while the data is read.
    render.warm(int(service.setting("REPORT_WORKERS")))
    deployment = deployments.get_deployment(db.session, slug)
    scope = scopes.resolve(db.session, deployment, state=state, payer=payer, volunteer=volunteer)

    def progress(fraction: float, stage: str) -> None:
        click.echo(f"{int(fraction * 100):3d}% {stage}", err=True)

    # Made now, however big: the command waits for its file.
    issued = service.request_report(db.session, deployment, scope, actor=None,
                                    background=False, progress=progress,
                                    prepared_by=prepared_by)
    Path(output).write_bytes(issued.pdf)
    report = issued.report
    click.echo(f"Wrote {output}: report #{report.id}, {report.page_count} pages, "
               f"{report.byte_size} bytes, {'signed' if report.signer else 'not signed'}"
               f"{' (same data as before: stored file)' if issued.reused else ''}.")
    click.echo(f"SHA-256 {report.sha256}; data fingerprint {report.fingerprint}.")


@report_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def report_verify(file):
    """Exit 0 if FILE was issued here, its signature holds and its data is unchanged;
    1 if it is not genuine; 2 if genuine but the data has changed (or could not be checked)."""
    try:
        result = checks.verify(db.session, Path(file).read_bytes(),
                               trusted=signing.trusted_certificates(current_app.config,
                                                                    current_app.instance_path))
    except Exception as exc:
        db.session.rollback()
        message = getattr(exc, "message", None)
        if message is None:
            raise
        raise click.ClickException(message) from exc
    db.session.rollback()
    for line in result.lines():
        click.echo(line)
    if not result.genuine:
        sys.exit(1)
    if result.data != "unchanged":
        sys.exit(2)


@keys_cli.command("create-demo")
@click.option("--force", is_flag=True, help="Replace an existing demo key.")
def keys_create_demo(force):
    """Make a self-signed signing key for the demo in the instance folder."""
    try:
        key = signing.create_demo_key(current_app.instance_path, force=force)
    except FileExistsError as exc:
        raise click.ClickException(f"A demo key exists already ({exc}); use --force to replace "
                                   "it.") from None
    click.echo(f"Reports will be signed by {key.subject}.")
    click.echo(f"Key: {key.key_path}\nCertificate: {key.cert_path}")


GROUPS = [report_cli, keys_cli]
