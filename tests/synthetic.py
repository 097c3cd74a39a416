"""Synthetic disclosures of any size, shaped exactly like the compliance engine's output.

Used by the report tests and the benchmark (bench/bench_reports.py) to exercise the report
pipeline at sizes no demo database holds; never used to make a real report. The rules are
the bundled rule set's (compliance/rules.py), so the method section reads as it will with
real data; which lines get which codes is this module's own, simpler choice.
"""
from __future__ import annotations

import hashlib
import json
import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from app.models import FindingCode
from app.services.compliance.rules import default_rule_set

#: The rules these disclosures use, from the bundled rule set as the engine puts them in a
#: disclosure: the texts (when, reason, citation) the report shows are the real ones.
_USED = ("R1", "R1b", "R10", "R3", "R6", "R7", "R8", "R16", "R20", "R24", "R25", "R26")
_BUNDLED = {rule["id"]: rule for rule in default_rule_set().as_json()["rules"]}
RULES = [_BUNDLED[rule_id] for rule_id in _USED]
_RULE = {rule["id"]: rule for rule in RULES}

#: (payer kind, payer name, rule, category choices, codes a line of it gets; a foreign
#: national's campaign-paid line gets REVIEW_CONTESTED as well, below)
_PAYERS = [
    ("FOREIGN_PARTY", "Example Workers' Party", "R10", ["TRAVEL", "HOUSING", "PER_DIEM"],
     ["PROHIBITED_FOREIGN_INKIND"]),
    ("SELF", "Self", "R6", ["HOUSING", "MEALS"], ["VOL_OK"]),
    ("SELF", "Self", "R3", ["TRAVEL"], ["VOL_OK"]),
    ("CAMPAIGN", "Example for America", "R7", ["HOUSING", "TRAVEL", "MEALS"], ["CAMPAIGN_EXP"]),
    ("CAMPAIGN", "Example for America", "R8", ["STIPEND", "PER_DIEM"],
     ["CAMPAIGN_EXP", "COMPENSATION"]),
    ("US_INDIVIDUAL", "Pat Host", "R16", ["HOUSING", "MEALS"], ["INKIND_REPORTABLE"]),
    ("US_ORGANISATION", "Acme Corp", "R20", ["TRAVEL"], ["PROHIBITED_SOURCE"]),
    ("UNKNOWN", "Unknown payer", "R24", ["HOUSING"], ["REVIEW_PAYER_UNKNOWN"]),
    ("US_INDIVIDUAL", "Sam Friend", "R25", ["GIFT"], ["OUT_OF_SCOPE"]),
]
_WEIGHTS = [12, 30, 14, 16, 4, 8, 2, 10, 4]
_ROLES = ["canvasser"] * 12 + ["phone_banker"] * 4 + ["driver", "data_entry", "event_support",
                                                        "trainer", "team_lead", "manager"]
_CITIZENSHIP = ["FOREIGN_NATIONAL"] * 8 + ["US_CITIZEN", "LPR"]
_NASTY = ["<script>alert('x')</script> O'Brien & Sons", "Zoë 🎉 Party-goer", "דנה כהן",
          "مريم الحسن", "Ünïcødé \u202eevil"]
_REVIEW_REASONS = ["Confirmed with the campaign treasurer; receipts on file.",
                   "Escalated to counsel: the party's role in arranging the trip is unclear.",
                   "Acknowledged; waiting for the volunteer's answer about who paid."]
_CENT = Decimal("0.01")


def _code_severity(code: str) -> int:
    return FindingCode(code).severity


def _finding(rng: random.Random, finding_id: int, rule_id: str, code: str, amount_usd: str | None,
             reviewed: bool) -> dict:
    rule = _RULE[rule_id]
    review = None
    if reviewed:
        action = rng.choice(["acknowledge", "clear", "escalate"])
        review = {"action": action, "reason": rng.choice(_REVIEW_REASONS),
                  "reviewer": "auditor@example.org", "at": "2024-10-30T12:00:00+00:00",
                  "facts_changed": rng.random() < 0.2}
    return {"id": finding_id, "code": code, "rule_id": rule_id, "reason": rule["reason"],
            "citation": rule["citation"], "severity": _code_severity(code),
            "amount_usd": amount_usd, "review": review}


def fingerprint_of(disclosure: dict) -> str:
    """SHA-256 of the data, leaving out when it was read (as the engine does)."""
    body = {k: v for k, v in disclosure.items() if k not in ("as_of", "fingerprint")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode()).hexdigest()


def make_disclosure(volunteers: int = 100, lines: int = 500, *, seed: int = 1,
                    slug: str = "synthetic", nasty: bool = False,
                    states: tuple[str, ...] = ("NC", "NV", "PA", "VA")) -> dict:
    """A deployment-scope disclosure with ``volunteers`` people and ``lines`` cost lines.

    ``nasty`` gives some people names with HTML, emoji and right-to-left text.
    """
    rng = random.Random(seed)
    people = []
    for n in range(volunteers):
        name = f"Volunteer {n:05d} Example"
        if nasty and n % 7 == 0:
            name = _NASTY[(n // 7) % len(_NASTY)]
        people.append({"volunteer_email": f"vol{n:05d}@example.org", "volunteer_name": name,
                       "citizenship": rng.choice(_CITIZENSHIP), "state": states[n % len(states)]})
    finding_id = 0
    roles = []
    start = date(2024, 10, 14)
    for n, person in enumerate(people):
        role = rng.choice(_ROLES)
        rule_ids, codes = [], []
        if person["citizenship"] == "FOREIGN_NATIONAL" and role == "manager":
            rule_ids, codes = ["R1"], ["PROHIBITED_PARTICIPATION"]
        elif person["citizenship"] == "FOREIGN_NATIONAL" and role == "team_lead":
            rule_ids, codes = ["R1b"], ["REVIEW_CONTESTED"]
        findings = []
        for rule_id, code in zip(rule_ids, codes):
            finding_id += 1
            findings.append(_finding(rng, finding_id, rule_id, code, None, rng.random() < 0.3))
        arrive = start + timedelta(days=rng.randrange(10))
        roles.append({**person, "signup_id": n + 1, "role": role,
                      "arrive_on": arrive.isoformat(),
                      "depart_on": (arrive + timedelta(days=7 + rng.randrange(14))).isoformat(),
                      "status": "confirmed", "codes": codes, "rule_ids": rule_ids,
                      "override_reason": ("Organiser: advises on logistics only, no votes."
                                          if codes and rule_ids == ["R1"] else None),
                      "findings": findings})
    items = []
    totals_by_code: dict[str, Decimal] = {}
    totals_by_kind: dict[str, Decimal] = {}
    for n in range(lines):
        person = people[n % volunteers] if volunteers else {
            "volunteer_email": "nobody@example.org", "volunteer_name": "Nobody",
            "citizenship": "FOREIGN_NATIONAL", "state": states[0]}
        kind, payer, rule_id, categories, rule_codes = rng.choices(_PAYERS, _WEIGHTS)[0]
        category = rng.choice(categories)
        usd = (Decimal(rng.randrange(500, 180000)) / 100).quantize(_CENT)
        currency = rng.choice(["USD", "USD", "GBP"])
        amount = usd if currency == "USD" else (usd / Decimal("1.27")).quantize(_CENT)
        codes = list(rule_codes)
        rule_ids = [rule_id] * len(codes)
        if person["citizenship"] == "FOREIGN_NATIONAL" and rule_id in ("R7", "R8"):
            codes.append("REVIEW_CONTESTED")
            rule_ids.append(rule_id)
        order = sorted(range(len(codes)), key=lambda i: -_code_severity(codes[i]))
        codes = [codes[i] for i in order]
        rule_ids = [rule_ids[i] for i in order]
        findings = []
        for rid, code in zip(rule_ids, codes):
            finding_id += 1
            findings.append(_finding(rng, finding_id, rid, code, str(usd),
                                     code.startswith("REVIEW") and rng.random() < 0.5))
            totals_by_code[code] = totals_by_code.get(code, Decimal("0")) + usd
        totals_by_kind[kind] = totals_by_kind.get(kind, Decimal("0")) + usd
        arranged = "Example Workers' Party" if kind == "UNKNOWN" else None
        items.append({
            "cost_id": n + 1, "volunteer_email": person["volunteer_email"],
            "volunteer_name": person["volunteer_name"], "citizenship": person["citizenship"],
            "state": person["state"], "category": category,
            "description": f"{category.replace('_', ' ').lower()} for week {n % 5 + 1} in "
                           f"{person['state']}",
            "incurred_on": (start + timedelta(days=n % 20)).isoformat(),
            "amount": str(amount), "currency": currency, "amount_usd": str(usd),
            "payer_name": payer, "payer_kind": kind, "arranged_by_name": arranged,
            "codes": codes, "rule_ids": rule_ids,
            "severity": max(_code_severity(c) for c in codes), "findings": findings})
    with_lines = {item["volunteer_email"] for item in items}
    verdicts = [{**person, "verdict": "see cost lines" if person["volunteer_email"] in with_lines
                 else "VOL_OK"} for person in people]
    disclosure = {
        "deployment": {"slug": slug, "name": "Synthetic deployment (benchmark)",
                       "sending_organisation": "Example Workers' Party",
                       "receiving_committee": "Example for America",
                       "election": "2024 general", "election_code": "G2024"},
        "scope": {"kind": "deployment", "value": None},
        "as_of": datetime(2024, 11, 1, 12, 0, tzinfo=timezone.utc).isoformat(),
        "items": items, "roles": roles, "volunteers": verdicts,
        "totals_by_code": {code: str(v) for code, v in sorted(
            totals_by_code.items(), key=lambda kv: -_code_severity(kv[0]))},
        "totals_by_payer_kind": {kind: str(v) for kind, v in sorted(totals_by_kind.items())},
        "rule_set": {"version": "2024.10-synthetic",
                     "rules": [dict(rule) for rule in RULES],
                     "thresholds": [{"name": "Volunteer transportation exemption",
                                     "amount": "1000.00", "per": "volunteer per election",
                                     "effective_from": "2023-01-01"},
                                    {"name": "Individual contribution limit", "amount": "3300.00",
                                     "per": "election", "effective_from": "2023-01-01"}],
                     "soft_spots": ["Foreign nationals' own long-haul airfare over $1,000.",
                                    "Campaign-paid lodging for foreign volunteers.",
                                    "State law in NC, NV, PA and VA is not covered."]},
    }
    disclosure["fingerprint"] = fingerprint_of(disclosure)
    return disclosure


def scoped_to_volunteer(disclosure: dict, email: str) -> dict:
    """The same disclosure narrowed to one volunteer's own lines, as the engine scopes it."""
    narrowed = dict(disclosure)
    narrowed["scope"] = {"kind": "volunteer", "value": email}
    narrowed["items"] = [i for i in disclosure["items"] if i["volunteer_email"] == email]
    narrowed["roles"] = [r for r in disclosure["roles"] if r["volunteer_email"] == email]
    narrowed["volunteers"] = [v for v in disclosure["volunteers"] if v["volunteer_email"] == email]
    by_code: dict[str, Decimal] = {}
    by_kind: dict[str, Decimal] = {}
    for item in narrowed["items"]:
        for finding in item["findings"]:
            by_code[finding["code"]] = by_code.get(finding["code"], Decimal(0)) + Decimal(
                finding["amount_usd"] or 0)
        by_kind[item["payer_kind"]] = by_kind.get(item["payer_kind"], Decimal(0)) + Decimal(
            item["amount_usd"])
    narrowed["totals_by_code"] = {k: str(v) for k, v in by_code.items()}
    narrowed["totals_by_payer_kind"] = {k: str(v) for k, v in by_kind.items()}
    narrowed["fingerprint"] = fingerprint_of(narrowed)
    return narrowed
