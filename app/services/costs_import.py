"""Import cost lines from costs.csv (DESIGN.md), all or nothing.

Columns: volunteer_email, category, description, amount, currency, incurred_on, payer_name,
payer_kind, payer_country, arranged_by, paid_to, in_residence, amount_usd; optional (a header
may leave them out): payer_org_type, cash_outlay, line_ref, reimburses_ref.

- ``volunteer_email`` must belong to a volunteer who already has an account.
- ``payer_name`` is looked up in the deployment's payer registry; a new name is added with the
  row's ``payer_kind`` (required for a new payer), ``payer_country`` and, for a US
  organisation, ``payer_org_type`` (required: never assumed). A kind, country or type that
  contradicts the registry, or another row of the file, is an error. A payer whose kind is
  ``UNKNOWN`` may have no name: the line is paid by the deployment's "payer not disclosed".
- ``arranged_by`` (optional) names a payer from the registry or from the file's payer_name column.
- ``amount_usd`` blank: converted with the latest stored rate on or before ``incurred_on``;
  no rate is an error for that row, never a guess.
- ``line_ref`` is the organiser's own reference (unique in the deployment); ``reimburses_ref``
  names the ``line_ref`` of the own-expense line a row repays (in the file or already
  recorded; a recorded line without a reference by its number, ``#1234``): the same
  volunteer's, paid by themself, never repaid beyond what it cost.
- ``cash_outlay`` (yes/no) blank: no for a room in the host's own home, yes otherwise.

The whole file is checked with a fixed number of queries (volunteers by email in chunks,
payers, rates, references), so 20,000 rows take seconds, and written through the ledger's one
way of adding lines (``ledger.add_lines``). The check also says what the rules in force would
record for the file's lines that a person must see before saving (``warnings``).

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
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ..models import (AuditEvent, Cost, CostCategory, CostOrigin, Deployment, OrganisationType,
                      Payer, PayerKind, User, Volunteer)
from . import audit, choices, compliance, csv_import, ledger, money
from .compliance import sync
from .compliance.engine import LineFacts, classify_lines
from .compliance.store import active_rule_set
from .csv_import import ParsedFile, Row, limited, parse_bool, parse_date
from .errors import Conflict
from .validation import country_code, currency_code

COLUMNS = ("volunteer_email", "category", "description", "amount", "currency", "incurred_on",
           "payer_name", "payer_kind", "payer_country", "arranged_by", "paid_to", "in_residence",
           "amount_usd")
#: May be left out of a header altogether (a missing column reads as blank).
OPTIONAL_COLUMNS = ("payer_org_type", "cash_outlay", "line_ref", "reimburses_ref")
#: SQLite accepts at most 32,766 bound values in one statement; stay well below.
_CHUNK = 500
#: ``reimburses_ref`` may name a recorded line by its number, as the ledger export writes a
#: line without a reference of its own: ``#1234``.
_LINE_ID = re.compile(r"#\d{1,18}")
#: How many of the warnings a preview shows line by line (the counts cover them all).
WARNINGS_SHOWN = 50


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
    cash_outlay: bool = True
    line_ref: str | None = None
    #: The line it repays: an id already recorded, or the line_ref of a row of this file.
    reimburses_id: int | None = None
    reimburses_ref: str | None = None


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
    #: Registry payers the file gives a type they did not have: {name: organisation type}.
    types_recorded: dict = field(default_factory=dict)
    #: What saving would record that a person must see first: [{line, code, rule, reason}].
    warnings: list[dict] = field(default_factory=list)

    @property
    def total_usd(self) -> Decimal:
        return sum((line.amount_usd for line in self.lines), Decimal("0.00"))

    @property
    def warning_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(w["code"] for w in self.warnings).items()))

    def summary(self, sample: int = 50) -> dict:
        """What the preview page shows, as plain JSON (kept with the staged upload)."""
        return {
            "lines": len(self.lines), "total_usd": str(self.total_usd),
            "new_payers": [{"name": p["name"], "kind": p["kind"].value, "country": p["country"],
                            "org_type": p["org_type"].value if p["org_type"] else None}
                           for p in self.new_payers],
            "types_recorded": {name: kind.value for name, kind in self.types_recorded.items()},
            "by_category": {name: [count, str(usd)]
                            for name, (count, usd) in self.by_category.items()},
            "sample": [{"line": line.line, "volunteer_email": line.volunteer_email,
                        "category": line.category.value,
                        "incurred_on": line.incurred_on.isoformat(),
                        "amount": str(line.amount), "currency": line.currency,
                        "amount_usd": str(line.amount_usd), "payer_name": line.payer_name,
                        "arranged_by": line.arranged_by} for line in self.lines[:sample]],
            "imported_before": [earlier.describe() for earlier in self.imported_before],
            "warning_counts": self.warning_counts,
            "warnings": self.warnings[:WARNINGS_SHOWN],
        }

    def summarise(self) -> None:
        totals: dict[str, list] = defaultdict(lambda: [0, Decimal("0.00")])
        for line in self.lines:
            totals[line.category.value][0] += 1
            totals[line.category.value][1] += line.amount_usd
        self.by_category = dict(sorted(totals.items()))


def _volunteers_by_email(session: Session, emails: set[str]) -> dict[str, tuple]:
    """{email: (volunteer id, citizenship, leave type)}."""
    found: dict[str, tuple] = {}
    ordered = sorted(emails)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start:start + _CHUNK]
        for email, volunteer_id, citizenship, leave_type in session.execute(
                select(User.email, Volunteer.id, Volunteer.citizenship, Volunteer.leave_type)
                .join(Volunteer, Volunteer.user_id == User.id).where(User.email.in_(chunk))):
            found[email] = (volunteer_id, citizenship, leave_type)
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


def _line_ref_cell(raw: str) -> str:
    return ledger.check_line_ref(raw)


def _org_type_cell(raw: str) -> OrganisationType:
    return choices.parse(OrganisationType, raw, field="payer_org_type",
                         what="organisation type", case="lower")


def parse(data: bytes, *, filename: str | None = None) -> ParsedFile:
    """Read every cell of a costs.csv; problems are noted on the rows, not raised (``check``
    reports them all at once, with what the database says).

    :raises FileRejected: the file cannot be read as a costs.csv
    """
    csv_file = csv_import.parse(data, columns=COLUMNS, optional=OPTIONAL_COLUMNS,
                                filename=filename)
    cells = []
    for row in csv_file.rows:
        kind = row.take("payer_kind", ledger.parse_payer_kind, required=False)
        cell = {
            "email": row.take("volunteer_email", str.lower, what="the volunteer's email"),
            "category": row.take("category", ledger.parse_category,
                                 what="a category such as TRAVEL"),
            "description": row.take("description", limited(500), required=False, default=""),
            "amount": row.take("amount", money.parse_amount, what="the amount, e.g. 129.50"),
            "currency": row.take("currency", currency_code, what="a currency code such as USD"),
            "incurred_on": row.take("incurred_on", parse_date, what="the date as YYYY-MM-DD"),
            "payer_name": row.take("payer_name", limited(200), required=False),
            "payer_kind": kind,
            "payer_country": row.take("payer_country", country_code, required=False),
            "payer_org_type": row.take("payer_org_type", _org_type_cell, required=False),
            "arranged_by": row.take("arranged_by", limited(200), required=False),
            "paid_to": row.take("paid_to", limited(200), required=False, default=""),
            "in_residence": row.take("in_residence", parse_bool, required=False, default=False),
            "cash_outlay": row.take("cash_outlay", parse_bool, required=False),
            "amount_usd": row.take("amount_usd", _usd_cell, required=False),
            "line_ref": row.take("line_ref", _line_ref_cell, required=False),
            "reimburses_ref": row.take("reimburses_ref", limited(60), required=False),
        }
        if not cell["payer_name"]:
            if kind is PayerKind.UNKNOWN:
                cell["payer_name"] = ledger.UNDISCLOSED_PAYER  # never an invented name
            elif not row.errors_in("payer_name"):
                row.error("payer_name", "is empty; give who paid (only a payer of kind UNKNOWN "
                                        "may be left unnamed).")
        cells.append(cell)
    return ParsedFile(filename or "costs.csv", hashlib.sha256(data).hexdigest(), csv_file.rows,
                      cells)


def check(session: Session, deployment: Deployment, parsed: ParsedFile, *,
          warnings: bool = False) -> CostsImport:
    """Check parsed rows against the database (volunteers, the payer registry, exchange
    rates, line references) in a fixed number of queries, and report every problem of every
    row at once. ``warnings``: also say what the rules in force would record that a person
    must see before saving.

    :raises ImportRejected: listing every bad row with its line, column and reason
    """
    rows, cells = parsed.rows, parsed.cells
    volunteers = _volunteers_by_email(session, {c["email"] for c in cells if c["email"]})
    registry = {p.name: p for p in ledger.payers_for(session, deployment)}
    new_payers, types_recorded = _new_payers(rows, cells, registry)
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
        if None not in (c["amount"], c["currency"], c["incurred_on"]) \
                and not row.errors_in("amount_usd"):
            converted = _convert(row, rates, c["amount"], c["currency"], c["incurred_on"],
                                 c["amount_usd"])
        if row.ok and converted is not None:
            in_residence = bool(c["in_residence"])
            cash_outlay = c["cash_outlay"] if c["cash_outlay"] is not None else \
                ledger.cash_outlay_by_default(c["category"], in_residence)
            lines.append(CostLine(
                row.line, volunteers[c["email"]][0], c["email"], c["category"], c["description"],
                c["amount"], c["currency"], converted.usd, converted.usd_per_unit,
                converted.rate_id, c["incurred_on"], c["payer_name"], c["arranged_by"],
                c["paid_to"], in_residence, cash_outlay, c["line_ref"],
                reimburses_ref=c["reimburses_ref"]))
    _check_references(session, deployment, rows, lines, registry, new_payers)
    csv_import.reject_if_errors(rows, parsed.filename)
    result = CostsImport(parsed.filename, parsed.sha256, lines,
                         sorted(new_payers.values(), key=lambda p: p["name"]), parsed=parsed,
                         types_recorded=types_recorded)
    result.imported_before = earlier_imports(session, deployment, result.sha256)
    result.summarise()
    if warnings:
        result.warnings = _warnings(session, deployment, result, volunteers, registry)
    return result


def check_costs(session: Session, deployment: Deployment, data: bytes, *,
                filename: str | None = None, warnings: bool = True) -> CostsImport:
    """Check a costs.csv completely without writing anything, with the warnings a person
    must see before saving.

    :raises FileRejected: the file cannot be read as a costs.csv
    :raises ImportRejected: listing every bad row with its line, column and reason
    """
    return check(session, deployment, parse(data, filename=filename), warnings=warnings)


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


def _new_payers(rows: list[Row], cells: list[dict],
                registry: dict[str, Payer]) -> tuple[dict, dict]:
    """Payers the file introduces, {name: {name, kind, country, org_type}}, and registry payers
    it gives a missing organisation type; contradictions are errors."""
    new: dict[str, dict] = {}
    typed: dict[str, OrganisationType] = {}
    for row, c in zip(rows, cells):
        name, kind, country, org = (c["payer_name"], c["payer_kind"], c["payer_country"],
                                    c["payer_org_type"])
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
            if org is not None:
                if known.kind is not PayerKind.US_ORGANISATION:
                    row.error("payer_org_type", f"{name!r} is not a US organisation, so it has "
                                                "no organisation type.")
                elif known.organisation_type not in (None, org):
                    row.error("payer_org_type", f"{name!r} is in the payer registry as a "
                                                f"{known.organisation_type.value}, not a "
                                                f"{org.value}.")
                elif known.organisation_type is None:
                    if typed.setdefault(name, org) is not org:
                        row.error("payer_org_type", f"{name!r} is a {typed[name].value} on "
                                                    "another line; one payer has one type.")
            continue
        first = new.get(name)
        if first is None:
            if kind is None:
                if not row.errors_in("payer_kind"):
                    row.error("payer_kind", f"is empty, and {name!r} is a new payer: give its kind "
                                            f"({', '.join(k.value for k in PayerKind)}).")
                continue
            if org is not None and kind is not PayerKind.US_ORGANISATION:
                row.error("payer_org_type", "only a US organisation has an organisation type.")
                continue
            new[name] = {"name": name, "kind": kind, "country": country, "org_type": org,
                         "line": row.line}
        else:
            if kind is not None and kind is not first["kind"]:
                row.error("payer_kind", f"{name!r} is {first['kind'].value} on line "
                                        f"{first['line']}; one payer has one kind.")
            if org is not None and first["kind"] is not PayerKind.US_ORGANISATION:
                row.error("payer_org_type", f"{name!r} is {first['kind'].value} on line "
                                            f"{first['line']}: only a US organisation has an "
                                            "organisation type.")
            elif org is not None and first["org_type"] is None:
                first["org_type"] = org  # the type may be given on any of the payer's rows
            elif org is not None and org is not first["org_type"]:
                row.error("payer_org_type", f"{name!r} is a {first['org_type'].value} on line "
                                            f"{first['line']}; one payer has one type.")
            if country and first["country"] and country != first["country"]:
                row.error("payer_country", f"{name!r} has country {first['country']} on line "
                                           f"{first['line']}.")
            elif country and not first["country"]:
                first["country"] = country
    by_line = {row.line: row for row in rows}
    for payer in new.values():
        if payer["kind"] is PayerKind.US_ORGANISATION and payer["org_type"] is None:
            row = by_line[payer["line"]]
            if not row.errors_in("payer_org_type"):
                row.error("payer_org_type", f"is empty, and {payer['name']!r} is a new US "
                                            "organisation: give its type "
                                            f"({choices.allowed(OrganisationType)}) on one of "
                                            "its rows; it decides whether its payments may be "
                                            "accepted.")
    return new, typed


def _payer_kind(name: str, registry: dict[str, Payer], new_payers: dict) -> PayerKind | None:
    if name in registry:
        return registry[name].kind
    return new_payers[name]["kind"] if name in new_payers else None


def _check_references(session: Session, deployment: Deployment, rows: list[Row],
                      lines: list[CostLine], registry: dict, new_payers: dict) -> None:
    """line_ref unique in the deployment; reimburses_ref names the same volunteer's own
    expense (in the file or recorded), repaid by someone else, never beyond what it cost."""
    by_line = {row.line: row for row in rows}
    in_file: dict[str, CostLine] = {}
    for line in lines:
        if line.line_ref:
            if line.line_ref in in_file:
                by_line[line.line].error("line_ref", f"{line.line_ref!r} is also on line "
                                                     f"{in_file[line.line_ref].line}; a reference "
                                                     "names one line.")
            else:
                in_file[line.line_ref] = line
    refs = set(in_file) | {line.reimburses_ref for line in lines if line.reimburses_ref}
    by_id = {int(ref[1:]) for ref in refs if _LINE_ID.fullmatch(ref)}
    recorded = {}
    if refs:
        for ref, cost_id, volunteer_id, amount_usd, kind in session.execute(
                select(Cost.line_ref, Cost.id, Cost.volunteer_id, Cost.amount_usd, Payer.kind)
                .join(Payer, Payer.id == Cost.payer_id)
                .where(Cost.deployment_id == deployment.id,
                       Cost.line_ref.in_(sorted(refs)) | Cost.id.in_(sorted(by_id)))):
            if ref in refs:
                recorded[ref] = (cost_id, volunteer_id, amount_usd, kind)
            if cost_id in by_id:
                recorded[f"#{cost_id}"] = (cost_id, volunteer_id, amount_usd, kind)
    for ref, line in in_file.items():
        if ref in recorded:
            by_line[line.line].error("line_ref", f"line #{recorded[ref][0]} already has the "
                                                 f"reference {ref!r}.")
    repaid_before = {}
    ids = [value[0] for value in recorded.values()]
    if ids:
        repaid_before = dict(session.execute(
            select(Cost.reimburses_id, func.sum(Cost.amount_usd))
            .where(Cost.reimburses_id.in_(ids)).group_by(Cost.reimburses_id)).all())
    repaid: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        ref = line.reimburses_ref
        if not ref:
            continue
        row = by_line[line.line]
        if ref in in_file:
            target = in_file[ref]
            volunteer_id, cost, kind = target.volunteer_id, target.amount_usd, \
                _payer_kind(target.payer_name, registry, new_payers)
            before = Decimal("0.00")
        elif ref in recorded:
            cost_id, volunteer_id, cost, kind = recorded[ref]
            before = money.cents(repaid_before.get(cost_id, 0))
            line.reimburses_id = cost_id
        else:
            row.error("reimburses_ref", f"no line of this file or of the deployment has the "
                                        f"reference {ref!r}.")
            continue
        if target_is_self := (ref in in_file and in_file[ref] is line):
            row.error("reimburses_ref", "a line cannot repay itself.")
        if volunteer_id != line.volunteer_id:
            row.error("reimburses_ref", f"{ref!r} is another volunteer's line: a reimbursement "
                                        "repays the same volunteer's own expense.")
        elif kind is not PayerKind.SELF:
            row.error("reimburses_ref", f"{ref!r} was not paid by the volunteer: only an own "
                                        "expense can be reimbursed.")
        elif _payer_kind(line.payer_name, registry, new_payers) is PayerKind.SELF:
            row.error("payer_kind", "a reimbursement is paid by someone other than the "
                                    "volunteer.")
        elif not target_is_self:
            repaid[ref] += line.amount_usd
            if before + repaid[ref] > cost:
                row.error("amount_usd", f"repays {money.format_usd(before + repaid[ref])} of "
                                        f"{ref!r} in all, which cost {money.format_usd(cost)}: a "
                                        "reimbursement cannot repay more than the line.")


def _warnings(session: Session, deployment: Deployment, result: CostsImport,
              volunteers: dict, registry: dict) -> list[dict]:
    """What the rules in force would record for the file's lines that a form must warn about
    (potential prohibitions and compensation), with the lines already recorded for the same
    volunteers and hosts counted in their running totals."""
    rs = active_rule_set(session)
    election = sync.election_key(deployment.id, deployment.election_code,
                                 deployment.election_office, deployment.election_jurisdiction)
    new = {p["name"]: p for p in result.new_payers}
    typed = result.types_recorded  # the file may give a registry payer its missing type
    kinds = {**{name: (p.kind.value, sync._value(typed.get(name, p.organisation_type)),
                       p.country, p.id) for name, p in registry.items()},
             **{name: (p["kind"].value, sync._value(p["org_type"]), p["country"], None)
                for name, p in new.items()}}
    people = {email: (vid, sync._value(cit), sync._value(leave))
              for email, (vid, cit, leave) in volunteers.items()}
    refs = {line.line_ref: -line.line for line in result.lines if line.line_ref}
    facts = []
    for line in result.lines:
        kind, org, country, payer_id = kinds[line.payer_name]
        arranger = kinds.get(line.arranged_by) if line.arranged_by else None
        volunteer_id, citizenship, leave = people[line.volunteer_email]
        facts.append(LineFacts(
            line_id=-line.line, volunteer_id=volunteer_id, election_key=election,
            citizenship=citizenship, leave_type=leave, category=line.category.value,
            description=line.description, amount_usd=line.amount_usd,
            incurred_on=line.incurred_on, payer_id=payer_id if payer_id else -line.line,
            payer_kind=kind, payer_name=line.payer_name, organisation_type=org,
            arranged_by_id=arranger[3] if arranger and arranger[3] else None,
            arranged_by_kind=arranger[0] if arranger else None, in_residence=line.in_residence,
            reimbursed=False, cash_outlay=line.cash_outlay, payer_country=country,
            reimburses_id=line.reimburses_id if line.reimburses_id is not None
            else refs.get(line.reimburses_ref)))
    hosts = {sync._host_key(f.election_key, f.payer_name) for f in facts if f.in_residence}
    saved = sync._load_lines(session, {f.volunteer_id for f in facts}, extra_hosts=hosts)
    outcomes = classify_lines(rs, [*(item.facts for item in saved), *facts])
    found = []
    for line in result.lines:
        for outcome in outcomes.get(-line.line, []):
            if outcome.code in compliance.WARNING_CODES:
                found.append({"line": line.line, "code": outcome.code, "rule": outcome.rule_id,
                              "reason": outcome.reason})
    return found


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
    result = check_costs(session, deployment, data, filename=filename, warnings=dry_run)
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

    The lines that repay another line of the file are written after the rest, so they can
    point at it.

    :raises RepeatedImport: the same file was imported before and ``again`` is not set
    """
    audit.act_as(session, actor)
    if result.imported_before and not again:
        raise RepeatedImport(
            f"This file has exactly the content of one already imported: "
            f"{result.imported_before[-1].describe()}. Importing it again would add all "
            f"{len(result.lines)} lines a second time. If that is really meant, import it "
            "again explicitly (--again on the command line).")
    registry = {p.name: p for p in ledger.payers_for(session, deployment)}
    for name, org in result.types_recorded.items():
        registry[name].organisation_type = org
    fresh = [Payer(deployment_id=deployment.id, name=p["name"], kind=p["kind"],
                   country=p["country"], organisation_type=p["org_type"])
             for p in result.new_payers]
    session.add_all(fresh)
    session.flush()
    payer_ids = {name: p.id for name, p in registry.items()}
    payer_ids.update((p.name, p.id) for p in fresh)
    in_file = {line.line_ref for line in result.lines if line.line_ref}
    later = [line for line in result.lines
             if line.reimburses_id is None and line.reimburses_ref in in_file]
    first = [line for line in result.lines if line not in later] if later else result.lines
    made = ledger.add_lines(session, deployment, [_values(line, payer_ids) for line in first],
                            origin=CostOrigin.IMPORT)
    if later:
        ids = {line.line_ref: cost.id for line, cost in zip(first, made) if line.line_ref}
        for line in later:
            line.reimburses_id = ids[line.reimburses_ref]
        ledger.add_lines(session, deployment, [_values(line, payer_ids) for line in later],
                         origin=CostOrigin.IMPORT)
    audit.record(session, "costs.imported", "deployments", deployment.id,
                 {"file": result.filename, "sha256": result.sha256, "lines": len(result.lines),
                  "new_payers": [p["name"] for p in result.new_payers],
                  "total_usd": str(result.total_usd)})
    result.written = len(result.lines)
    return result


def _values(line: CostLine, payer_ids: dict) -> dict:
    return dict(volunteer_id=line.volunteer_id, category=line.category,
                description=line.description, amount=line.amount, currency=line.currency,
                amount_usd=line.amount_usd, usd_per_unit=line.usd_per_unit,
                exchange_rate_id=line.exchange_rate_id, incurred_on=line.incurred_on,
                payer_id=payer_ids[line.payer_name],
                arranged_by_id=payer_ids[line.arranged_by] if line.arranged_by else None,
                paid_to=line.paid_to, in_residence=line.in_residence,
                cash_outlay=line.cash_outlay, line_ref=line.line_ref,
                reimburses_id=line.reimburses_id)
