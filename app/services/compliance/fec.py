"""The FEC export: reportable in-kind contributions as rows the FEC's software takes.

Each ``INKIND_REPORTABLE`` finding is a receipt on Schedule A (the contributor is the payer, or
the volunteer for their own spending above the exemption) and its Schedule B counterpart, the
in-kind "out" the committee reports as spent; the two refer to each other by transaction id.
Rows follow the FEC's transaction schemas (``fec_schema``): IN_KIND_RECEIPT / IN_KIND_OUT for
a person, PAC_IN_KIND_RECEIPT / PAC_IN_KIND_OUT for a political committee and
PARTY_IN_KIND_RECEIPT / PARTY_IN_KIND_OUT for a party committee. Line codes differ between
Form 3, 3P and 3X and come from the rule set, like every threshold.

- A contributor's aggregate runs per election, in date order, across every deployment for the
  same election (``sync.election_key``; payers are matched by name, as the engine matches
  hosts). A person is itemised once their aggregate passes the rule set's itemisation
  threshold (an aggregate at the threshold is not itemised, a cent more is); a committee always is (11 CFR
  104.3(a)(4)(ii)). Receipts not itemised are not written; the export counts them and their
  total, for the unitemised line.
- A row missing a fact the schemas require (an address, a committee's FEC id, the filer's
  committee id, the election code, a name that splits into first and last) is never written:
  it is listed as incomplete with what is missing and where to fix it.
- Contributions above the limit that applies (by contributor and form) are written (they were
  received) and listed, so the excess can be refunded.
Prohibited contributions are not listed at all: they are to be refused or refunded, not
reported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Cost, Deployment, Finding, FindingCode, Payer, User, Volunteer
from ..csv_cells import write_csv
from ..errors import ValidationFailed
from ..money import plain
from . import fec_schema
from .fec_schema import COLUMNS, PAIRS
from .fec_text import ascii_fold, clip, purpose, split_name
from .store import active_rule_set
from .sync import election_key, flush_pending

_PURPOSE_MAX = 100  # FEC purpose and memo fields hold 100 characters
#: Limits the rule set has no threshold for (2024 amounts). A political committee is taken to
#: be a multicandidate committee; a party committee's limit to a candidate is the same $5,000.
#: Form 3X files for a PAC: a person gives it at most $5,000 a year, as does a committee.
PAC_LIMIT = Decimal("5000.00")      # 52 U.S.C. 30116(a)(2)(A), (a)(2)(C)
F3X_INDIVIDUAL_LIMIT = Decimal("5000.00")  # 52 U.S.C. 30116(a)(1)(C)


@dataclass(frozen=True)
class Incomplete:
    """A receipt left out of the file, with what is missing and where to fix it."""
    finding_id: int
    cost_id: int
    day: date
    amount: Decimal
    contributor: str
    volunteer: str
    missing: list[str]
    #: Where to fix it: ("payer", id), ("volunteer", id), ("deployment", id) or ("", None).
    fix: tuple[str, int | None]


@dataclass(frozen=True)
class OverLimit:
    contributor: str
    aggregate: Decimal
    limit: Decimal
    transaction_id: str


@dataclass
class FecExport:
    """What the export found for one deployment and form."""
    form: str
    label: str
    rows: list[dict] = field(default_factory=list)
    incomplete: list[Incomplete] = field(default_factory=list)
    over_limit: list[OverLimit] = field(default_factory=list)
    unitemised_count: int = 0
    unitemised_total: Decimal = Decimal("0.00")

    @property
    def receipts(self) -> int:
        """Receipts written to the file (each with its Schedule B row)."""
        return len(self.rows) // 2


def forms(session: Session) -> dict[str, str]:
    """{form type: label} the rule set knows line numbers for."""
    return {key: spec["label"] for key, spec in active_rule_set(session).fec["forms"].items()}


def _same_election(session: Session, deployment: Deployment) -> list[int]:
    """The deployments whose contributions add up with ``deployment``'s (itself included)."""
    key = election_key(deployment.id, deployment.election_code, deployment.election_office,
                       deployment.election_jurisdiction)
    if key.startswith("deployment:"):
        return [deployment.id]
    return [dep_id for dep_id, code, office, where in session.execute(
        select(Deployment.id, Deployment.election_code, Deployment.election_office,
               Deployment.election_jurisdiction))
        if election_key(dep_id, code, office, where) == key]


def _findings(session: Session, deployment_ids: list[int]):
    return session.execute(
        select(Finding.id, Finding.amount_usd, Finding.rule_id, Finding.facts, Cost.id,
               Cost.deployment_id, Cost.incurred_on, Cost.description, Payer, Volunteer,
               User.full_name)
        .join(Cost, Cost.id == Finding.cost_id)
        .join(Payer, Payer.id == Cost.payer_id)
        .join(Volunteer, Volunteer.id == Cost.volunteer_id)
        .join(User, User.id == Volunteer.user_id)
        .where(Finding.deployment_id.in_(deployment_ids), Finding.is_current.is_(True),
               Finding.code == FindingCode.INKIND_REPORTABLE)
        .order_by(Cost.incurred_on, Cost.id, Finding.id)).all()


def _transaction_id(side: str, cost_id: int, rule_id: str) -> str:
    """Stable across recomputation (a cost and the rule that found it), upper case, ≤ 20."""
    return f"TL{side}{cost_id}-{re.sub(r'[^A-Z0-9]', '', rule_id.upper())}"[:20]


def _address(source, prefix: str) -> tuple[dict, list[str]]:
    values = {f"{prefix}_{part}": ascii_fold(getattr(source, part) or "")
              for part in ("street_1", "street_2", "city", "state", "zip")}
    missing = [label for part, label in (("street_1", "street address"), ("city", "city"),
                                         ("state", "state"), ("zip", "ZIP code"))
               if not values[f"{prefix}_{part}"]]
    return values, missing


def _limit(rs, entity: str, form: str, day: date) -> Decimal:
    """The contribution limit for this contributor on this form."""
    if entity != "IND":
        return PAC_LIMIT
    if form == "F3X":
        return F3X_INDIVIDUAL_LIMIT
    return rs.threshold("individual_limit", day).amount


class _Builder:
    def __init__(self, rs, deployment: Deployment, form: str):
        self.rs, self.deployment, self.form = rs, deployment, form
        self.fec = rs.fec
        self.spec = self.fec["forms"][form]
        self.filer = (deployment.committee_fec_id or "").strip().upper()
        self.election = (deployment.election_code or "").strip().upper()

    def deployment_missing(self) -> list[str]:
        missing = []
        if not fec_schema.COMMITTEE_ID_STRICT.match(self.filer):
            missing.append("the filing committee's FEC id (deployment settings)")
        if not fec_schema.ELECTION_CODE.match(self.election):
            missing.append("the election's FEC code, e.g. G2024 (deployment settings)")
        return missing

    def entity(self, payer: Payer) -> str:
        kind = payer.kind.value
        org = payer.organisation_type.value if payer.organisation_type else ""
        return self.fec["entity_types"].get(f"{kind}:{org}") \
            or self.fec["entity_types"].get(kind, "ORG")

    def pair(self, *, entity, payer, volunteer, volunteer_name, own, finding_id, rule_id,
             cost_id, day, amount, aggregate, label, description, check=True):
        """(receipt, out, missing facts, where to fix them)."""
        missing: list[str] = []
        fix: tuple[str, int | None] = ("payer", payer.id)
        receipt_type, out_type = PAIRS.get(entity, (None, None))
        a_line = self.spec["schedule_a"].get(entity)
        if receipt_type is None:
            missing.append("an FEC in-kind transaction type: the FEC has none for an "
                           "organisation that is not a political or party committee; "
                           "enter this receipt by hand")
        elif not a_line:
            missing.append(f"a {self.form} line number for {entity} contributors in rule set "
                           f"{self.rs.version}")
        a_id, b_id = _transaction_id("A", cost_id, rule_id), _transaction_id("B", cost_id,
                                                                                rule_id)
        text = f"{label} for volunteer {volunteer_name}" + (f" ({description})" if description
                                                           else "")
        what = purpose(self.fec["purpose_prefix"], text, _PURPOSE_MAX)
        b_line = self.spec["schedule_b"]
        shared = {"filer_committee_id_number": self.filer, "election_code": self.election,
                  "entity_type": "IND" if entity == "IND" else "COM"}
        receipt = {**shared, "form_type": a_line or "", "transaction_id": a_id,
                   "back_reference_tran_id_number": b_id, "back_reference_sched_name": b_line,
                   "contribution_date": day.isoformat(), "contribution_amount": plain(amount),
                   "contribution_aggregate": plain(aggregate), "aggregation_group": "GENERAL",
                   "contribution_purpose_descrip": what}
        out = {**shared, "form_type": b_line, "transaction_id": b_id,
               "back_reference_tran_id_number": a_id, "back_reference_sched_name": a_line or "",
               "expenditure_date": day.isoformat(), "expenditure_amount": plain(amount),
               "aggregation_group": "GENERAL_DISBURSEMENT", "expenditure_purpose_descrip": what,
               "memo_text_description": clip(f"In-kind contribution received, {a_id}",
                                             _PURPOSE_MAX)}
        if own:
            # The contributor is the volunteer, and TripLedger keeps no volunteer addresses.
            fix = ("volunteer", volunteer.id)
            missing.append(f"volunteer {volunteer_name}'s postal address: TripLedger keeps "
                           "none for volunteers, so enter this receipt by hand")
        else:
            address, lacking = _address(payer, "contributor")
            receipt.update(address)
            out.update({k.replace("contributor_", "payee_"): v for k, v in address.items()})
            if lacking:
                missing.append(f"the payer's {', '.join(lacking)}")
        if entity == "IND":
            name = split_name(volunteer_name if own else payer.name)
            if name is None:
                missing.append("a first and last name (the name is one word)")
            else:
                receipt.update(contributor_last_name=name.last, contributor_first_name=name.first)
                out.update(payee_last_name=name.last, payee_first_name=name.first)
            out["aggregate_amount"] = plain(aggregate)
            # Best efforts (11 CFR 104.7): what we do not know is asked for, and said so.
            asked = self.fec["information_requested"]
            employer = ascii_fold(volunteer.home_organisation) if own else ""
            receipt["contributor_employer"] = clip(employer or asked, 38)
            receipt["contributor_occupation"] = clip(asked, 38)
        elif receipt_type is not None:
            committee = (payer.fec_committee_id or "").strip().upper()
            if not fec_schema.COMMITTEE_ID_STRICT.match(committee):
                missing.append("the paying committee's FEC id (C and eight digits)")
            org_name = clip(ascii_fold(payer.name), 200)
            receipt.update(contributor_organization_name=org_name,
                           donor_committee_fec_id=committee, donor_committee_name=org_name)
            out.update(payee_organization_name=org_name, beneficiary_committee_fec_id=committee,
                       beneficiary_committee_name=org_name)
        receipt["transaction_type_identifier"] = receipt_type.identifier if receipt_type else ""
        out["transaction_type_identifier"] = out_type.identifier if out_type else ""
        if check and not missing:
            # Whatever the facts, never write a row the FEC's rules would refuse.
            missing += fec_schema.problems(receipt, receipt_type, form=self.form,
                                           form_type=a_line,
                                           employer_above=self.rs.threshold("itemisation",
                                                                            day).amount)
            missing += fec_schema.problems(out, out_type, form=self.form, form_type=b_line)
            # Each row carries its own schedule's column set, blank where a fact is optional.
            receipt = {name: receipt.get(name) or "" for name in receipt_type.columns}
            out = {name: out.get(name) or "" for name in out_type.columns}
        return receipt, out, missing, fix


def build(session: Session, deployment: Deployment, *, form: str | None = None) -> FecExport:
    """The export of ``deployment`` on ``form`` (the rule set's default form when None).

    :raises ValidationFailed: a form type the rule set has no line numbers for
    """
    flush_pending(session)
    rs = active_rule_set(session)
    fec = rs.fec
    form = (form or fec["default_form"]).strip().upper()
    if form not in fec["forms"]:
        raise ValidationFailed(f"No line numbers for form {form!r}; choose one of "
                               f"{', '.join(fec['forms'])}.", field="form")
    builder = _Builder(rs, deployment, form)
    export = FecExport(form=form, label=fec["forms"][form]["label"])
    on_deployment = builder.deployment_missing()
    aggregates: dict[tuple, Decimal] = {}
    for (finding_id, amount, rule_id, facts, cost_id, deployment_id, day, description, payer,
         volunteer, volunteer_name) in _findings(session, _same_election(session, deployment)):
        own = payer.kind.value == "SELF"
        entity = builder.entity(payer)
        who = ("volunteer", volunteer.id) if own else \
            ("payer", " ".join(payer.name.casefold().split()))
        aggregates[who] = aggregates.get(who, Decimal("0.00")) + amount
        aggregate = aggregates[who]
        if deployment_id != deployment.id:
            continue  # counted in the aggregate; another deployment's export writes it
        if entity == "IND" and aggregate <= rs.threshold("itemisation", day).amount:
            export.unitemised_count += 1
            export.unitemised_total += amount
            continue
        contributor = volunteer_name if own else payer.name
        label = rs.value_labels.get((facts or {}).get("value"), "thing of value")
        receipt, out, missing, fix = builder.pair(
            entity=entity, payer=payer, volunteer=volunteer, volunteer_name=volunteer_name,
            own=own, finding_id=finding_id, rule_id=rule_id, cost_id=cost_id, day=day,
            amount=amount, aggregate=aggregate, label=label, description=description,
            check=not on_deployment)
        missing = on_deployment + missing
        if missing:
            if on_deployment and len(missing) == len(on_deployment):
                fix = ("deployment", deployment.id)
            export.incomplete.append(Incomplete(finding_id, cost_id, day, amount, contributor,
                                                volunteer_name, missing, fix))
            continue
        limit = _limit(rs, entity, form, day)
        if aggregate > limit:
            export.over_limit.append(OverLimit(contributor, aggregate, limit,
                                               receipt["transaction_id"]))
        export.rows += [receipt, out]
    return export


def to_csv(export: FecExport) -> str:
    """The rows as CSV: a header of every column (Schedule A's, then Schedule B's own), each
    row filling its schedule's columns; amounts are plain numbers, dates YYYY-MM-DD.

    Names, organisations and addresses are the payers' and volunteers' own words: like every
    export, cells that a spreadsheet would run as formulas are neutralised (``csv_cells``).
    """
    unknown = {key for row in export.rows for key in row} - set(COLUMNS)
    if unknown:  # as csv.DictWriter refused them: a column the schema does not list
        raise ValueError(f"FEC rows have columns not in the schema: {sorted(unknown)}")
    return write_csv(COLUMNS, ([row.get(column, "") for column in COLUMNS]
                               for row in export.rows))


def fec_rows(session: Session, deployment: Deployment, *, form: str | None = None) -> list[dict]:
    """The complete rows only (see :func:`build` for what was left out and why)."""
    return build(session, deployment, form=form).rows


def fec_csv(session: Session, deployment: Deployment, *, form: str | None = None) -> str:
    return to_csv(build(session, deployment, form=form))
