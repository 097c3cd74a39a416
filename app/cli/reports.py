"""``report disclosure SLUG -o FILE.pdf``, ``report verify FILE [--offline] [--cert PEM]``,
``keys create-demo | rotate | retire CERT | list``."""
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
from .core import commits, exit_now

report_cli = AppGroup("report", help="Disclosure reports.")
keys_cli = AppGroup("keys", help="The key that signs disclosure reports, and the "
                    "keyring of retired certificates.")


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
    # The render workers are of no more use: stopped here, as exit_now skips the teardown
    # that would stop them.
    render.shutdown_pools()
    Path(output).write_bytes(issued.pdf)
    report = issued.report
    click.echo(f"Wrote {output}: report #{report.id}, {report.page_count} pages, "
               f"{report.byte_size} bytes, {'signed' if report.signer else 'not signed'}"
               f"{' (same data as before: stored file)' if issued.reused else ''}.")
    click.echo(f"SHA-256 {report.sha256}; data fingerprint {report.fingerprint}.")
    db.session.commit()  # here rather than by @commits: the command then ends at once
    exit_now(0)


@report_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--offline", is_flag=True,
              help="Check the file alone, without this server's database: signature, "
                   "timestamp and embedded data.")
@click.option("--cert", "certs", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Trust this signing certificate (PEM) instead of this server's keyring "
                   "(may be given more than once).")
def report_verify(file, offline, certs):
    """Check FILE: was it issued here, does its signature hold, is its embedded data as it
    was made, has the data changed since?

    \b
    Exit 0: issued here, signature and embedded data hold, data unchanged.
    Exit 1: not genuine (not issued here, altered, edited data, or an untrusted key).
    Exit 2: genuine, but the data has changed since (or could not be checked).

    \b
    With --offline (the file alone; nothing is read from the database):
    Exit 0: signed by a trusted key, intact, embedded data as made.
    Exit 1: altered, edited data, or signed by a key that is not trusted.
    Exit 2: nothing wrong found, but nothing proven: the file is not signed.
    """
    config, instance = current_app.config, current_app.instance_path
    data = Path(file).read_bytes()
    try:
        if certs:
            issuers = [signing.Issuer(cert, current=False, path=Path(path), given=True)
                       for path in certs for cert in signing.load_certificates(Path(path))]
        else:
            issuers = signing.issuers(config, instance)
        roots = signing.timestamp_trust(config)
        if offline:
            result = checks.check_file(data, issuers=issuers, timestamp_roots=roots)
        else:
            result = checks.verify(db.session, data, issuers=issuers, timestamp_roots=roots)
    except Exception as exc:
        if not offline:
            db.session.rollback()
        message = getattr(exc, "message", None)
        if message is None:
            raise
        raise click.ClickException(message) from exc
    if not offline:
        db.session.rollback()
    for line in result.lines():
        click.echo(line)
    if offline:
        if result.altered:
            sys.exit(1)
        if not result.holds:
            sys.exit(2)
        return
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


def _passphrase() -> str | None:
    """REPORT_SIGNING_KEY_PASSPHRASE: when set, new keys are written encrypted with it."""
    return current_app.config.get("REPORT_SIGNING_KEY_PASSPHRASE") or None


@keys_cli.command("create-demo")
@click.option("--force", is_flag=True,
              help="Replace an existing demo key (its certificate is kept in the keyring).")
def keys_create_demo(force):
    """Make a self-signed signing key for the demo in the instance folder."""
    try:
        key = signing.create_demo_key(current_app.instance_path, force=force,
                                      passphrase=_passphrase())
    except FileExistsError as exc:
        raise click.ClickException(f"A demo key exists already ({exc}); use --force to replace "
                                   "it, or 'keys rotate'.") from None
    click.echo(f"Reports will be signed by {key.subject}.")
    click.echo(f"Key: {key.key_path}\nCertificate: {key.cert_path}")
    if key.passphrase:
        click.echo("The key is encrypted with REPORT_SIGNING_KEY_PASSPHRASE: every process "
                   "that signs reports needs it set.")


@keys_cli.command("rotate")
def keys_rotate():
    """Replace the demo signing key: the old certificate stays in the keyring, so every
    report it signed still verifies; the old private key is deleted."""
    if current_app.config.get("REPORT_SIGNING_KEY"):
        raise click.ClickException(
            "The signing key is configured (REPORT_SIGNING_KEY), not a demo key: before you "
            "replace it, keep its certificate with 'keys retire CERT.pem' (or put it in the "
            "REPORT_SIGNING_KEYRING folder).")
    try:
        key, kept = signing.rotate_demo_key(current_app.instance_path, passphrase=_passphrase())
    except FileNotFoundError:
        raise click.ClickException("There is no demo key to rotate; make one with "
                                   "'keys create-demo'.") from None
    click.echo(f"The old certificate is kept in the keyring: {kept}")
    click.echo(f"Reports will be signed by {key.subject} (certificate SHA-256 "
               f"{signing.issuers(current_app.config, current_app.instance_path)[0].fingerprint}).")


@keys_cli.command("retire")
@click.argument("cert", type=click.Path(exists=True, dir_okay=False))
def keys_retire(cert):
    """Keep CERT (a PEM certificate of a key that signed reports) in the keyring, so the
    reports it signed still verify after the key is replaced."""
    try:
        kept = signing.retire(Path(cert), current_app.instance_path)
    except ValueError as exc:
        raise click.ClickException(f"{cert} is not a certificate ({exc}).") from None
    click.echo(f"Kept in the keyring: {kept}")


@keys_cli.command("list")
def keys_list():
    """The signing certificates verification trusts: the current one and the retired ones."""
    found = signing.issuers(current_app.config, current_app.instance_path)
    if not found:
        click.echo("No signing key: reports are not signed. Make one with 'keys create-demo'.")
        return
    for issuer in found:
        click.echo(f"{'current' if issuer.current else 'retired'}  {issuer.fingerprint}  "
                   f"{issuer.not_before:%Y-%m-%d} to {issuer.not_after:%Y-%m-%d}  "
                   f"{issuer.subject}  ({issuer.path})")


GROUPS = [report_cli, keys_cli]
