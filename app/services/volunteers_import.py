"""Import volunteers from volunteers.csv (DESIGN.md): accounts, declarations and claims.

Columns: full_name, email, citizenship, country, home_organisation, affiliation, state, role,
arrive_on, depart_on, leave_type; optional: role_override_reason (a header may leave it out).

- A new email gets a volunteer account without a password (they set one later); an existing
  volunteer account is reused and its declaration updated. Another role's email is an error.
- ``state`` blank: no claim. Otherwise the row claims a spot through ``signups.claim_spot``,
  the same path as the form and the API: a full state puts the row on the waitlist, or — when
  the deployment keeps none — is reported as an error for that row.
- A foreign national in a decision-making role needs ``role_override_reason``.
- All or nothing: every bad row is reported with line, column and reason; nothing is written.

``parse`` reads the cells (no database); ``import_parsed`` checks them against the deployment
and the accounts and writes. The browser parses on upload (a dry run, rolled back, makes the
preview exact), keeps the parsed rows with the staged file, and imports them on confirmation:
the file itself is read once.
"""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..models import (ACTIVE_SIGNUP_STATUSES, Affiliation, Citizenship, Deployment, LeaveType,
                      Role, Signup, SignupRole, User)
from . import accounts, audit, choices, csv_import, password_links, signups, spots
from .csv_import import ParsedFile, Row, limited, parse_date
from .errors import DomainError
from .validation import country_code, normalise_email

COLUMNS = ("full_name", "email", "citizenship", "country", "home_organisation", "affiliation",
           "state", "role", "arrive_on", "depart_on", "leave_type")
#: Columns a header may leave out (then blank in every row).
OPTIONAL_COLUMNS = ("role_override_reason",)


@dataclass
class VolunteersImport:
    filename: str
    sha256: str
    rows: int
    new_accounts: int = 0
    #: (state, status) → count of claims made
    claims: Counter = field(default_factory=Counter)
    #: The rows as read, kept with a staged upload so confirming does not read the file again.
    parsed: ParsedFile | None = None

    def summary(self) -> dict:
        """What the preview page shows, as plain JSON (kept with the staged upload)."""
        return {"rows": self.rows, "new_accounts": self.new_accounts,
                "claims": [[state, status, count]
                           for (state, status), count in sorted(self.claims.items())]}

    def describe(self) -> str:
        parts = [f"{count} {status} in {state}"
                 for (state, status), count in sorted(self.claims.items())]
        return (f"{self.rows} volunteers ({self.new_accounts} new accounts); claims: "
                + (", ".join(parts) or "none"))


def _enum(enum_cls, field: str, what: str):
    return lambda raw: choices.parse(enum_cls, raw, field=field, what=what)


def parse(data: bytes, *, filename: str | None = None) -> ParsedFile:
    """Read every cell of a volunteers.csv; problems are noted on the rows, not raised
    (``import_parsed`` reports them all at once, with what the database says).

    :raises FileRejected: the file cannot be read as a volunteers.csv
    """
    csv_file = csv_import.parse(data, columns=COLUMNS, optional=OPTIONAL_COLUMNS,
                                filename=filename)
    cells, seen = [], {}
    for row in csv_file.rows:
        cell = {
            "full_name": row.take("full_name", limited(200), what="the person's name"),
            "email": row.take("email", normalise_email, what="an email address"),
            "citizenship": row.take("citizenship", _enum(Citizenship, "citizenship", "citizenship"),
                                    what="US_CITIZEN, LPR or FOREIGN_NATIONAL"),
            "country": row.take("country", country_code, what="a two-letter country code"),
            "home_organisation": row.take("home_organisation", limited(200), required=False,
                                          default=""),
            "affiliation": row.take("affiliation", _enum(Affiliation, "affiliation", "affiliation"),
                                    required=False),
            "leave_type": row.take("leave_type", _enum(LeaveType, "leave_type", "leave type"),
                                   required=False),
            "override": row.take("role_override_reason", limited(2000), required=False),
            "state": row.get("state").upper() or None,
            "role": None, "arrive_on": None, "depart_on": None,
        }
        if cell["state"]:
            cell["role"] = row.take("role", _enum(SignupRole, "role", "role"), required=False,
                                    default=SignupRole.CANVASSER)
            cell["arrive_on"] = row.take("arrive_on", parse_date, required=False)
            cell["depart_on"] = row.take("depart_on", parse_date, required=False)
            if (cell["role"] and cell["role"].is_decision_making and not cell["override"]
                    and cell["citizenship"] is Citizenship.FOREIGN_NATIONAL):
                row.error("role_override_reason",
                          f"a foreign national as {cell['role'].value} needs the organiser's "
                          "written reason (foreign nationals may not take part in a campaign's "
                          "decisions: 52 U.S.C. 30121; 11 CFR 110.20(i)).")
        email = cell["email"]
        if email:
            if email in seen:
                row.error("email", f"is also on line {seen[email]}; one row per person.")
            seen.setdefault(email, row.line)
        cells.append(cell)
    return ParsedFile(filename or "volunteers.csv", hashlib.sha256(data).hexdigest(),
                      csv_file.rows, cells)


def _check_placements(deployment: Deployment, rows: list[Row], cells: list[dict]) -> None:
    """Each claim's state is one of the deployment's, its dates inside that state's window."""
    placements = {p.state_code: p for p in deployment.placements}
    for row, cell in zip(rows, cells):
        state = cell["state"]
        if not state:
            continue
        placement = placements.get(state)
        if placement is None:
            row.error("state", f"{state!r} is not a state of this deployment "
                               f"(it has: {', '.join(placements) or 'none'}).")
        elif row.ok:
            arrive = cell["arrive_on"] or placement.arrive_from
            depart = cell["depart_on"] or placement.depart_by
            if depart < arrive:
                row.error("depart_on", "is before arrive_on.")
            elif arrive < placement.arrive_from or depart > placement.depart_by:
                row.error("arrive_on", f"the dates must fall within {state}'s window, "
                                       f"{placement.arrive_from} to {placement.depart_by}.")


def _check_existing(session: Session, deployment: Deployment, rows: list[Row],
                    cells) -> dict[str, User]:
    """The accounts the rows name ({email: user}); rows that may not reuse theirs are errors."""
    emails = [c["email"] for c in cells if c["email"]]
    users = {}
    for start in range(0, len(emails), 500):
        users.update((u.email, u) for u in session.scalars(
            select(User).where(User.email.in_(emails[start:start + 500]))
            .options(joinedload(User.volunteer))))
    # Only a sign-up still active stands in the way: someone who withdrew, or whom an
    # organiser rejected or cancelled, is taken back by the import (a new claim).
    claimed = set(session.scalars(select(Signup.volunteer_id).where(
        Signup.deployment_id == deployment.id,
        Signup.status.in_(ACTIVE_SIGNUP_STATUSES))))
    for row, cell in zip(rows, cells):
        user = users.get(cell["email"])
        if user is None:
            continue
        if user.role is not Role.VOLUNTEER:
            row.error("email", f"belongs to an account of the {user.role.value} role, not a "
                               "volunteer.")
        elif cell["state"] and user.volunteer.id in claimed:
            row.error("email", "this volunteer already has a sign-up in this deployment; "
                               "change it on the roster instead.")
    return users


def _check_capacity(session: Session, deployment: Deployment, rows: list[Row], cells) -> None:
    """Without a waitlist, rows beyond a state's remaining spots are errors (under the lock)."""
    if deployment.keeps_waitlist:
        return
    wanted = defaultdict(list)
    for row, cell in zip(rows, cells):
        if cell["state"] and row.ok:
            wanted[cell["state"]].append(row)
    placements = {p.state_code: p for p in deployment.placements}
    locked = spots.lock_placements(session, [placements[s].id for s in wanted])
    for state, state_rows in wanted.items():
        placement = locked[placements[state].id]
        free = placement.capacity - spots.held_spots(session, placement.id)
        for position, row in enumerate(state_rows, start=1):
            if position > free:
                row.error("state", f"{state} is full: {max(free, 0)} spot(s) remain for this "
                                   f"file's {len(state_rows)} claims there, and this deployment "
                                   "keeps no waitlist.")


def import_volunteers(session: Session, deployment: Deployment, data: bytes, *,
                      actor: User | None, filename: str | None = None) -> VolunteersImport:
    """Check a volunteers.csv, then create accounts, declarations and claims. Flushes; the caller
    commits — or rolls back for a dry run (claims really run, so the preview is exact).

    :raises FileRejected: the file cannot be read as a volunteers.csv
    :raises ImportRejected: listing every bad row; nothing is written
    """
    return import_parsed(session, deployment, parse(data, filename=filename), actor=actor)


def import_parsed(session: Session, deployment: Deployment, parsed: ParsedFile, *,
                  actor: User | None) -> VolunteersImport:
    """Check parsed rows against the deployment and the accounts as they are now, then write
    them (the file itself is not read again: the browser's confirmation uses this).

    :raises ImportRejected: listing every bad row; nothing is written
    """
    audit.act_as(session, actor)
    rows, cells = parsed.rows, parsed.cells
    _check_placements(deployment, rows, cells)
    users = _check_existing(session, deployment, rows, cells)
    _check_capacity(session, deployment, rows, cells)
    csv_import.reject_if_errors(rows, parsed.filename)
    result = VolunteersImport(parsed.filename, parsed.sha256, len(cells), parsed=parsed)
    for row, cell in zip(rows, cells):
        try:
            _write_row(session, deployment, cell, users.get(cell["email"]), actor, result)
        except DomainError as exc:  # e.g. a state filled up by someone else meanwhile
            row.error(exc.field or "state", exc.message)
    csv_import.reject_if_errors(rows, parsed.filename)
    audit.record(session, "volunteers.imported", "deployments", deployment.id,
                 {"file": result.filename, "sha256": result.sha256, "rows": result.rows,
                  "new_accounts": result.new_accounts,
                  "claims": {f"{s}:{status}": n for (s, status), n in result.claims.items()}})
    return result


def _write_row(session: Session, deployment: Deployment, cell: dict, user: User | None, actor,
               result) -> None:
    if user is None:
        user = accounts.create_user(session, email=cell["email"], full_name=cell["full_name"],
                                    role=Role.VOLUNTEER, password=None, actor=actor)
        # They choose their password from the invitation's link (sent with the import).
        password_links.invite(session, user, actor=actor)
        result.new_accounts += 1
    volunteer = user.volunteer
    signups.declare(session, volunteer, citizenship=cell["citizenship"], country=cell["country"],
                    home_organisation=cell["home_organisation"] or "",
                    affiliation=cell["affiliation"] or volunteer.affiliation,
                    leave_type=cell["leave_type"] or volunteer.leave_type,
                    attest=False, actor=actor)
    if cell["state"]:
        claim = signups.claim_spot(
            session, deployment=deployment, volunteer=volunteer, state=cell["state"],
            role=cell["role"], arrive_on=cell["arrive_on"], depart_on=cell["depart_on"],
            override_reason=cell["override"], actor=actor, require_attestation=False,
            by_organiser=True)
        result.claims[(cell["state"], claim.signup.status.value)] += 1
