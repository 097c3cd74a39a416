"""Import cost lines from costs.csv (DESIGN.md), all or nothing.

Columns: volunteer_email, category, description, amount, currency, incurred_on, payer_name,
payer_kind, payer_country, arranged_by, paid_to, in_residence, amount_usd.

- ``volunteer_email`` must belong to a volunteer who already has an account.
- ``payer_name`` is looked up in the deployment's payer registry; a new name is added with the
  row's ``payer_kind`` (required for a new payer) and ``payer_country``. A kind or country that
  contradicts the registry, or another row of the file, is an error.
- ``arranged_by`` (optional) names a payer from the registry or from the file's payer_name column.
- ``amount_usd`` blank: converted with the latest stored rate on or before ``incurred_on``;
  no rate is an error for that row, never a guess.

The whole file is checked with a fixed number of queries (volunteers by email in chunks,
payers, rates), so 20,000 rows take seconds, and written with one flush through the ledger's
one way of adding lines (``ledger.add_lines``).

A file with exactly the bytes of one imported before (its SHA-256 is in each import's audit
event) is refused unless the import says ``again``: re-importing would double its lines.

Three steps: ``parse`` reads the cells (no database), ``check`` tests them against the
database, ``write`` adds them. The command line runs all three (``import_costs``); the browser
parses and checks on upload, keeps the parsed rows with the staged file, and on confirmation
checks them once more against the database as it is then and writes them (``import_parsed``):
the file itself is read once.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..models import (AuditEvent, CostCategory, CostOrigin, Deployment, Payer, PayerKind, User,
                      Volunteer)
from . import audit, csv_import, ledger, money
from .errors import Conflict
from .csv_import import ParsedFile, Row, limited, parse_bool, parse_date
from .validation import country_code, currency_code

COLUMNS = ("volunteer_email", "category", "description", "amount", "currency", "incurred_on",
           "payer_name", "payer_kind", "payer_country", "arranged_by", "paid_to", "in_residence",
           "amount_usd")
#: SQLite accepts at most 32,766 bound values in one statement; stay well below.
_CHUNK = 500


@dataclass
class CostLine:
    """One checked row, ready to become a cost line."""
    line: int
    volunteer_id: int
    volunteer_email: str
    category: CostCategory
    description: str
    amount: Decimal
    currency: str
    amount_usd: Decimal
    usd_per_unit: Decimal | None
    exchange_rate_id: int | None
    incurred_on: date
    payer_name: str
    arranged_by: str | None
    paid_to: str
    in_residence: bool


@dataclass(frozen=True)
class EarlierImport:
    """An import of a file with exactly the same bytes, from the audit chain."""
    occurred_at: datetime
    by: str
    filename: str
    lines: int

    def describe(self) -> str:
        return (f"{self.filename} was imported on {self.occurred_at:%-d %b %Y at %H:%M} UTC "
                f"by {self.by} ({self.lines} lines)")


class RepeatedImport(Conflict):
    code = "repeated_import"


@dataclass
class CostsImport:
    """What a file holds (or held, once written): the preview and the receipt."""
    filename: str
    sha256: str
    lines: list[CostLine]
    new_payers: list[dict]
    written: int = 0
    by_category: dict[str, list] = field(default_factory=dict)
    #: The same bytes imported into this deployment before: importing again doubles the lines.
    imported_before: list[EarlierImport] = field(default_factory=list)
    #: The rows as read, kept with a staged upload so confirming does not read the file again.
    parsed: ParsedFile | None = None

    @property
    def total_usd(self) -> Decimal:
        return sum((line.amount_usd for line in self.lines), Decimal("0.00"))

    def summary(self, sample: int = 50) -> dict:
        """What the preview page shows, as plain JSON (kept with the staged upload)."""
        return {
            "lines": len(self.lines), "total_usd": str(self.total_usd),
            "new_payers": [{"name": p["name"], "kind": p["kind"].value, "country": p["country"]}
                           for p in self.new_payers],
            "by_category": {name: [count, str(usd)]
                            for name, (count, usd) in self.by_category.items()},
            "sample": [{"line": line.line, "volunteer_email": line.volunteer_email,
                        "category": line.category.value,
                        "incurred_on": line.incurred_on.isoformat(),
                        "amount": str(line.amount), "currency": line.currency,
                        "amount_usd": str(line.amount_usd), "payer_name": line.payer_name,
                        "arranged_by": line.arranged_by} for line in self.lines[:sample]],
            "imported_before": [earlier.describe() for earlier in self.imported_before],
        }

    def summarise(self) -> None:
        totals: dict[str, list] = defaultdict(lambda: [0, Decimal("0.00")])
        for line in self.lines:
            totals[line.category.value][0] += 1
            totals[line.category.value][1] += line.amount_usd
        self.by_category = dict(sorted(totals.items()))


def _volunteers_by_email(session: Session, emails: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(emails)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start:start + _CHUNK]
        found.update(session.execute(select(User.email, Volunteer.id)
                                     .join(Volunteer, Volunteer.user_id == User.id)
                                     .where(User.email.in_(chunk))).tuples().all())
    return found


def _convert(row: Row, rates: money.RateTable, amount: Decimal, currency: str, on: date,
             amount_usd) -> money.Converted | None:
    """The line's US dollar value, or None with the problem recorded on the row."""
    if amount_usd is not None:
        if currency == "USD" and amount_usd != amount:
            row.error("amount_usd", "for a USD line it must equal amount, or be left blank.")
            return None
        return money.Converted(amount_usd)
    try:
        return rates.convert(amount, currency, on)
    except money.MissingRate:
        row.error("amount_usd", f"is blank and there is no {currency} exchange rate on or before "
                                f"{on.isoformat()}; enter that rate first, or fill amount_usd.")
        return None


def _usd_cell(raw: str) -> Decimal:
    return money.parse_amount(raw, field="amount_usd")


def parse(data: bytes, *, filename: str | None = None) -> ParsedFile:
    """Read every cell of a costs.csv; problems are noted on the rows, not raised (``check``
    reports them all at once, with what the database says).

    :raises FileRejected: the file cannot be read as a costs.csv
    """
    csv_file = csv_import.parse(data, columns=COLUMNS, filename=filename)
    cells = []
    for row in csv_file.rows:
        cells.append({
            "email": row.take("volunteer_email", str.lower, what="the volunteer's email"),
            "category": row.take("category", ledger.parse_category,
                                 what="a category such as TRAVEL"),
            "description": row.take("description", limited(500), required=False, default=""),
            "amount": row.take("amount", money.parse_amount, what="the amount, e.g. 129.50"),
            "currency": row.take("currency", currency_code, what="a currency code such as USD"),
            "incurred_on": row.take("incurred_on", parse_date, what="the date as YYYY-MM-DD"),
            "payer_name": row.take("payer_name", limited(200), what="who paid"),
            "payer_kind": row.take("payer_kind", ledger.parse_payer_kind, required=False),
            "payer_country": row.take("payer_country", country_code, required=False),
            "arranged_by": row.take("arranged_by", limited(200), required=False),
            "paid_to": row.take("paid_to", limited(200), required=False, default=""),
            "in_residence": row.take("in_residence", parse_bool, required=False, default=False),
            "amount_usd": row.take("amount_usd", _usd_cell, required=False),
        })
    return ParsedFile(filename or "costs.csv", hashlib.sha256(data).hexdigest(), csv_file.rows,
                      cells)


def check(session: Session, deployment: Deployment, parsed: ParsedFile) -> CostsImport:
    """Check parsed rows against the database (volunteers, the payer registry, exchange
    rates) in a fixed number of queries, and report every problem of every row at once.

    :raises ImportRejected: listing every bad row with its line, column and reason
    """
    rows, cells = parsed.rows, parsed.cells
    volunteers = _volunteers_by_email(session, {c["email"] for c in cells if c["email"]})
    registry = {p.name: p for p in ledger.payers_for(session, deployment)}
    new_payers = _new_payers(rows, cells, registry)
    rates = money.RateTable.load(session, {c["currency"] for c in cells if c["currency"]})
    lines = []
    for row, c in zip(rows, cells):
        if c["email"] and c["email"] not in volunteers:
            row.error("volunteer_email", f"no volunteer has the email {c['email']}; register or "
                                         "import the volunteer first.")
        if c["arranged_by"] and c["arranged_by"] not in registry \
                and c["arranged_by"] not in new_payers:
            row.error("arranged_by", f"{c['arranged_by']!r} is neither in the payer registry nor "
                                     "a payer_name in this file.")
        converted = None
        usd_unreadable = any(error.column == "amount_usd" for error in row.errors)
        if None not in (c["amount"], c["currency"], c["incurred_on"]) and not usd_unreadable:
            converted = _convert(row, rates, c["amount"], c["currency"], c["incurred_on"],
                                 c["amount_usd"])
        if row.ok and converted is not None:
            lines.append(CostLine(
                row.line, volunteers[c["email"]], c["email"], c["category"], c["description"],
                c["amount"], c["currency"], converted.usd, converted.usd_per_unit,
                converted.rate_id, c["incurred_on"], c["payer_name"], c["arranged_by"],
                c["paid_to"], c["in_residence"]))
    csv_import.reject_if_errors(rows, parsed.filename)
    result = CostsImport(parsed.filename, parsed.sha256, lines,
                         sorted(new_payers.values(), key=lambda p: p["name"]), parsed=parsed)
    result.imported_before = earlier_imports(session, deployment, result.sha256)
    result.summarise()
    return result


def check_costs(session: Session, deployment: Deployment, data: bytes, *,
                filename: str | None = None) -> CostsImport:
    """Check a costs.csv completely without writing anything.

    :raises FileRejected: the file cannot be read as a costs.csv
    :raises ImportRejected: listing every bad row with its line, column and reason
    """
    return check(session, deployment, parse(data, filename=filename))


_IMPORTED = (select(AuditEvent.occurred_at, AuditEvent.actor_label, AuditEvent.data)
             .where(AuditEvent.action == "costs.imported",
                    AuditEvent.entity_type == "deployments",
                    AuditEvent.entity_id == bindparam("deployment"))
             .order_by(AuditEvent.seq))


def earlier_imports(session: Session, deployment: Deployment, sha256: str) -> list[EarlierImport]:
    """Imports of these exact bytes into ``deployment``, oldest first (each import's audit
    event names its file's SHA-256)."""
    return [EarlierImport(when, by, data.get("file") or "the file", data.get("lines") or 0)
            for when, by, data in session.execute(_IMPORTED, {"deployment": str(deployment.id)})
            if data.get("sha256") == sha256]


def _new_payers(rows: list[Row], cells: list[dict], registry: dict[str, Payer]) -> dict:
    """Payers the file introduces, {name: {name, kind, country}}; contradictions are errors."""
    new: dict[str, dict] = {}
    for row, c in zip(rows, cells):
        name, kind, country = c["payer_name"], c["payer_kind"], c["payer_country"]
        if not name:
            continue
        known = registry.get(name)
        if known is not None:
            if kind is not None and kind is not known.kind:
                row.error("payer_kind", f"{name!r} is in the payer registry as {known.kind.value}, "
                                        f"not {kind.value}; correct the row or the registry.")
            if country and known.country and country != known.country:
                row.error("payer_country", f"{name!r} is in the payer registry with country "
                                           f"{known.country}, not {country}.")
            continue
        first = new.get(name)
        if first is None:
            if kind is None:
                if not row.get("payer_kind"):
                    row.error("payer_kind", f"is empty, and {name!r} is a new payer: give its kind "
                                            f"({', '.join(k.value for k in PayerKind)}).")
                continue
            new[name] = {"name": name, "kind": kind, "country": country, "line": row.line}
        else:
            if kind is not None and kind is not first["kind"]:
                row.error("payer_kind", f"{name!r} is {first['kind'].value} on line "
                                        f"{first['line']}; one payer has one kind.")
            if country and first["country"] and country != first["country"]:
                row.error("payer_country", f"{name!r} has country {first['country']} on line "
                                           f"{first['line']}.")
            elif country and not first["country"]:
                first["country"] = country
    return new


def import_costs(session: Session, deployment: Deployment, data: bytes, *, actor: User | None,
                 filename: str | None = None, dry_run: bool = False,
                 again: bool = False) -> CostsImport:
    """Check a costs.csv and, unless ``dry_run``, add every line (origin ``import``).

    Flushes; the caller commits. A dry run writes nothing at all. A file whose exact bytes
    were imported into this deployment before is refused unless ``again``: its lines would
    all be added a second time.

    :raises FileRejected: the file cannot be read as a costs.csv
    :raises ImportRejected: listing every bad row; nothing is written
    :raises RepeatedImport: the same file was imported before and ``again`` is not set
    """
    result = check_costs(session, deployment, data, filename=filename)
    return result if dry_run else write(session, deployment, result, actor=actor, again=again)


def import_parsed(session: Session, deployment: Deployment, parsed: ParsedFile, *,
                  actor: User | None, again: bool = False) -> CostsImport:
    """Add the lines of a file parsed and checked when it was uploaded (the browser's
    confirmation): checked once more against the database as it is now, then written.

    :raises ImportRejected, RepeatedImport: as for ``import_costs``
    """
    return write(session, deployment, check(session, deployment, parsed), actor=actor,
                 again=again)


def write(session: Session, deployment: Deployment, result: CostsImport, *,
          actor: User | None, again: bool = False) -> CostsImport:
    """Add a checked file's payers and lines, and the import's audit event. Flushes.

    :raises RepeatedImport: the same file was imported before and ``again`` is not set
    """
    audit.act_as(session, actor)
    if result.imported_before and not again:
        raise RepeatedImport(
            f"This file has exactly the content of one already imported: "
            f"{result.imported_before[-1].describe()}. Importing it again would add all "
            f"{len(result.lines)} lines a second time. If that is really meant, import it "
            "again explicitly (--again on the command line).")
    payer_ids = {p.name: p.id for p in ledger.payers_for(session, deployment)}
    fresh = [Payer(deployment_id=deployment.id, name=p["name"], kind=p["kind"],
                   country=p["country"]) for p in result.new_payers]
    session.add_all(fresh)
    session.flush()
    payer_ids.update((p.name, p.id) for p in fresh)
    ledger.add_lines(session, deployment, [
        dict(volunteer_id=line.volunteer_id, category=line.category,
             description=line.description, amount=line.amount, currency=line.currency,
             amount_usd=line.amount_usd, usd_per_unit=line.usd_per_unit,
             exchange_rate_id=line.exchange_rate_id, incurred_on=line.incurred_on,
             payer_id=payer_ids[line.payer_name],
             arranged_by_id=payer_ids[line.arranged_by] if line.arranged_by else None,
             paid_to=line.paid_to, in_residence=line.in_residence)
        for line in result.lines], origin=CostOrigin.IMPORT)
    audit.record(session, "costs.imported", "deployments", deployment.id,
                 {"file": result.filename, "sha256": result.sha256, "lines": len(result.lines),
                  "new_payers": [p["name"] for p in result.new_payers],
                  "total_usd": str(result.total_usd)})
    result.written = len(result.lines)
    return result
