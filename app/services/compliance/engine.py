"""Classify cost lines, roles and volunteers with a rule set. Pure functions: no database.

Per line the first matching rule decides (compliance-rules.md); overlays (R13, R27) and the
facts-missing rule (R0) add their codes on top. Running totals (a volunteer's own transport,
a host's home hospitality, per election) are kept while lines are walked in date order, so a
line crossing a threshold is split: the part within gets the rule's codes, the excess gets
the codes of the rule for the excess. Missing facts are never guessed silently: the engine
classifies with the rule set's conservative assumption and adds R0, so a result is never a
bare ``VOL_OK`` for a volunteer who has not declared citizenship.

Rule set 2024.2 adds facts the engine reads only when the rule set asks for them (so 2024.1
classifies exactly as before): a reimbursement and the own expense it repays count once (R18:
the own line is classified on what was not repaid), a role's holder is paid when any of their
lines says so (R2c), a host's room is exempt when the host spent nothing (R14), and facts that
disagree are questioned (R27).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from ...models import FindingCode
from ..money import format_usd, plain
from .rules import CodeSpec, Rule, RuleSet

ZERO = Decimal("0.00")
SEVERITY = {code.value: code.severity for code in FindingCode}
_PRIORITY_RANK = {"high": 0, "normal": 1, "low": 2}


@dataclass(frozen=True)
class LineFacts:
    """The facts about one cost line the rules read. Enum values are plain strings here.

    ``line_id`` orders lines on the same day; a hypothetical line (a preview) has None and
    sorts last.
    """
    line_id: int | None
    volunteer_id: int
    election_key: str
    citizenship: str | None
    leave_type: str | None
    category: str
    description: str
    amount_usd: Decimal
    incurred_on: date
    payer_id: int | None
    payer_kind: str
    payer_name: str
    organisation_type: str | None
    arranged_by_id: int | None
    arranged_by_kind: str | None
    in_residence: bool
    reimbursed: bool
    # Read only by rule sets that use them (2024.2 on); the defaults change nothing.
    #: False when the payer spent nothing (a host's own room), whatever value is recorded.
    cash_outlay: bool = True
    payer_country: str | None = None
    #: For a USD value given by hand: how far it is from the stored rate's conversion, as a
    #: fraction of that conversion (None when there is no stored rate, or it was converted).
    usd_deviation: Decimal | None = None
    #: The own-expense line this line repays.
    reimburses_id: int | None = None

    @property
    def order(self) -> tuple:
        return (self.incurred_on, self.line_id is None, self.line_id or 0)


@dataclass(frozen=True)
class RoleFacts:
    signup_id: int | None
    volunteer_id: int
    citizenship: str | None
    role: str


@dataclass(frozen=True)
class _Facts:
    """What conditions look at, after the rule set's assumptions for missing facts."""
    value: str
    category: str | None
    payer_kind: str | None
    organisation_type: str | None
    citizenship: str
    leave_type: str | None
    role: str | None
    arranged_by_kind: str | None
    arranged_by_other_than_payer: bool
    in_residence: bool
    reimbursed: bool
    no_cash_outlay: bool
    cash_outlay: bool = True
    facts_disagree: bool = False
    #: A role's holder was paid (R2c).
    paid: bool = False

    # Condition keys are plural; they read these aliases.
    @property
    def values(self):
        return self.value

    @property
    def categories(self):
        return self.category

    @property
    def payer_kinds(self):
        return self.payer_kind

    @property
    def organisation_types(self):
        return self.organisation_type

    @property
    def citizenships(self):
        return self.citizenship

    @property
    def leave_types(self):
        return self.leave_type

    @property
    def roles(self):
        return self.role

    @property
    def arranged_by_kinds(self):
        return self.arranged_by_kind


@dataclass(frozen=True)
class Outcome:
    """One code given to a subject, by one rule, for an amount (None for roles)."""
    code: str
    rule_id: str
    reason: str
    citation: str
    amount_usd: Decimal | None
    priority: str
    rule_digest: str
    #: What the rule saw, for the finding's facts (value, assumptions, running total).
    detail: dict

    @property
    def severity(self) -> int:
        return SEVERITY[self.code]

    def as_tuple(self) -> tuple[str, str, str, str]:
        return (self.code, self.rule_id, self.reason, self.citation)


def sort_outcomes(outcomes: list[Outcome]) -> list[Outcome]:
    """Highest severity first; then high priority first; then the rule's order of codes."""
    return sorted(outcomes, key=lambda o: (-o.severity, _PRIORITY_RANK[o.priority]))


# -- lines ---------------------------------------------------------------------------------
def _missing_for_line(rs: RuleSet, line: LineFacts) -> dict[str, str]:
    """{fact: assumed value} for the facts this line needs but does not have."""
    missing = {}
    if line.citizenship is None:
        missing["citizenship"] = rs.assume["citizenship"]
    if line.category == "SALARY_CONTINUED" and line.leave_type is None:
        missing["leave_type"] = rs.assume.get("leave_type", "WORKING_TIME")
    if line.payer_kind == "US_ORGANISATION" and line.organisation_type is None:
        missing["organisation_type"] = rs.assume.get("organisation_type", "corporation")
    return missing


_MISSING_WORDS = {"citizenship": "the volunteer has not declared citizenship",
                  "leave_type": "the volunteer's leave type during the trip is not declared",
                  "organisation_type": "the US organisation's type (corporation, union, "
                                       "committee...) is not recorded"}


_US_PAYERS = ("CAMPAIGN", "US_INDIVIDUAL", "US_ORGANISATION")
_FOREIGN_PAYERS = ("FOREIGN_PARTY", "FOREIGN_ENTITY", "FOREIGN_INDIVIDUAL")


def disagreements(rs: RuleSet, line: LineFacts) -> list[str]:
    """What R27 questions about a line: facts that contradict each other (2024.2 on)."""
    found = []
    country = (line.payer_country or "").upper()
    if country and line.payer_kind in _US_PAYERS and country != "US":
        found.append(f"a payer of kind {line.payer_kind} gives the country {country}")
    if country == "US" and line.payer_kind in _FOREIGN_PAYERS:
        found.append(f"a payer of kind {line.payer_kind} gives the country US")
    if rs.usd_tolerance is not None and line.usd_deviation is not None \
            and line.usd_deviation > rs.usd_tolerance:
        found.append(f"the USD value given by hand is {line.usd_deviation:.0%} from the stored "
                     f"rate's conversion (more than {rs.usd_tolerance:.0%})")
    return found


def _facts_for_line(rs: RuleSet, line: LineFacts, missing: dict[str, str]) -> _Facts:
    return _Facts(
        value=rs.value_of(line.category, line.description, line.amount_usd, line.incurred_on)
        if rs.nominal_cap else rs.value_of(line.category, line.description),
        category=line.category,
        payer_kind=line.payer_kind,
        organisation_type=missing.get("organisation_type", line.organisation_type),
        citizenship=missing.get("citizenship", line.citizenship),
        leave_type=missing.get("leave_type", line.leave_type), role=None,
        arranged_by_kind=line.arranged_by_kind,
        arranged_by_other_than_payer=(line.arranged_by_id is not None
                                      and line.arranged_by_id != line.payer_id),
        in_residence=bool(line.in_residence), reimbursed=bool(line.reimbursed),
        no_cash_outlay=line.amount_usd == 0, cash_outlay=bool(line.cash_outlay),
        facts_disagree="facts_disagree" in rs.uses and bool(disagreements(rs, line)))


def _emit(rule: Rule, specs: tuple[CodeSpec, ...], facts: _Facts, reason: str,
          amount: Decimal | None, detail: dict) -> list[Outcome]:
    return [Outcome(spec.code, rule.id, reason, rule.citation, amount, spec.priority_for(facts),
                    rule.digest, detail)
            for spec in specs if spec.applies(facts)]


class RunningTotals:
    """Running totals per threshold and per volunteer or host, within one election."""

    def __init__(self):
        self.totals: dict[tuple, Decimal] = {}

    @staticmethod
    def key(rule: Rule, line: LineFacts) -> tuple:
        if rule.running_total["per"] == "host":
            # A host is the same person across the deployments of one election.
            return (rule.running_total["threshold"], "host", line.election_key,
                    " ".join(line.payer_name.casefold().split()))
        return (rule.running_total["threshold"], "volunteer", line.election_key,
                line.volunteer_id)

    def split(self, rs: RuleSet, rule: Rule, line: LineFacts) -> tuple[Decimal, Decimal, dict]:
        """(within, excess, detail) for this line, and add it to the running total."""
        key = self.key(rule, line)
        limit = rs.threshold(rule.running_total["threshold"], line.incurred_on)
        before = self.totals.get(key, ZERO)
        after = before + line.amount_usd
        self.totals[key] = after
        room = max(limit.amount - before, ZERO)
        within = min(line.amount_usd, room)
        detail = {"threshold": limit.key, "threshold_amount": plain(limit.amount),
                  "running_total_before": plain(before), "running_total_after": plain(after)}
        return within, line.amount_usd - within, detail


def _first_line_rule(rs: RuleSet, facts: _Facts, portion: str = "whole",
                     after: int = -1) -> tuple[int, Rule] | None:
    for index, rule in enumerate(rs.line_rules):
        if index > after and rule.match.holds(facts, portion):
            return index, rule
    return None


def _fallback(rs: RuleSet, facts: _Facts, label: str, payer_kind: str, amount: Decimal,
              detail: dict) -> list[Outcome]:
    what = f"{label} paid by a payer of kind {payer_kind}"
    if facts.reimbursed:
        what += " (marked reimbursed: record who reimbursed it as its own line)"
    return _emit(rs.fallback, rs.fallback.codes, facts, rs.fallback.reason.format(what=what),
                 amount, detail)


def classify_lines(rs: RuleSet, lines: list[LineFacts]) -> dict[int | None, list[Outcome]]:
    """Outcomes for every line, walking them in date order so running totals are right.

    ``lines`` must hold every line that shares a running total with the ones wanted (all of a
    volunteer's lines in the election; all of a host's home-hospitality lines).
    """
    totals = RunningTotals()
    results: dict[int | None, list[Outcome]] = {}
    repaid = _repayments(rs, lines)
    for line in sorted(lines, key=lambda item: item.order):
        results[line.line_id] = classify_line(rs, line, totals, repaid.get(line.line_id))
    return results


@dataclass(frozen=True)
class Repayment:
    """The reimbursements recorded against one own-expense line (R18)."""
    amount: Decimal
    by: tuple[int | None, ...]


def _repayments(rs: RuleSet, lines: list[LineFacts]) -> dict[int, Repayment]:
    """{own-expense line id: what repays it}, when the rule set counts reimbursements once."""
    if rs.reimbursement_rule is None:
        return {}
    known = {line.line_id for line in lines}
    found: dict[int, list] = {}
    for line in lines:
        if line.reimburses_id is not None and line.reimburses_id in known:
            found.setdefault(line.reimburses_id, []).append(line)
    return {own: Repayment(sum((l.amount_usd for l in by), ZERO),
                           tuple(sorted(l.line_id for l in by if l.line_id is not None))
                           + tuple(None for l in by if l.line_id is None))
            for own, by in found.items()}


def _lines_text(ids) -> str:
    shown = [f"#{line_id}" if line_id is not None else "the line being entered" for line_id in ids]
    return ", ".join(shown) if shown else "a reimbursement"


def classify_line(rs: RuleSet, line: LineFacts, totals: RunningTotals,
                  repaid: Repayment | None = None) -> list[Outcome]:
    """Every outcome for one line; ``totals`` must have seen the earlier lines of its election.

    ``repaid``: what reimbursements repay of this line (R18): the line is classified on the
    rest, and when nothing is left it carries R18's own codes on nothing.
    """
    if repaid is not None:
        return _classify_repaid(rs, line, totals, repaid)
    outcomes = _classify(rs, line, totals)
    if rs.reimbursement_rule is not None and line.reimburses_id is not None:
        rule = rs.reimbursement_rule
        note = (f" This line repays the volunteer's own expense #{line.reimburses_id} "
                f"({rule.id}: the pair counts once, here).")
        outcomes = [replace(o, reason=o.reason + note,
                            detail={**o.detail, "reimburses": line.reimburses_id})
                    for o in outcomes]
    return outcomes


def _classify_repaid(rs: RuleSet, line: LineFacts, totals: RunningTotals,
                     repaid: Repayment) -> list[Outcome]:
    rule = rs.reimbursement_rule
    left = max(line.amount_usd - repaid.amount, ZERO)
    by = _lines_text(repaid.by)
    detail = {"repaid_usd": plain(min(repaid.amount, line.amount_usd)),
              "repaid_by": [i for i in repaid.by if i is not None]}
    if left == 0:
        facts = _facts_for_line(rs, line, _missing_for_line(rs, line))
        return sort_outcomes(_emit(rule, rule.codes, facts, rule.reason.format(by=by), ZERO,
                                   {"value": facts.value, **detail}))
    # What was not repaid is still the volunteer's own spending (and no longer "reimbursed,
    # with no reimbursement recorded").
    rest = replace(line, amount_usd=left, reimbursed=False)
    note = (f" Of this line's {format_usd(line.amount_usd)}, {format_usd(repaid.amount)} was "
            f"repaid by {by} and is counted there ({rule.id}); this is what was not repaid.")
    return [replace(o, reason=o.reason + note, detail={**o.detail, **detail})
            for o in _classify(rs, rest, totals)]


def _classify(rs: RuleSet, line: LineFacts, totals: RunningTotals) -> list[Outcome]:
    missing = _missing_for_line(rs, line)
    facts = _facts_for_line(rs, line, missing)
    label = rs.value_labels.get(facts.value, facts.value)
    base = {"value": facts.value}
    if line.payer_kind not in rs.payer_kinds:
        what = f"the payer kind {line.payer_kind!r}, which it does not know"
        outcomes = _emit(rs.fallback, rs.fallback.codes, facts,
                         rs.fallback.reason.format(what=what), line.amount_usd, base)
    else:
        outcomes = _decide(rs, line, facts, label, base, totals)
        for overlay in rs.overlays:
            if overlay.match.holds(facts):
                reason = overlay.reason
                if overlay.match.mentions("facts_disagree"):
                    reason = reason.format(disagreement="; ".join(disagreements(rs, line)))
                outcomes += _emit(overlay, overlay.codes, facts, reason, line.amount_usd, base)
    if missing:
        words = "; ".join(_MISSING_WORDS[key] for key in missing)
        assumed = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in missing.items())
        outcomes += _emit(rs.facts_rule, rs.facts_rule.codes, facts,
                          rs.facts_rule.reason.format(missing=words, assumed=assumed),
                          line.amount_usd, base)
        outcomes = [replace(o, detail={**o.detail, "assumed": dict(missing)}) for o in outcomes]
    return sort_outcomes(outcomes)


def _decide(rs: RuleSet, line: LineFacts, facts: _Facts, label: str, base: dict,
            totals: RunningTotals) -> list[Outcome]:
    found = _first_line_rule(rs, facts)
    if found is None:
        return _fallback(rs, facts, label, line.payer_kind, line.amount_usd, base)
    index, rule = found
    if rule.running_total is None:
        return _emit(rule, rule.codes, facts, rule.reason, line.amount_usd, base)

    within, excess, detail = totals.split(rs, rule, line)
    detail = {**base, **detail}
    limit = Decimal(detail["threshold_amount"])
    note = (f" Running total {format_usd(detail['running_total_before'])} before this line, "
            f"{format_usd(detail['running_total_after'])} after; the limit is {format_usd(limit)}.")
    outcomes = []
    if within > 0 or excess == 0:
        outcomes += _emit(rule, rule.codes, facts, rule.reason + note, within, detail)
    if excess > 0:
        if rule.excess_codes:
            outcomes += _emit(rule, rule.excess_codes, facts, rule.excess_reason + note, excess,
                              detail)
        else:
            nxt = _first_line_rule(rs, facts, "excess", after=index)
            if nxt is None:
                outcomes += _fallback(rs, facts, f"the excess of {label}", line.payer_kind,
                                      excess, detail)
            else:
                outcomes += _emit(nxt[1], nxt[1].codes, facts, nxt[1].reason + note, excess,
                                  detail)
    return outcomes


# -- roles and volunteers ----------------------------------------------------------------------
def paid_lines(rs: RuleSet, lines: dict[int, tuple[str, list[Outcome]]]) -> list[int]:
    """The lines (of one volunteer in one deployment) that make their role a paid one (R2c).
    ``lines``: {line id: (its payer's kind, its outcomes)}."""
    if rs.paid_by is None:
        return []
    return sorted(line_id for line_id, (payer_kind, found) in lines.items()
                  if line_id is not None and rs.paid_by.pays(
                      ((o.code, o.rule_id, o.detail.get("value")) for o in found), payer_kind))


def classify_role(rs: RuleSet, role: RoleFacts, paid_by: list[int] | tuple = ()) -> list[Outcome]:
    """Outcomes for a sign-up's role; a missing citizenship adds R0 when the role's rule asks.

    ``paid_by``: the holder's lines that pay them (``paid_lines``); a role overlay (R2c) then
    adds its codes, naming those lines, and no rule for unpaid roles applies.
    """
    assumed = rs.assume["citizenship"] if role.citizenship is None else None
    facts = _Facts(value="role", category=None, payer_kind=None, organisation_type=None,
                   citizenship=assumed or role.citizenship, leave_type=None, role=role.role,
                   arranged_by_kind=None, arranged_by_other_than_payer=False, in_residence=False,
                   reimbursed=False, no_cash_outlay=True, paid=bool(paid_by))
    detail = {"role": role.role}
    outcomes: list[Outcome] = []
    for rule in rs.role_rules:
        if rule.match.holds(facts):
            outcomes = _emit(rule, rule.codes, facts, rule.reason, None, detail)
            if assumed and rule.match.mentions("citizenships"):
                outcomes += _emit(rs.facts_rule, rs.facts_rule.codes, facts,
                                  rs.facts_rule.reason.format(
                                      missing=_MISSING_WORDS["citizenship"],
                                      assumed=f"citizenship {assumed}"), None, detail)
                outcomes = [replace(o, detail={**o.detail, "assumed": {"citizenship": assumed}})
                            for o in outcomes]
            break
    for overlay in rs.role_overlays:
        if overlay.match.holds(facts):
            lines = ", ".join(f"#{line_id}" for line_id in paid_by)
            outcomes += _emit(overlay, overlay.codes, facts,
                              f"{overlay.reason} Paid on line(s) {lines}.", None,
                              {**detail, "paid_lines": list(paid_by)})
    return sort_outcomes(outcomes)


def classify_volunteer(rs: RuleSet, *, cost_lines: int) -> list[Outcome]:
    """Outcomes about a volunteer as a whole (R26: no cost lines at all)."""
    if cost_lines:
        return []
    facts = _Facts(value="none", category=None, payer_kind=None, organisation_type=None,
                   citizenship="", leave_type=None, role=None, arranged_by_kind=None,
                   arranged_by_other_than_payer=False, in_residence=False, reimbursed=False,
                   no_cash_outlay=True, paid=False)
    for rule in rs.volunteer_rules:
        if rule.match.holds(facts):
            return sort_outcomes(_emit(rule, rule.codes, facts, rule.reason, None,
                                       {"cost_lines": 0}))
    return []
