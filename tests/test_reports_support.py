"""Helpers for the report tests (no tests here).

``stand_in_disclosure`` builds a disclosure of the engine's contract shape from the real rows
of a test database, with a deliberately tiny rule table: a test hands it to the report in
place of ``build_disclosure`` to make the engine misbehave (a statement that would leak
another volunteer's lines). ``pdf_text`` reads a PDF back with poppler's pdftotext.
"""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from app.models import Cost, Payer, Placement, Signup, SignupStatus, User, Volunteer
from app.models.types import utcnow

from . import synthetic

#: payer kind → (rule, codes)
_RULES = {"FOREIGN_PARTY": ("R10", ["PROHIBITED_FOREIGN_INKIND"]),
          "SELF": ("R6", ["VOL_OK"]), "CAMPAIGN": ("R7", ["CAMPAIGN_EXP"]),
          "UNKNOWN": ("R24", ["REVIEW_PAYER_UNKNOWN"]),
          "US_ORGANISATION": ("R20", ["PROHIBITED_SOURCE"]),
          "US_INDIVIDUAL": ("R16", ["INKIND_REPORTABLE"])}
_SEVERITY = {"PROHIBITED_FOREIGN_INKIND": 10, "PROHIBITED_SOURCE": 8, "REVIEW_PAYER_UNKNOWN": 6,
             "INKIND_REPORTABLE": 4, "CAMPAIGN_EXP": 3, "VOL_OK": 1}
RULE_SET = {"version": "test-1",
            "rules": synthetic.RULES,
            "thresholds": [{"name": "Volunteer transportation exemption", "amount": "1000.00"}],
            "soft_spots": ["State law is not covered."]}


def stand_in_disclosure(session, deployment, *, state=None, payer_id=None, volunteer_id=None):
    """The engine's contract, computed from the database (see the module docstring)."""
    signups = session.execute(
        select(Signup, Placement.state_code, User, Volunteer)
        .join(Placement, Signup.placement_id == Placement.id)
        .join(Volunteer, Signup.volunteer_id == Volunteer.id)
        .join(User, Volunteer.user_id == User.id)
        .where(Signup.deployment_id == deployment.id)
        .order_by(Signup.id)).all()
    state_of = {vol.id: code for s, code, _, vol in signups
                if s.status in (SignupStatus.CONFIRMED, SignupStatus.PENDING_APPROVAL)}
    costs = session.execute(
        select(Cost, Payer, User, Volunteer)
        .join(Payer, Cost.payer_id == Payer.id)
        .join(Volunteer, Cost.volunteer_id == Volunteer.id)
        .join(User, Volunteer.user_id == User.id)
        .where(Cost.deployment_id == deployment.id).order_by(Cost.id)).all()
    items, roles, people = [], [], {}
    by_code: dict[str, Decimal] = {}
    by_kind: dict[str, Decimal] = {}
    for cost, payer, user, vol in costs:
        st = state_of.get(vol.id)
        if (state and st != state) or (payer_id and payer.id != payer_id) or \
                (volunteer_id and vol.id != volunteer_id):
            continue
        rule, codes = _RULES[payer.kind.value]
        findings = [{"id": cost.id * 10 + n, "code": code, "rule_id": rule,
                     "reason": "stand-in reason", "citation": "stand-in citation",
                     "severity": _SEVERITY[code], "amount_usd": str(cost.amount_usd),
                     "review": None} for n, code in enumerate(codes)]
        for code in codes:
            by_code[code] = by_code.get(code, Decimal(0)) + cost.amount_usd
        by_kind[payer.kind.value] = by_kind.get(payer.kind.value, Decimal(0)) + cost.amount_usd
        items.append({"cost_id": cost.id, "volunteer_email": user.email,
                      "volunteer_name": user.full_name,
                      "citizenship": vol.citizenship.value if vol.citizenship else None,
                      "state": st, "category": cost.category.value,
                      "description": cost.description, "incurred_on": cost.incurred_on.isoformat(),
                      "amount": str(cost.amount), "currency": cost.currency,
                      "amount_usd": str(cost.amount_usd), "payer_name": payer.name,
                      "payer_kind": payer.kind.value, "arranged_by_name": None, "codes": codes,
                      "rule_ids": [rule] * len(codes),
                      "severity": max(_SEVERITY[c] for c in codes),
                      "findings": findings})
        people[user.email] = (user, vol, st)
    for signup, code, user, vol in signups:
        if (state and code != state) or (volunteer_id and vol.id != volunteer_id) or payer_id:
            continue
        roles.append({"signup_id": signup.id, "volunteer_email": user.email,
                      "volunteer_name": user.full_name,
                      "citizenship": vol.citizenship.value if vol.citizenship else None,
                      "state": code, "role": signup.role.value,
                      "arrive_on": signup.arrive_on.isoformat(),
                      "depart_on": signup.depart_on.isoformat(), "status": signup.status.value,
                      "codes": [], "rule_ids": [], "override_reason": None, "findings": []})
        people[user.email] = (user, vol, code)
    kind, value = ("state", state) if state else ("payer", payer_id) if payer_id else \
        ("volunteer", volunteer_id) if volunteer_id else ("deployment", None)
    disclosure = {
        "deployment": {"slug": deployment.slug, "name": deployment.name,
                       "sending_organisation": deployment.sending_organisation,
                       "receiving_committee": deployment.receiving_committee,
                       "election": deployment.election, "election_code": deployment.election_code},
        "scope": {"kind": kind, "value": value},
        "as_of": utcnow().isoformat(),
        "items": items, "roles": roles,
        "volunteers": [{"volunteer_email": email, "volunteer_name": user.full_name,
                        "citizenship": vol.citizenship.value if vol.citizenship else None,
                        "state": st, "verdict": "VOL_OK"}
                       for email, (user, vol, st) in sorted(people.items())],
        "totals_by_code": {k: str(v) for k, v in by_code.items()},
        "totals_by_payer_kind": {k: str(v) for k, v in by_kind.items()},
        "rule_set": RULE_SET,
    }
    disclosure["fingerprint"] = synthetic.fingerprint_of(disclosure)
    return disclosure


def pdf_text(pdf: bytes, *, layout: bool = False, first: int | None = None,
             last: int | None = None) -> str:
    """The text of a PDF, as poppler's pdftotext extracts it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(pdf)
        args = ["pdftotext", "-enc", "UTF-8"]
        if layout:
            args.append("-layout")
        if first:
            args += ["-f", str(first)]
        if last:
            args += ["-l", str(last)]
        return subprocess.run(args + [str(path), "-"], check=True, capture_output=True,
                              text=True).stdout


def pages_text(pdf: bytes) -> list[str]:
    """Text per page (pdftotext separates pages with form feeds)."""
    return pdf_text(pdf).split("\f")[:-1]


def _usd(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def code_totals_on_page(text: str) -> dict[str, Decimal]:
    """The summary's "Totals by finding code" rows: label, [CODE], findings, total."""
    return {m.group(1): _usd(m.group(2)) for m in
            re.finditer(r"\[([A-Z_]+)\]\s+\d+\s+\$([\d,]+\.\d\d)", text)}


#: A finding's part under its cost line: "   $662.27  Label [CODE] · R5 · normal priority".
PART_LINE = re.compile(r"^\s+\$([\d,]+\.\d\d)\s+(.+?) \[([A-Z_]+)\] · (\S+) · "
                       r"(urgent|high priority|normal priority|low priority|no priority)\s*$",
                       re.M)


def parts_in_listing(text: str) -> list[tuple[str, str, Decimal]]:
    """(code, rule, amount) of every finding part printed under a cost line (layout text)."""
    from app.services.reports.labels import CODE_LABELS
    found = []
    for m in PART_LINE.finditer(text):
        assert m.group(2).strip() == CODE_LABELS[m.group(3)], m.group(0)
        found.append((m.group(3), m.group(4), _usd(m.group(1))))
    return found


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True)
