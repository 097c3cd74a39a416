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
from ..services.reports import service, signing, verify as checks
from .core import commits

report_cli = AppGroup("report", help="Disclosure reports.")
keys_cli = AppGroup("keys", help="The key that signs disclosure reports.")


@report_cli.command("disclosure")
@click.argument("slug")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the PDF.")
@click.option("--state", help="Only this state (e.g. NC).")
@click.option("--payer", help="Only this payer (its name or number).")
@click.option("--volunteer", help="Only this volunteer (email or number): their statement.")
@commits
def report_disclosure(slug, output, state, payer, volunteer):
    """Write the disclosure report of SLUG to a PDF file (and record it)."""
    deployment = deployments.get_deployment(db.session, slug)
    scope = scopes.resolve(db.session, deployment, state=state, payer=payer, volunteer=volunteer)

    def progress(fraction: float, stage: str) -> None:
        click.echo(f"{int(fraction * 100):3d}% {stage}", err=True)

    # Made now, however big: the command waits for its file.
    issued = service.request_report(db.session, deployment, scope, actor=None,
                                    background=False, progress=progress)
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


@report_cli.command("fec")
@click.argument("slug")
@click.option("--form", "form", metavar="F3|F3P|F3X",
              help="The FEC form the committee files: F3 (House and Senate), F3P "
                   "(presidential), F3X (PACs and parties). Default: the rule set's (F3P).")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the CSV.")
def report_fec(slug, form, output):
    """Write SLUG's reportable in-kind contributions as FEC Schedule A/B rows (CSV).

    Each itemised receipt (IN_KIND_RECEIPT, PAC_IN_KIND_RECEIPT, PARTY_IN_KIND_RECEIPT) is
    followed by its Schedule B in-kind out; they refer to each other. Rows missing a fact the
    FEC requires (an address, a committee id, the filer's committee id, a name that splits)
    are not written but listed. Exit 0 when every row was written, 2 when some are
    incomplete (the complete ones are still written), 1 on an error.
    """
    # Imported here: this function is all the FEC export adds to this module.
    from ..services.compliance import fec
    from ..services.errors import DomainError

    try:
        deployment = deployments.get_deployment(db.session, slug)
        export = fec.build(db.session, deployment, form=form)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()  # findings brought up to date on the way
    Path(output).write_text(fec.to_csv(export), encoding="ascii", newline="")
    click.echo(f"Wrote {output}: {export.label}, {export.receipts} receipt(s) with their "
               f"Schedule B rows ({len(export.rows)} rows).")
    if export.unitemised_count:
        click.echo(f"Not itemised (aggregate $200.00 or less): {export.unitemised_count} "
                   f"receipt(s), ${export.unitemised_total:,.2f} for the unitemised line.")
    for over in export.over_limit:
        click.echo(f"Over the limit: {over.contributor} has given ${over.aggregate:,.2f}, "
                   f"above ${over.limit:,.2f} ({over.transaction_id}); refund the excess.")
    if export.incomplete:
        click.echo(f"Incomplete, not written: {len(export.incomplete)} receipt(s).", err=True)
        for item in export.incomplete:
            click.echo(f"  line #{item.cost_id} {item.day} ${item.amount:,.2f} from "
                       f"{item.contributor} (for {item.volunteer}): missing "
                       f"{'; '.join(item.missing)}.", err=True)
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
