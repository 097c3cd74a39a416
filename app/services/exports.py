"""CSV exports of the ledger, the roster and the housing list.

``contact=False`` leaves out personal contact data (emails, phone numbers and addresses), for
sending a list to a hotel or a partner. Every cell goes through ``csv_cells.write_csv``, which
neutralises formulas. The ledger export starts with costs.csv's columns in DESIGN.md's order,
then its optional columns, so a full export can be imported again (a line repaid by another is
named by its reference, or ``#id`` when it has none).
"""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..models import (Accommodation, Cost, Deployment, ExchangeRate, Payer, Placement, Signup,
                      Stay, User, Volunteer)
from .costs_import import COLUMNS as COST_COLUMNS
from .costs_import import OPTIONAL_COLUMNS as OPTIONAL_COST_COLUMNS
from .csv_cells import write_csv
from .totals import states_of_volunteers

KINDS = ("ledger", "roster", "housing")
#: Columns that identify how to reach a person; dropped when contact=False.
CONTACT_COLUMNS = {"volunteer_email", "email", "phone", "address"}
_BATCH = 1000


def _select_columns(header: list[str], rows, contact: bool) -> tuple[list[str], Iterator]:
    keep = [i for i, name in enumerate(header) if contact or name not in CONTACT_COLUMNS]
    return [header[i] for i in keep], ([row[i] for i in keep] for row in rows)


def ledger_csv(session: Session, deployment: Deployment, *, contact: bool = True) -> str:
    """Every cost line of the deployment, oldest first."""
    arranger, repaid = aliased(Payer), aliased(Cost)
    header = [*COST_COLUMNS, *OPTIONAL_COST_COLUMNS, "volunteer_name", "state", "usd_per_unit",
              "rate_on", "reimbursed", "reimbursed_on", "evidence_ref", "origin", "line_id"]
    states = states_of_volunteers(session, deployment)  # as in the totals
    stmt = (select(User.email, Cost.category, Cost.description, Cost.amount, Cost.currency,
                   Cost.incurred_on, Payer.name, Payer.kind, Payer.country, arranger.name,
                   Cost.paid_to, Cost.in_residence, Cost.amount_usd, Payer.organisation_type,
                   Cost.cash_outlay, Cost.line_ref, repaid.line_ref, repaid.id, User.full_name,
                   Cost.volunteer_id, Cost.usd_per_unit, ExchangeRate.rate_on,
                   Cost.reimbursed, Cost.reimbursed_on, Cost.evidence_ref, Cost.origin, Cost.id)
            .join(Volunteer, Volunteer.id == Cost.volunteer_id)
            .join(User, User.id == Volunteer.user_id)
            .join(Payer, Payer.id == Cost.payer_id)
            .outerjoin(arranger, arranger.id == Cost.arranged_by_id)
            .outerjoin(ExchangeRate, ExchangeRate.id == Cost.exchange_rate_id)
            .outerjoin(repaid, repaid.id == Cost.reimburses_id)
            .where(Cost.deployment_id == deployment.id)
            .order_by(Cost.incurred_on, Cost.id)
            .execution_options(yield_per=_BATCH))
    result = session.execute(stmt)

    def rows():
        for row in result:
            row = list(row)
            # the line it repays: its reference, or "#id" (which the import understands)
            ref, repaid_id = row.pop(16), row.pop(16)
            row.insert(16, ref or (f"#{repaid_id}" if repaid_id else ""))
            row[18] = states.get(row[18], "")  # the volunteer id becomes their state
            yield row
    try:
        return write_csv(*_select_columns(header, rows(), contact))
    finally:
        result.close()


def roster_csv(session: Session, deployment: Deployment, *, contact: bool = True) -> str:
    """Every sign-up of the deployment (all statuses) with the volunteer's details."""
    header = ["full_name", "email", "phone", "citizenship", "country", "home_organisation",
              "affiliation", "leave_type", "state", "role", "status", "arrive_on", "depart_on",
              "attested_at", "signup_id"]
    stmt = (select(User.full_name, User.email, Volunteer.phone, Volunteer.citizenship,
                   Volunteer.country, Volunteer.home_organisation, Volunteer.affiliation,
                   Volunteer.leave_type, Placement.state_code, Signup.role, Signup.status,
                   Signup.arrive_on, Signup.depart_on, Volunteer.attested_at, Signup.id)
            .join(Volunteer, Volunteer.id == Signup.volunteer_id)
            .join(User, User.id == Volunteer.user_id)
            .join(Placement, Placement.id == Signup.placement_id)
            .where(Signup.deployment_id == deployment.id)
            .order_by(Placement.state_code, User.full_name, Signup.id)
            .execution_options(yield_per=_BATCH))
    rows = session.execute(stmt)
    try:
        return write_csv(*_select_columns(header, rows, contact))
    finally:
        rows.close()


def housing_csv(session: Session, deployment: Deployment, *, contact: bool = True) -> str:
    """Every stay: who sleeps where, when, and who pays for it."""
    arranger = aliased(Payer)
    header = ["accommodation", "kind", "address", "city", "state", "host_residence",
              "full_name", "email", "phone", "check_in", "check_out", "nights", "nightly_cost",
              "currency", "cost_split", "payer_name", "payer_kind", "arranged_by", "stay_id"]
    stmt = (select(Accommodation.name, Accommodation.kind, Accommodation.address,
                   Accommodation.city, Accommodation.state_code, Accommodation.is_host_residence,
                   User.full_name, User.email, Volunteer.phone, Stay.check_in, Stay.check_out,
                   Accommodation.nightly_cost, Accommodation.currency, Accommodation.cost_split,
                   Payer.name, Payer.kind, arranger.name, Stay.id)
            .join(Accommodation, Accommodation.id == Stay.accommodation_id)
            .join(Signup, Signup.id == Stay.signup_id)
            .join(Volunteer, Volunteer.id == Signup.volunteer_id)
            .join(User, User.id == Volunteer.user_id)
            .join(Payer, Payer.id == Accommodation.payer_id)
            .outerjoin(arranger, arranger.id == Accommodation.arranged_by_id)
            .where(Accommodation.deployment_id == deployment.id)
            .order_by(Accommodation.state_code, Accommodation.name, Stay.check_in, User.full_name)
            .execution_options(yield_per=_BATCH))
    result = session.execute(stmt)

    def rows():
        for (name, kind, address, city, state, residence, full_name, email, phone, check_in,
             check_out, nightly, currency, split, payer, payer_kind, arranged, stay_id) in result:
            yield [name, kind, address, city, state, residence, full_name, email, phone,
                   check_in, check_out, (check_out - check_in).days, nightly, currency, split,
                   payer, payer_kind, arranged or "", stay_id]
    try:
        return write_csv(*_select_columns(header, rows(), contact))
    finally:
        result.close()


def export_csv(session: Session, deployment: Deployment, kind: str, *, contact: bool) -> str:
    """:raises KeyError: not one of KINDS"""
    return {"ledger": ledger_csv, "roster": roster_csv,
            "housing": housing_csv}[kind](session, deployment, contact=contact)
