"""Keeping findings current: every change to the facts updates them in the same transaction.

Whatever changes the facts (views, CLI, imports, the demo, other areas' services) goes
through the session, so the session hooks (``services/hooks.py``, first in its list) call in:

- ``note_created`` / ``note_changed`` note what changed: cost lines, stays, accommodations,
  payers, volunteers' declarations, sign-ups, deployments' elections, the rule set in force.
  Only ids are noted, so a 20,000-line import costs a few set insertions per line.
- ``flush_pending``, before the commit (and before the audit chain's hook), turns those ids
  into the volunteers whose findings may change, and recomputes each of them once, with bulk
  queries and bulk writes. Running totals make the set wider than the lines touched: all of
  a volunteer's lines in the election, and everyone a host fed at home.
- ORM bulk INSERT/UPDATE/DELETE statements skip the unit of work, so ``note_bulk`` reads the
  ids they are about to touch (or, when a statement moves rows to ids only it knows, marks
  everything for recomputation). Plain SQL text bypasses all of this; don't.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm import Session, aliased

from ...models import (ACTIVE_SIGNUP_STATUSES, Accommodation, Cost, Deployment, Finding,
                       Payer, Placement, Signup, Stay, Volunteer)
from ...models.compliance import RuleSetActivation
from ...models.types import utcnow
from .. import money
from .engine import (SEVERITY, LineFacts, Outcome, RoleFacts, classify_lines, classify_role,
                     classify_volunteer, paid_lines)
from .rules import RuleSet
from .store import active_rule_set


def digest(*values) -> str:
    """SHA-256 of plain values (str, int, bool, None, Decimal, date and dicts/lists of them).

    ``repr`` of these is exact and stable, and much cheaper than canonical JSON, which
    matters at 30,000 findings per recompute. Dicts are built in a fixed order by this module.
    """
    return hashlib.sha256(repr(values).encode()).hexdigest()


_DIRTY = "compliance_dirty"
_BUSY = "compliance_syncing"
_CHUNK = 900  # ids per IN (...) list, well under every database's limit
_ACTIVE = tuple(s.value for s in ACTIVE_SIGNUP_STATUSES)


@dataclass
class Dirty:
    """Ids of changed records, collected during a transaction."""
    volunteers: set = field(default_factory=set)
    payers: set = field(default_factory=set)
    #: Payers of home-hospitality lines that changed (their running totals move).
    hosts: set = field(default_factory=set)
    signups: set = field(default_factory=set)
    #: Cost lines and sign-ups inserted in this transaction: no findings can exist for them yet.
    new_costs: set = field(default_factory=set)
    new_signups: set = field(default_factory=set)
    accommodations: set = field(default_factory=set)
    deployments: set = field(default_factory=set)
    everything: bool = False

    def __bool__(self) -> bool:
        return bool(self.everything or self.volunteers or self.payers or self.hosts
                    or self.signups
                    or self.accommodations or self.deployments)


def _dirty(session: Session) -> Dirty:
    return session.info.setdefault(_DIRTY, Dirty())


# -- noticing changes ----------------------------------------------------------------------
def _values(session: Session, obj, name: str) -> set:
    """The current value of a column and, if this flush changes it, the previous one (read
    from the database when the ORM no longer holds it, e.g. after a commit expired it)."""
    state = inspect(obj)
    found = {getattr(obj, name)}
    history = state.attrs[name].history
    if history.deleted:
        found.update(history.deleted)
    elif history.added and state.key is not None:
        mapper = state.mapper
        found.add(session.scalar(select(mapper.columns[name])
                                 .where(mapper.primary_key[0] == state.key[1][0])))
    return found - {None}


def _note(session: Session, obj, *, new: bool = False) -> None:
    dirty = _dirty(session)
    if isinstance(obj, Cost):
        if new:
            dirty.volunteers.add(obj.volunteer_id)
            dirty.new_costs.add(obj.id)
            if obj.in_residence:
                dirty.hosts.add(obj.payer_id)
            return
        dirty.volunteers |= _values(session, obj, "volunteer_id")
        if True in _values(session, obj, "in_residence"):
            dirty.hosts |= _values(session, obj, "payer_id")
    elif isinstance(obj, Volunteer):
        dirty.volunteers.add(obj.id)
    elif isinstance(obj, Signup):
        if new:
            dirty.volunteers.add(obj.volunteer_id)
            dirty.new_signups.add(obj.id)
        else:
            dirty.volunteers |= _values(session, obj, "volunteer_id")
    elif isinstance(obj, Stay):
        dirty.signups |= {obj.signup_id} if new else _values(session, obj, "signup_id")
    elif isinstance(obj, Accommodation) and not new:
        dirty.accommodations.add(obj.id)
    elif isinstance(obj, Payer) and not new:
        dirty.payers.add(obj.id)
    elif isinstance(obj, Deployment) and not new:
        dirty.deployments.add(obj.id)
    elif isinstance(obj, RuleSetActivation):
        dirty.everything = True


_WATCHED = (Cost, Volunteer, Signup, Stay, Accommodation, Payer, Deployment, RuleSetActivation)


def note_created(session: Session, obj) -> None:
    """A row just inserted (hook)."""
    if isinstance(obj, _WATCHED):
        _note(session, obj, new=True)


def note_changed(session: Session, obj) -> None:
    """A row about to be updated or deleted (hook: before the flush)."""
    if isinstance(obj, _WATCHED):
        _note(session, obj)


#: For bulk statements: the column that names what a row is about, and where it goes.
_BULK_KEYS = {Cost: ("volunteer_id", "volunteers"), Signup: ("volunteer_id", "volunteers"),
              Volunteer: ("id", "volunteers"), Payer: ("id", "payers"),
              Stay: ("signup_id", "signups"), Accommodation: ("id", "accommodations"),
              Deployment: ("id", "deployments")}


def note_bulk(orm_execute_state) -> None:
    """ORM bulk INSERT/UPDATE/DELETE skip the unit of work: find the rows they touch here."""
    state = orm_execute_state
    mapper = state.bind_mapper
    if mapper is None or mapper.class_ not in _WATCHED:
        return
    entity = mapper.class_
    dirty = _dirty(state.session)
    if entity not in _BULK_KEYS:  # a rule set: everything
        dirty.everything = True
        return
    column, target = _BULK_KEYS[entity]
    found = getattr(dirty, target)
    if state.is_insert:
        params = state.parameters
        rows = params if isinstance(params, list) else [params] if params else []
        if not rows or not all(column in row for row in rows):
            dirty.everything = True
            return
        found |= {row[column] for row in rows}
        if entity is Cost:
            dirty.hosts |= {row.get("payer_id") for row in rows if row.get("in_residence")}
        return
    # UPDATE/DELETE ... WHERE: read the rows it will touch before it runs.
    sets = {getattr(key, "key", key) for key in (getattr(state.statement, "_values", None) or {})}
    if sets & {"volunteer_id", "payer_id", "signup_id", "id"}:
        dirty.everything = True  # rows move to ids only the statement knows
        return
    where = state.statement.whereclause
    columns = [getattr(entity, column)] + ([Cost.payer_id, Cost.in_residence]
                                           if entity is Cost else [])
    query = select(*columns) if where is None else select(*columns).where(where)
    for row in state.session.execute(query):
        found.add(row[0])
        if entity is Cost and row[2]:
            dirty.hosts.add(row[1])


def forget(session: Session) -> None:
    """A rollback: nothing noted survives it."""
    session.info.pop(_DIRTY, None)


def flush_pending(session: Session) -> int:
    """Bring findings up to date with this transaction's changes now; returns rows written.

    Runs before every commit (a hook); call it to read current findings mid-transaction.
    """
    if session.info.get(_BUSY):
        return 0
    session.flush()
    dirty = session.info.pop(_DIRTY, None)
    if not dirty:
        return 0
    session.info[_BUSY] = True
    try:
        volunteers = None if dirty.everything else affected_volunteers(session, dirty)
        if volunteers is not None and not volunteers:
            return 0
        return recompute(session, volunteers,
                         new={"cost_id": dirty.new_costs, "signup_id": dirty.new_signups})
    finally:
        session.info.pop(_BUSY, None)


# -- who is affected ---------------------------------------------------------------------
def _chunks(ids) -> list[list]:
    ids = sorted(ids)
    return [ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def _scalars_in(session: Session, column_query, column, ids) -> set:
    found = set()
    for chunk in _chunks(ids):
        found.update(session.scalars(column_query.where(column.in_(chunk))))
    return found


def election_key(deployment_id: int, code: str | None, office: str | None = "",
                 jurisdiction: str | None = "") -> str:
    """Running totals are per election (its code, office and jurisdiction): deployments for
    the same election share them; a deployment without an election code keeps its own."""
    code = (code or "").strip().upper()
    if not code:
        return f"deployment:{deployment_id}"
    parts = [code, (office or "").strip().lower(), (jurisdiction or "").strip().upper()]
    return "/".join(parts).rstrip("/")


def _host_key(election_key: str, payer_name: str) -> tuple[str, str]:
    return (election_key, " ".join((payer_name or "").casefold().split()))


def affected_volunteers(session: Session, dirty: Dirty) -> set[int]:
    """Every volunteer whose findings the noted changes may touch."""
    volunteers = set(dirty.volunteers)
    if dirty.payers:
        for column in (Cost.payer_id, Cost.arranged_by_id):
            volunteers |= _scalars_in(session, select(Cost.volunteer_id).distinct(), column,
                                      dirty.payers)
    if dirty.accommodations:
        dirty.signups |= _scalars_in(session, select(Stay.signup_id).distinct(),
                                     Stay.accommodation_id, dirty.accommodations)
    if dirty.signups:
        volunteers |= _scalars_in(session, select(Signup.volunteer_id).distinct(),
                                  Signup.id, dirty.signups)
    if dirty.deployments:
        for column, table in ((Cost.deployment_id, Cost), (Signup.deployment_id, Signup)):
            volunteers |= _scalars_in(session, select(table.volunteer_id).distinct(), column,
                                      dirty.deployments)
    hosts = dirty.hosts | dirty.payers
    if hosts:
        # A host's home hospitality is one running total: everyone they fed is affected.
        keys = set()
        for chunk in _chunks(hosts):
            keys |= {_host_key(election_key(dep, code, office, where), name)
                     for dep, code, office, where, name in
                     session.execute(select(Payer.deployment_id, Deployment.election_code,
                                            Deployment.election_office,
                                            Deployment.election_jurisdiction, Payer.name)
                                     .join(Deployment, Deployment.id == Payer.deployment_id)
                                     .where(Payer.id.in_(chunk)))}
        for dep, code, office, where, name, volunteer_id in session.execute(_HOST_LINES):
            if _host_key(election_key(dep, code, office, where), name) in keys:
                volunteers.add(volunteer_id)
    return volunteers


_HOST_LINES = (select(Cost.deployment_id, Deployment.election_code, Deployment.election_office,
                      Deployment.election_jurisdiction, Payer.name, Cost.volunteer_id)
               .join(Deployment, Deployment.id == Cost.deployment_id)
               .join(Payer, Payer.id == Cost.payer_id).where(Cost.in_residence.is_(True)))


# -- recomputing -------------------------------------------------------------------------
_ARRANGER = aliased(Payer)


def _line_query():
    return (select(Cost.id, Cost.deployment_id, Deployment.election_code,
                   Deployment.election_office, Deployment.election_jurisdiction, Cost.volunteer_id,
                   Volunteer.citizenship, Volunteer.leave_type, Cost.category, Cost.description,
                   Cost.amount, Cost.currency, Cost.amount_usd, Cost.incurred_on, Cost.payer_id,
                   Payer.name, Payer.kind, Payer.organisation_type, Cost.arranged_by_id,
                   _ARRANGER.name, _ARRANGER.kind, Cost.in_residence, Cost.reimbursed,
                   Cost.cash_outlay, Payer.country, Cost.reimburses_id, Cost.exchange_rate_id)
            .join(Deployment, Deployment.id == Cost.deployment_id)
            .join(Volunteer, Volunteer.id == Cost.volunteer_id)
            .join(Payer, Payer.id == Cost.payer_id)
            .outerjoin(_ARRANGER, _ARRANGER.id == Cost.arranged_by_id))


def _select(session: Session, statement, params: dict):
    """Run a column SELECT on the session's connection, without the ORM's per-statement work:
    these run at every commit that touches a volunteer (every claim, under its lock). Pending
    changes are flushed first, as autoflush would have."""
    session.flush()
    return session.connection().execute(statement, params)


def _of_volunteers(query, column) -> tuple:
    """``query`` for one volunteer, and for a list of them. The usual commit (a claim, an
    edited line) touches one volunteer, and a plain ``=`` skips the IN list's per-run
    rendering."""
    return (query.where(column == bindparam("id")),
            query.where(column.in_(bindparam("ids", expanding=True))))


def _select_of(session: Session, statements: tuple, ids: list):
    one, many = statements
    return _select(session, one, {"id": ids[0]}) if len(ids) == 1 else \
        _select(session, many, {"ids": list(ids)})


def _value(enum_or_none):
    return None if enum_or_none is None else getattr(enum_or_none, "value", enum_or_none)


@dataclass
class _Line:
    facts: LineFacts
    deployment_id: int
    amount: Decimal
    currency: str
    arranged_by_name: str | None
    write: bool
    #: None when the USD value was given by hand (or the line is in US dollars).
    exchange_rate_id: int | None = None


# Built once: this runs at every commit that touches a volunteer, and building a statement
# costs more than running it on small data.
_LINES = _line_query()
_LINES_OF = _of_volunteers(_LINES, Cost.volunteer_id)
_LINES_IN_RESIDENCE = _LINES.where(Cost.in_residence.is_(True))


def _load_lines(session: Session, volunteers: set | None,
                extra_hosts: set | None = None) -> list[_Line]:
    query = _LINES
    rows = []
    if volunteers is None:
        rows = session.execute(query).all()
    elif len(volunteers) > _CHUNK:
        # Many people (an import): one pass over the lines beats a scan per IN list.
        rows = [row for row in session.execute(query) if row.volunteer_id in volunteers]
    else:
        for chunk in _chunks(volunteers):
            rows += _select_of(session, _LINES_OF, chunk).all()
    lines = [_line(row, write=True) for row in rows]
    if volunteers is not None:
        # Other volunteers' lines from the same hosts: needed for the hosts' running totals.
        mine = {line.facts.line_id for line in lines}
        hosts = {_host_key(line.facts.election_key, line.facts.payer_name)
                 for line in lines if line.facts.in_residence} | (extra_hosts or set())
        if hosts:
            extra = session.execute(_LINES_IN_RESIDENCE).all()
            for row in extra:
                line = _line(row, write=False)
                if line.facts.line_id not in mine and \
                        _host_key(line.facts.election_key, line.facts.payer_name) in hosts:
                    lines.append(line)
    return lines


def _line(row, *, write: bool) -> _Line:
    (cost_id, deployment_id, election_code, election_office, election_jurisdiction,
     volunteer_id, citizenship, leave_type, category, description, amount, currency, amount_usd,
     incurred_on, payer_id, payer_name, payer_kind, org_type, arranged_by_id, arranged_by_name,
     arranged_by_kind, in_residence, reimbursed, cash_outlay, payer_country, reimburses_id,
     exchange_rate_id) = row
    facts = LineFacts(
        line_id=cost_id, volunteer_id=volunteer_id,
        election_key=election_key(deployment_id, election_code, election_office,
                                  election_jurisdiction),
        citizenship=_value(citizenship), leave_type=_value(leave_type),
        category=_value(category), description=description or "", amount_usd=amount_usd,
        incurred_on=incurred_on, payer_id=payer_id, payer_kind=_value(payer_kind),
        payer_name=payer_name or "", organisation_type=_value(org_type),
        arranged_by_id=arranged_by_id, arranged_by_kind=_value(arranged_by_kind),
        in_residence=bool(in_residence), reimbursed=bool(reimbursed),
        cash_outlay=bool(cash_outlay), payer_country=payer_country,
        reimburses_id=reimburses_id)
    return _Line(facts, deployment_id, amount, currency, arranged_by_name, write,
                 exchange_rate_id)


def with_usd_deviations(session: Session, rs: RuleSet, lines: list[_Line]) -> list[_Line]:
    """Lines whose USD value was given by hand learn how far it is from the stored rate's
    conversion (R27, for rule sets that ask; one query for the rates)."""
    if "facts_disagree" not in rs.uses:
        return lines
    by_hand = [line for line in lines if line.currency != "USD" and line.exchange_rate_id is None]
    if not by_hand:
        return lines
    rates = money.RateTable.load(session, {line.currency for line in by_hand})
    for line in by_hand:
        found = rates.rate_on(line.currency, line.facts.incurred_on)
        if found is None:
            continue
        stored = money.convert(line.amount, found[0])
        if stored > 0:
            deviation = abs(line.facts.amount_usd - stored) / stored
            line.facts = replace(line.facts, usd_deviation=deviation.quantize(Decimal("0.0001")))
    return lines


_SIGNUPS = (select(Signup.id, Signup.deployment_id, Signup.volunteer_id, Signup.role,
                   Signup.status, Signup.role_override_reason, Placement.state_code,
                   Volunteer.citizenship)
            .join(Placement, Placement.id == Signup.placement_id)
            .join(Volunteer, Volunteer.id == Signup.volunteer_id)
            .order_by(Signup.id))
_SIGNUPS_OF = _of_volunteers(_SIGNUPS, Signup.volunteer_id)


def _load_signups(session: Session, volunteers: set | None) -> list:
    if volunteers is None:
        return session.execute(_SIGNUPS).all()
    rows = []
    for chunk in _chunks(volunteers):
        rows += _select_of(session, _SIGNUPS_OF, chunk).all()
    return sorted(rows, key=lambda r: r.id)


def states_by_volunteer(signup_rows) -> dict[tuple[int, int], str]:
    """(deployment, volunteer) → the state of their active sign-up, else of their latest."""
    states: dict[tuple[int, int], tuple[bool, int, str]] = {}
    for row in signup_rows:
        key = (row.deployment_id, row.volunteer_id)
        rank = (_value(row.status) in _ACTIVE, row.id, row.state_code)
        if key not in states or rank[:2] > states[key][:2]:
            states[key] = rank
    return {key: value[2] for key, value in states.items()}


def _extra_facts(rs: RuleSet, line: _Line, outcome: Outcome) -> dict:
    """The facts only later rule sets read (2024.2 on), for the finding's facts and its hash:
    nothing for a rule set that does not read them, so 2024.1's findings stay as they were."""
    f = line.facts
    extra = {}
    if "cash_outlay" in rs.uses:
        extra["cash_outlay"] = f.cash_outlay
    if "facts_disagree" in rs.uses:
        extra["payer_country"] = f.payer_country
        extra["usd_deviation"] = None if f.usd_deviation is None else str(f.usd_deviation)
    if rs.reimbursement_rule is not None:
        extra["reimburses_id"] = f.reimburses_id
        for key in ("repaid_usd", "repaid_by"):
            if key in outcome.detail:
                extra[key] = outcome.detail[key]
    return extra


def _line_facts_json(rs: RuleSet, line: _Line, outcome: Outcome) -> dict:
    f = line.facts
    return {**_extra_facts(rs, line, outcome), "subject": "cost", "cost_id": f.line_id, "volunteer_id": f.volunteer_id,
            "category": f.category, "description": f.description,
            "amount": money.plain(line.amount), "currency": line.currency,
            "amount_usd": money.plain(f.amount_usd), "incurred_on": f.incurred_on.isoformat(),
            "payer_id": f.payer_id, "payer_name": f.payer_name, "payer_kind": f.payer_kind,
            "organisation_type": f.organisation_type, "arranged_by_id": f.arranged_by_id,
            "arranged_by_name": line.arranged_by_name, "arranged_by_kind": f.arranged_by_kind,
            "in_residence": f.in_residence, "reimbursed": f.reimbursed,
            "citizenship": f.citizenship, "leave_type": f.leave_type, **outcome.detail}


def _line_hash(rs: RuleSet, line: _Line, outcome: Outcome) -> str:
    f = line.facts
    extra = _extra_facts(rs, line, outcome)
    # What decides the finding, not how it is worded: a renamed payer or a corrected
    # description (unless it changes what a gift is) leaves a review standing.
    return digest(
        "cost", f.line_id, f.volunteer_id, f.category, outcome.detail.get("value"),
        f.amount_usd, f.incurred_on, f.payer_id, f.payer_kind, f.organisation_type,
        f.arranged_by_id, f.arranged_by_kind, f.in_residence, f.reimbursed, f.citizenship,
        f.leave_type if f.category == "SALARY_CONTINUED" else None,
        outcome.rule_id, outcome.code, outcome.amount_usd, outcome.priority, outcome.rule_digest,
        *((sorted(extra.items()),) if extra else ()))


def _finding_row(rs: RuleSet, *, deployment_id, key, volunteer_id, outcome: Outcome,
                 facts: dict, facts_hash: str, state, payer_kind, cost_id=None,
                 signup_id=None) -> dict:
    return {"deployment_id": deployment_id, "key": key, "volunteer_id": volunteer_id,
            "cost_id": cost_id, "signup_id": signup_id, "code": outcome.code,
            "severity": SEVERITY[outcome.code], "priority": outcome.priority,
            "rule_id": outcome.rule_id, "rule_set_version": rs.version,
            "reason": outcome.reason, "citation": outcome.citation,
            "amount_usd": outcome.amount_usd, "facts_hash": facts_hash, "facts": facts,
            "state_code": state, "payer_kind": payer_kind, "is_current": True}


def desired_findings(rs: RuleSet, lines: list[_Line], signup_rows) -> dict[tuple, dict]:
    """(deployment id, key) → the finding row the facts call for."""
    states = states_by_volunteer(signup_rows)
    wanted: dict[tuple, dict] = {}
    outcomes = classify_lines(rs, [line.facts for line in lines])
    paid = _paid_lines(rs, lines, outcomes)
    lines_per = defaultdict(int)
    for line in lines:
        f = line.facts
        lines_per[(line.deployment_id, f.volunteer_id)] += 1
        if not line.write:
            continue
        state = states.get((line.deployment_id, f.volunteer_id))
        for outcome in outcomes[f.line_id]:
            key = f"cost:{f.line_id}:{outcome.rule_id}:{outcome.code}"
            wanted[(line.deployment_id, key)] = _finding_row(
                rs, deployment_id=line.deployment_id, key=key, volunteer_id=f.volunteer_id,
                outcome=outcome, facts=_line_facts_json(rs, line, outcome),
                facts_hash=_line_hash(rs, line, outcome), state=state, payer_kind=f.payer_kind,
                cost_id=f.line_id)
    written = {(line.deployment_id, line.facts.volunteer_id) for line in lines if line.write}
    active_seen = set()
    for row in signup_rows:
        status = _value(row.status)
        if status not in _ACTIVE:
            continue
        citizenship = _value(row.citizenship)
        role = _value(row.role)
        paid_by = paid.get((row.deployment_id, row.volunteer_id), [])
        for outcome in classify_role(rs, RoleFacts(row.id, row.volunteer_id, citizenship, role),
                                     paid_by):
            key = f"signup:{row.id}:{outcome.rule_id}:{outcome.code}"
            facts = {"subject": "signup", "signup_id": row.id, "volunteer_id": row.volunteer_id,
                     "role": role, "status": status, "state": row.state_code,
                     "citizenship": citizenship, "override_reason": row.role_override_reason,
                     **outcome.detail}
            hashed = digest("signup", row.id, row.volunteer_id, role, citizenship,
                            row.role_override_reason, outcome.rule_id, outcome.code,
                            outcome.priority, outcome.rule_digest,
                            *((("paid", tuple(paid_by)),) if paid_by else ()))
            wanted[(row.deployment_id, key)] = _finding_row(
                rs, deployment_id=row.deployment_id, key=key, volunteer_id=row.volunteer_id,
                outcome=outcome, facts=facts, facts_hash=hashed, state=row.state_code,
                payer_kind=None, signup_id=row.id)
        pair = (row.deployment_id, row.volunteer_id)
        if pair in active_seen:
            continue
        active_seen.add(pair)
        if pair in written or lines_per.get(pair):
            continue
        for outcome in classify_volunteer(rs, cost_lines=0):
            key = f"volunteer:{row.volunteer_id}:{outcome.rule_id}:{outcome.code}"
            facts = {"subject": "volunteer", "volunteer_id": row.volunteer_id, "cost_lines": 0,
                     "citizenship": citizenship, "state": row.state_code}
            hashed = digest("volunteer", row.volunteer_id, 0, outcome.rule_id, outcome.code,
                            outcome.rule_digest)
            wanted[(row.deployment_id, key)] = _finding_row(
                rs, deployment_id=row.deployment_id, key=key, volunteer_id=row.volunteer_id,
                outcome=outcome, facts=facts, facts_hash=hashed, state=row.state_code,
                payer_kind=None)
    return wanted


def _paid_lines(rs: RuleSet, lines: list[_Line], outcomes: dict) -> dict[tuple, list[int]]:
    """(deployment, volunteer) → the lines that make their role a paid one (R2c)."""
    if rs.paid_by is None:
        return {}
    grouped: dict[tuple, dict] = defaultdict(dict)
    for line in lines:
        if line.write:
            grouped[(line.deployment_id, line.facts.volunteer_id)][line.facts.line_id] = \
                (line.facts.payer_kind, outcomes.get(line.facts.line_id, []))
    return {pair: found for pair, by_line in grouped.items()
            if (found := paid_lines(rs, by_line))}


def paid_lines_of(session: Session, rs: RuleSet, deployment_id: int,
                  volunteer_ids) -> dict[int, list[int]]:
    """{volunteer id: the cost lines that make their role paid}, read from the current
    findings (for the warnings forms show before saving a role; one query)."""
    ids = list(volunteer_ids)
    if rs.paid_by is None or not ids:
        return {}
    by_line: dict[tuple, list] = defaultdict(list)
    kinds = {}
    for volunteer_id, cost_id, code, rule_id, payer_kind, facts in session.execute(
            select(Finding.volunteer_id, Finding.cost_id, Finding.code, Finding.rule_id,
                   Finding.payer_kind, Finding.facts)
            .where(Finding.deployment_id == deployment_id, Finding.is_current.is_(True),
                   Finding.cost_id.is_not(None), Finding.volunteer_id.in_(ids))):
        by_line[(volunteer_id, cost_id)].append((_value(code), rule_id,
                                                 (facts or {}).get("value")))
        kinds[(volunteer_id, cost_id)] = _value(payer_kind)
    found: dict[int, list] = defaultdict(list)
    for (volunteer_id, cost_id), outcomes in sorted(by_line.items()):
        if rs.paid_by.pays(outcomes, kinds[(volunteer_id, cost_id)]):
            found[volunteer_id].append(cost_id)
    return dict(found)


_WRITTEN = ("volunteer_id", "cost_id", "signup_id", "code", "severity", "priority", "rule_id",
            "rule_set_version", "reason", "citation", "amount_usd", "facts_hash", "facts",
            "state_code", "payer_kind")


def _row_hash(row: dict) -> str:
    """One digest of everything a finding row says, to find the rows that need writing."""
    return digest(*(row[name] for name in _WRITTEN))


_INSERT_FINDINGS = Finding.__table__.insert()
_FINDINGS = select(Finding.id, Finding.deployment_id, Finding.key, Finding.row_hash,
                  Finding.is_current)
_FINDINGS_OF = _of_volunteers(_FINDINGS, Finding.volunteer_id)


def _existing(session: Session, volunteers: set | None, wanted: dict,
              new: dict | None = None) -> dict[tuple, tuple]:
    """(deployment id, key) → (id, row hash, is current) of the findings already stored.

    ``new``: {"cost_id": ids, "signup_id": ids} inserted in this transaction (none to look up).
    """
    new = new or {}
    query = _FINDINGS
    rows = []
    if volunteers is None:
        rows = session.execute(query).all()
    else:
        for chunk in _chunks(volunteers):
            rows += _select_of(session, _FINDINGS_OF, chunk).all()
        # A line or sign-up that moved to another volunteer keeps its findings' keys.
        known = {(row.deployment_id, row.key) for row in rows}
        for column in (Finding.cost_id, Finding.signup_id):
            fresh = new.get(column.key, ())
            ids = {row[column.key] for k, row in wanted.items()
                   if row[column.key] and k not in known and row[column.key] not in fresh}
            for chunk in _chunks(ids):
                rows += session.execute(query.where(column.in_(chunk))).all()
    return {(row.deployment_id, row.key): (row.id, row.row_hash, row.is_current) for row in rows}


def recompute(session: Session, volunteers: set | None, new: dict | None = None) -> int:
    """Recompute the findings of ``volunteers`` (None: everyone) and write the differences.

    ``new`` names cost lines and sign-ups inserted in this transaction (see ``_existing``).
    """
    rs = active_rule_set(session)
    lines = with_usd_deviations(session, rs, _load_lines(session, volunteers))
    signup_rows = _load_signups(session, volunteers)
    wanted = desired_findings(rs, lines, signup_rows)
    existing = _existing(session, volunteers, wanted, new)
    now = utcnow()
    inserts, updates = [], []
    for key, row in wanted.items():
        row["row_hash"] = _row_hash(row)
        old = existing.get(key)
        if old is None:
            inserts.append({**row, "computed_at": now})
        elif old[1] != row["row_hash"] or not old[2]:
            updates.append({"id": old[0], **{k: row[k] for k in _WRITTEN},
                            "row_hash": row["row_hash"], "is_current": True, "computed_at": now})
    stale = [{"id": old[0], "is_current": False, "computed_at": now}
             for key, old in existing.items() if key not in wanted and old[2]]
    if inserts:
        # Core, not the ORM's bulk insert: every row has the same columns, so this is one
        # statement however the rows differ (and it runs in every claim's write lock).
        session.connection().execute(_INSERT_FINDINGS, inserts)
    if updates:
        session.execute(update(Finding), updates)
    if stale:
        session.execute(update(Finding), stale)
    return len(inserts) + len(updates) + len(stale)


def recompute_deployment(session: Session, deployment: Deployment) -> int:
    """Recompute every finding of a deployment (and of its volunteers elsewhere)."""
    volunteers = set(session.scalars(select(Cost.volunteer_id).where(
        Cost.deployment_id == deployment.id).distinct()))
    volunteers |= set(session.scalars(select(Signup.volunteer_id).where(
        Signup.deployment_id == deployment.id).distinct()))
    volunteers |= set(session.scalars(select(Finding.volunteer_id).where(
        Finding.deployment_id == deployment.id).distinct()))
    return recompute(session, volunteers) if volunteers else 0


