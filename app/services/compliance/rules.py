"""The rule set: compliance-rules.md as data, with a version, thresholds and citations.

A rule set is a JSON document (``rulesets/<version>.json``). A new reading of the law is a
new document with a new version, never a code change: conditions, codes, reasons, citations
and every threshold (with the dates it is in force) live in the data. This module checks a
document and compiles its conditions into predicates the engine can run quickly.

Conditions (``match``, a code's ``if``, ``high_if_any``) are AND-ed keys:
``values``, ``categories``, ``payer_kinds``, ``organisation_types``, ``citizenships``,
``leave_types``, ``roles``, ``arranged_by_kinds`` (lists: the fact must be one of them) and
``in_residence``, ``reimbursed``, ``no_cash_outlay``, ``arranged_by_other_than_payer``
(booleans), ``portion`` ("excess": only the part of a line above a running-total threshold).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from ..money import plain
from ...models import (Citizenship, CostCategory, FindingCode, LeaveType, OrganisationType,
                       SignupRole)
from ..errors import ValidationFailed

RULESETS_DIR = Path(__file__).resolve().parent / "rulesets"
#: The rule set a new install starts with (an install with data that never chose one keeps
#: 2024.1: see the b8c9d0e1f2a3 migration); administrators put another in force (``store``).
DEFAULT_VERSION = "2024.2"

APPLIES_TO = ("facts", "role", "role_overlay", "line", "overlay", "reimbursement", "volunteer",
              "fallback")
PRIORITIES = ("high", "normal", "low")
_LIST_CONDITIONS = {
    "values": None,  # checked against the rule set's own value vocabulary
    "categories": {c.value for c in CostCategory},
    "payer_kinds": None,  # checked against the rule set's payer_kinds
    "arranged_by_kinds": None,
    "organisation_types": {o.value for o in OrganisationType},
    "citizenships": {c.value for c in Citizenship},
    "leave_types": {lt.value for lt in LeaveType},
    "roles": {r.value for r in SignupRole},
}
_BOOL_CONDITIONS = ("in_residence", "reimbursed", "no_cash_outlay", "arranged_by_other_than_payer",
                    # Rule set 2024.2 on: a role's holder was paid (R2c); the payer spent money
                    # (R14); the facts of a line disagree with each other (R27).
                    "paid", "cash_outlay", "facts_disagree")
_CODES = {c.value for c in FindingCode}


def canonical_json(data) -> str:
    """The one serialisation hashed anywhere in the compliance engine."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def sha256_of(data) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


@dataclass(frozen=True)
class Threshold:
    key: str
    label: str
    amount: Decimal
    effective_from: date | None
    effective_to: date | None
    citation: str

    def in_force(self, on: date) -> bool:
        return ((self.effective_from is None or self.effective_from <= on)
                and (self.effective_to is None or on <= self.effective_to))

    def as_json(self) -> dict:
        return {"key": self.key, "label": self.label, "amount": plain(self.amount),
                "effective_from": self.effective_from.isoformat() if self.effective_from else None,
                "effective_to": self.effective_to.isoformat() if self.effective_to else None,
                "citation": self.citation}


class Condition:
    """A compiled condition: every key must hold for the facts."""

    __slots__ = ("lists", "bools", "portion", "source")

    def __init__(self, source: dict):
        self.source = source
        self.lists = tuple((key, frozenset(values)) for key, values in source.items()
                           if key in _LIST_CONDITIONS)
        self.bools = tuple((key, bool(value)) for key, value in source.items()
                           if key in _BOOL_CONDITIONS)
        self.portion = source.get("portion", "whole")

    def holds(self, facts, portion: str = "whole") -> bool:
        if portion != self.portion:
            return False
        for key, allowed in self.lists:
            if getattr(facts, key) not in allowed:
                return False
        for key, wanted in self.bools:
            if getattr(facts, key) is not wanted:
                return False
        return True

    def mentions(self, key: str) -> bool:
        return key in self.source


@dataclass(frozen=True)
class CodeSpec:
    """One code a rule gives, perhaps only when a condition holds, with its review priority."""
    code: str
    priority: str
    when: Condition | None
    high_if_any: tuple[Condition, ...]

    def applies(self, facts) -> bool:
        return self.when is None or self.when.holds(facts)

    def priority_for(self, facts) -> str:
        if any(cond.holds(facts) for cond in self.high_if_any):
            return "high"
        return self.priority


@dataclass(frozen=True)
class PaidBy:
    """Which of a volunteer's lines make their role a paid one (R2c): a line with one of
    ``codes`` or decided by one of ``rules``; or a line worth one of ``values`` (cash,
    salary …) from a payer not of ``except_payer_kinds``, unless one of ``except_rules``
    decided it (earned leave is the employee's own time)."""
    codes: frozenset = frozenset()
    rules: frozenset = frozenset()
    values: frozenset = frozenset()
    except_payer_kinds: frozenset = frozenset()
    except_rules: frozenset = frozenset()

    @classmethod
    def of(cls, raw: dict) -> PaidBy:
        return cls(**{key: frozenset(raw.get(key, ())) for key in _PAID_BY_KEYS})

    def __or__(self, other: PaidBy) -> PaidBy:
        return PaidBy(*(getattr(self, key) | getattr(other, key) for key in _PAID_BY_KEYS))

    def pays(self, found, payer_kind: str | None) -> bool:
        """Whether a line pays its volunteer. ``found``: its (code, rule id, value) outcomes."""
        found = list(found)
        if any(code in self.codes or rule_id in self.rules for code, rule_id, _v in found):
            return True
        if payer_kind in self.except_payer_kinds or \
                any(rule_id in self.except_rules for _c, rule_id, _v in found):
            return False
        return any(value in self.values for _c, _r, value in found)


_PAID_BY_KEYS = ("codes", "rules", "values", "except_payer_kinds", "except_rules")


@dataclass(frozen=True)
class Rule:
    id: str
    applies_to: str
    when: str
    match: Condition
    codes: tuple[CodeSpec, ...]
    reason: str
    citation: str
    running_total: dict | None
    excess_codes: tuple[CodeSpec, ...]
    excess_reason: str
    #: For a role overlay (R2c): which lines make a role's holder paid, by code or by rule.
    paid_by: dict | None
    #: Hash of this rule's own definition (and the thresholds it uses): a finding's facts
    #: change when its rule changes, not when an unrelated rule does.
    digest: str
    source: dict = field(repr=False)

    def as_json(self) -> dict:
        return {"id": self.id, "applies_to": self.applies_to, "when": self.when,
                "codes": [c.code for c in self.codes] + [c.code for c in self.excess_codes],
                "reason": self.reason, "citation": self.citation}


class RuleSet:
    """A checked, compiled rule set. Build one with :func:`parse_rule_set`."""

    def __init__(self, data: dict, rules: list[Rule], thresholds: list[Threshold]):
        self.data = data
        self.version: str = data["version"]
        self.title: str = data.get("title", "")
        self.notice: str = data.get("notice", "")
        self.sha256 = sha256_of(data)
        self.rules = rules
        self.by_id = {rule.id: rule for rule in rules}
        self.thresholds = thresholds
        self.payer_kinds = frozenset(data["payer_kinds"])
        self.assume: dict = dict(data.get("assume_when_missing", {}))
        self.soft_spots: list[str] = list(data.get("soft_spots", []))
        self.verdicts: list[dict] = list(data.get("verdicts", []))
        self.fec: dict = dict(data.get("fec", {}))
        values = data["values"]
        self.category_values: dict[str, str] = dict(values["categories"])
        self.gift_terms = [(value, re.compile(r"\b(?:" + "|".join(
            re.escape(term) for term in sorted(terms, key=len, reverse=True)) + r")\b", re.I))
            for value, terms in values.get("gift_terms", [])]
        self.gift_default: str = values.get("gift_default", "gift_cash")
        self.value_labels: dict[str, str] = dict(values.get("labels", {}))
        #: R9's cap (2024.2 on): a "nominal" item worth more than this threshold is cash-like.
        self.nominal_cap: str | None = values.get("nominal_cap")
        #: R27 (2024.2 on): how far a USD value given by hand may stray from the stored rate.
        self.usd_tolerance = Decimal(values["usd_tolerance"]) \
            if values.get("usd_tolerance") is not None else None
        used = {key for rule in rules for key in _condition_keys(rule.source)}
        #: Facts that only some rule sets read, so the others stay exactly as they were.
        self.uses = frozenset(used)
        self.line_rules = [r for r in rules if r.applies_to == "line"]
        self.role_rules = [r for r in rules if r.applies_to == "role"]
        self.role_overlays = [r for r in rules if r.applies_to == "role_overlay"]
        #: R2c (2024.2 on): the lines that make a role's holder paid; None: no such rule.
        self.paid_by: PaidBy | None = None
        for overlay in self.role_overlays:
            found = PaidBy.of(overlay.paid_by)
            self.paid_by = found if self.paid_by is None else self.paid_by | found
        self.overlays = [r for r in rules if r.applies_to == "overlay"]
        #: R18 (2024.2 on): a reimbursement and the own expense it repays count once.
        self.reimbursement_rule = next((r for r in rules if r.applies_to == "reimbursement"),
                                       None)
        self.volunteer_rules = [r for r in rules if r.applies_to == "volunteer"]
        self.facts_rule = next(r for r in rules if r.applies_to == "facts")
        self.fallback = next(r for r in rules if r.applies_to == "fallback")

    def value_of(self, category: str, description: str = "", amount: Decimal | None = None,
                 on: date | None = None) -> str:
        """What kind of value a line is (travel, lodging, meals, cash, salary, gift_*, other).

        With a nominal cap, a "nominal" gift worth more than the cap on its date is cash-like:
        description keywords never outweigh the value.
        """
        value = self.category_values.get(category, "other")
        if value != "gift":
            return value
        found = self.gift_default
        for gift_value, pattern in self.gift_terms:
            if pattern.search(description or ""):
                found = gift_value
                break
        if found == "gift_nominal" and self.nominal_cap and amount is not None and on is not None \
                and amount > self.threshold(self.nominal_cap, on).amount:
            return self.gift_default
        return found

    def threshold(self, key: str, on: date) -> Threshold:
        """The threshold ``key`` in force on ``on`` (the nearest one outside every range)."""
        candidates = [t for t in self.thresholds if t.key == key]
        for item in candidates:
            if item.in_force(on):
                return item
        earliest = min(candidates, key=lambda t: t.effective_from or date.min)
        if earliest.effective_from and on < earliest.effective_from:
            return earliest
        return max(candidates, key=lambda t: t.effective_from or date.min)

    def as_json(self) -> dict:
        """The rule set as the disclosure and the method section show it."""
        return {"version": self.version, "sha256": self.sha256, "title": self.title,
                "notice": self.notice,
                "rules": [rule.as_json() for rule in self.rules],
                "thresholds": [t.as_json() for t in self.thresholds],
                "soft_spots": list(self.soft_spots)}


def _condition_keys(raw: dict) -> set[str]:
    """Every condition key a rule's definition mentions (its match and its codes' ifs)."""
    keys = set((raw.get("match") or {}).keys())
    for section in (raw.get("codes") or [], (raw.get("excess") or {}).get("codes") or []):
        for item in section:
            if isinstance(item, dict):
                keys |= set((item.get("if") or {}).keys())
                for cond in item.get("high_if_any") or []:
                    keys |= set(cond.keys())
    return keys


# -- parsing and checking ----------------------------------------------------------------
def _fail(message: str):
    raise ValidationFailed(f"Rule set: {message}", field="rule_set")


def _date(raw, where: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError):
        _fail(f"{where}: {raw!r} is not a date (YYYY-MM-DD).")


def _condition(raw, where: str, vocab: dict[str, set]) -> Condition:
    if not isinstance(raw, dict):
        _fail(f"{where}: a condition is an object.")
    for key, value in raw.items():
        if key in _LIST_CONDITIONS:
            allowed = vocab[key] if _LIST_CONDITIONS[key] is None else _LIST_CONDITIONS[key]
            if not isinstance(value, list) or not value:
                _fail(f"{where}: {key} must be a non-empty list.")
            unknown = [v for v in value if v not in allowed]
            if unknown:
                _fail(f"{where}: unknown {key} {unknown}; known: {sorted(allowed)}.")
        elif key in _BOOL_CONDITIONS:
            if not isinstance(value, bool):
                _fail(f"{where}: {key} must be true or false.")
        elif key == "portion":
            if value not in ("whole", "excess"):
                _fail(f"{where}: portion is 'whole' or 'excess'.")
        else:
            _fail(f"{where}: unknown condition {key!r}.")
    return Condition(raw)


def _codes(raw, where: str, vocab) -> tuple[CodeSpec, ...]:
    if not isinstance(raw, list) or not raw:
        _fail(f"{where}: codes must be a non-empty list.")
    specs = []
    for item in raw:
        code = item.get("code") if isinstance(item, dict) else None
        if code not in _CODES:
            _fail(f"{where}: unknown finding code {code!r}.")
        priority = item.get("priority", "normal")
        if priority not in PRIORITIES:
            _fail(f"{where}: priority is one of {PRIORITIES}.")
        when = _condition(item["if"], f"{where} {code} if", vocab) if "if" in item else None
        high = tuple(_condition(c, f"{where} {code} high_if_any", vocab)
                     for c in item.get("high_if_any", []))
        specs.append(CodeSpec(code, priority, when, high))
    return tuple(specs)


def parse_rule_set(data: dict) -> RuleSet:
    """Check a rule-set document and compile it.

    :raises ValidationFailed: anything missing, unknown or inconsistent, named precisely
    """
    if not isinstance(data, dict):
        _fail("the document must be a JSON object.")
    for key in ("version", "values", "payer_kinds", "thresholds", "rules"):
        if key not in data:
            _fail(f"{key!r} is missing.")
    version = data["version"]
    if not isinstance(version, str) or not re.fullmatch(r"[A-Za-z0-9._-]{1,40}", version):
        _fail("the version is 1-40 letters, digits, dots, dashes or underscores.")
    values = data["values"]
    categories = values.get("categories", {})
    missing = sorted({c.value for c in CostCategory} - set(categories))
    if missing:
        _fail(f"values.categories does not say what {missing} are.")
    value_vocab = set(categories.values()) - {"gift"}
    value_vocab |= {value for value, _terms in values.get("gift_terms", [])}
    value_vocab.add(values.get("gift_default", "gift_cash"))
    vocab = {"values": value_vocab, "payer_kinds": set(data["payer_kinds"]),
             "arranged_by_kinds": set(data["payer_kinds"])}

    thresholds = []
    for i, raw in enumerate(data["thresholds"]):
        try:
            amount = Decimal(str(raw["amount"]))
        except (KeyError, InvalidOperation):
            _fail(f"threshold {i + 1} has no valid amount.")
        if not amount.is_finite() or amount < 0:
            _fail(f"threshold {raw.get('key')!r} must be a positive amount.")
        start = _date(raw.get("effective_from"), f"threshold {raw.get('key')}")
        end = _date(raw.get("effective_to"), f"threshold {raw.get('key')}")
        if start and end and end < start:
            _fail(f"threshold {raw.get('key')!r} ends before it starts.")
        thresholds.append(Threshold(raw.get("key", ""), raw.get("label", ""), amount, start, end,
                                    raw.get("citation", "")))
    keys = {t.key for t in thresholds}
    for key in keys:
        ranges = sorted((t for t in thresholds if t.key == key),
                        key=lambda t: t.effective_from or date.min)
        for earlier, later in zip(ranges, ranges[1:]):
            starts = later.effective_from or date.min
            if earlier.effective_to is None or starts <= earlier.effective_to:
                _fail(f"threshold {key!r} has overlapping effective dates.")

    rules, seen = [], set()
    for raw in data["rules"]:
        rule_id = raw.get("id")
        where = f"rule {rule_id}"
        if not isinstance(rule_id, str) or not rule_id or len(rule_id) > 20:
            _fail("every rule needs an id of at most 20 characters.")
        if rule_id in seen:
            _fail(f"{where} is defined twice.")
        seen.add(rule_id)
        if raw.get("applies_to") not in APPLIES_TO:
            _fail(f"{where}: applies_to is one of {APPLIES_TO}.")
        for key in ("when", "reason", "citation"):
            if not str(raw.get(key) or "").strip():
                _fail(f"{where} needs a {key}.")
        running = raw.get("running_total")
        used = []
        if running is not None:
            if running.get("threshold") not in keys \
                    or running.get("per") not in ("volunteer", "host"):
                _fail(f"{where}: running_total needs a known threshold and per volunteer|host.")
            used = [t.as_json() for t in thresholds if t.key == running["threshold"]]
        excess = raw.get("excess") or {}
        paid_by = raw.get("paid_by")
        if raw["applies_to"] == "role_overlay":
            if not isinstance(paid_by, dict) or not (paid_by.get("codes") or paid_by.get("rules")
                                                     or paid_by.get("values")):
                _fail(f"{where}: a role overlay says which lines make a person paid (paid_by "
                      "codes, rules and/or values).")
            extra = sorted(set(paid_by) - set(_PAID_BY_KEYS))
            if extra:
                _fail(f"{where}: paid_by has unknown keys {extra}; known: {_PAID_BY_KEYS}.")
            for key, allowed in (("codes", _CODES), ("values", vocab["values"]),
                                 ("except_payer_kinds", vocab["payer_kinds"])):
                unknown = [c for c in paid_by.get(key, []) if c not in allowed]
                if unknown:
                    _fail(f"{where}: paid_by {key} names unknown {unknown}.")
        elif paid_by is not None:
            _fail(f"{where}: only a role overlay has paid_by.")
        rules.append(Rule(
            id=rule_id, applies_to=raw["applies_to"], when=raw["when"],
            match=_condition(raw.get("match", {}), where, vocab),
            codes=_codes(raw.get("codes"), where, vocab), reason=raw["reason"],
            citation=raw["citation"], running_total=running,
            excess_codes=_codes(excess["codes"], f"{where} excess", vocab) if excess else (),
            excess_reason=excess.get("reason", ""), paid_by=paid_by,
            digest=sha256_of({"rule": raw, "thresholds": used}), source=raw))
    for kind in ("facts", "fallback"):
        if sum(1 for r in rules if r.applies_to == kind) != 1:
            _fail(f"exactly one rule must apply to {kind!r}.")
    if sum(1 for r in rules if r.applies_to == "reimbursement") > 1:
        _fail("at most one rule may apply to 'reimbursement'.")
    for rule in rules:
        for other in [*(rule.paid_by or {}).get("rules", []),
                      *(rule.paid_by or {}).get("except_rules", [])]:
            if other not in seen:
                _fail(f"rule {rule.id}: paid_by names the unknown rule {other!r}.")
    if values.get("nominal_cap") is not None and values["nominal_cap"] not in keys:
        _fail("values.nominal_cap must name a threshold.")
    if values.get("usd_tolerance") is not None:
        try:
            tolerance = Decimal(str(values["usd_tolerance"]))
        except InvalidOperation:
            tolerance = Decimal(-1)
        if not tolerance.is_finite() or not 0 < tolerance < 1:
            _fail("values.usd_tolerance is a fraction between 0 and 1 (0.10 for 10 %).")
    assume = data.get("assume_when_missing", {})
    if assume.get("citizenship") not in _LIST_CONDITIONS["citizenships"]:
        _fail("assume_when_missing.citizenship must be a citizenship.")
    return RuleSet(data, rules, thresholds)


def bundled_versions() -> list[str]:
    return sorted(path.stem for path in RULESETS_DIR.glob("*.json"))


def bundled_document(version: str) -> dict:
    """The JSON document of a rule set shipped with the app.

    :raises ValidationFailed: no such version
    """
    if version not in bundled_versions():
        raise ValidationFailed(f"No rule set {version!r}; known: {', '.join(bundled_versions())}.",
                               field="version")
    with open(RULESETS_DIR / f"{version}.json", encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=8)
def _compiled(text: str) -> RuleSet:
    return parse_rule_set(json.loads(text))


def compile_document(data: dict) -> RuleSet:
    """A compiled rule set, cached by content (compiling is done once per process)."""
    return _compiled(canonical_json(data))


@lru_cache(maxsize=1)
def default_rule_set() -> RuleSet:
    """The shipped rule set; read and compiled once per process (it is a file in the app)."""
    return compile_document(bundled_document(DEFAULT_VERSION))
