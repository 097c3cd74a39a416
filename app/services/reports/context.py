"""The print template's context: plain data (str, int, Decimal, lists, dicts) built from the
disclosure dict. No ORM object reaches the template, and every number shown comes from the
disclosure itself, so the PDF says exactly what the JSON API says.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal

from ...models import FindingCode
from ..money import format_amount, format_usd
from . import charts
from .listing import INDENT, Group, Section, clean, cut, iso, paginate, wrap
from .sections import COMPENSATION, OTHER, QUESTIONS, ROLES, SECTIONS, ReportSection

#: Codes that make a line "look like compensation or a prohibited contribution" (section 4).
COMPENSATION_CODES = {FindingCode.PROHIBITED_FOREIGN_INKIND.value,
                      FindingCode.PROHIBITED_SOURCE.value, FindingCode.COMPENSATION.value}
_CITIZENSHIP = {"US_CITIZEN": "US citizen", "LPR": "lawful permanent resident",
                "FOREIGN_NATIONAL": "foreign national", None: "citizenship not declared"}
_SEVERITY = {code.value: code.severity for code in FindingCode}
NOTICE = ("This report applies a published rule set to the facts recorded in TripLedger. It is "
          "not legal advice. A finding says where the law may be engaged and why; whether it "
          "is, and what to do, is for the committee's treasurer and a qualified lawyer to "
          "decide. Findings marked REVIEW are open questions that a person must answer. "
          "State law, FARA and the sending country's rules are not covered.")


def _when(iso_text: str | None) -> str:
    if not iso_text:
        return "unknown"
    moment = datetime.fromisoformat(iso_text)
    if moment.tzinfo is None:
        return moment.strftime("%-d %b %Y %H:%M")
    return moment.strftime("%-d %b %Y %H:%M UTC")


def _code_class(code: str) -> str:
    if code in COMPENSATION_CODES or code.startswith("PROHIBITED"):
        return "bad"
    return "warn" if code.startswith("REVIEW") else "ok"


def _citizenship(value) -> str:
    return _CITIZENSHIP.get(value, clean(value) or "citizenship not declared")


def _person(row: dict) -> str:
    return f"{iso(row.get('volunteer_name'))} <{clean(row.get('volunteer_email'))}>"


def _primary(findings: list[dict], fallback: list[str]) -> str:
    """The rule behind the most severe finding of a line (rule ids otherwise in given order)."""
    if findings:
        top = max(findings, key=lambda f: (f.get("severity") or 0))
        return str(top.get("rule_id") or "")
    return fallback[0] if fallback else ""


class _Rules:
    """The rule set by id, to head groups with the rule's words and citation."""

    def __init__(self, rule_set: dict):
        self.order = {}
        self.rules = {}
        for n, rule in enumerate(rule_set.get("rules") or []):
            self.order[str(rule.get("id"))] = n
            self.rules[str(rule.get("id"))] = rule

    def group(self, rule_id: str, finding: dict | None = None) -> Group:
        rule = self.rules.get(rule_id, {})
        finding = finding or {}
        when = clean(rule.get("when")) or "rule not in this rule set"
        codes = ", ".join(rule.get("codes") or ([finding["code"]] if finding.get("code") else []))
        head = []
        if codes:
            head += wrap(f"Codes: {codes}", indent=INDENT, first="  ")
        head += wrap(f"Why: {rule.get('reason') or finding.get('reason') or '-'}", first="  ")
        head += wrap(f"Citation: {rule.get('citation') or finding.get('citation') or '-'}",
                     first="  ")
        return Group(cut(f"{rule_id or 'No rule'} · {when}", 110), head)

    def sort_key(self, rule_id: str):
        return (self.order.get(rule_id, len(self.order)), rule_id)


def _item_entry(item: dict) -> list[str]:
    """A cost line: fixed columns (number, date, category, USD), then codes, rules, who paid
    and what it was, continued on indented lines when long.

    Every line of a 50,000-line ledger is printed, and WeasyPrint's cost is per character:
    the volunteer is named once, in the heading above their lines, not on each line.
    """
    paid = "" if item.get("currency") == "USD" else \
        f"{format_amount(item.get('amount'))} {clean(item.get('currency'))} "
    kind = clean(item.get("payer_kind"))
    payer = "self-paid" if kind == "SELF" else \
        f"paid by {iso(item.get('payer_name')) or 'unknown'} ({kind})"
    text = (f"{'#' + str(item.get('cost_id')):>8} {clean(item.get('incurred_on')):<10} "
            f"{clean(item.get('category')):<16} {format_usd(item.get('amount_usd')):>13}  "
            f"{', '.join(item.get('codes') or []) or '-'} · "
            f"{', '.join(dict.fromkeys(item.get('rule_ids') or [])) or '-'} · {paid}{payer}")
    if item.get("reimburses_cost_id"):
        text += f" · repays #{item['reimburses_cost_id']}"
    if item.get("repaid_usd"):
        text += (f" · {format_usd(item['repaid_usd'])} repaid by another line, counted there; "
                 f"counted here {format_usd(_counted(item))}")
    if item.get("arranged_by_name"):
        text += f" · arranged by {iso(item.get('arranged_by_name'))}"
    if item.get("description"):
        text += f" · {iso(item.get('description'))}"
    return wrap(text, first="", max_lines=3, prepared=True)


def _counted(item: dict) -> Decimal:
    """What a line counts for: its amount, less what reimbursements repay of it (they count
    it; R18)."""
    return Decimal(item.get("amount_usd") or 0) - Decimal(item.get("repaid_usd") or 0)


def _usd(rows: list[dict]) -> Decimal:
    return sum((_counted(r) for r in rows), Decimal(0))


def _sentence(text) -> str:
    """``text`` ending in one full stop (rule texts may or may not end in one)."""
    text = str(text or "-").rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _item_section(part: ReportSection, items: list[dict], rules: _Rules, intro: str,
                  empty: str) -> Section:
    """Lines grouped by volunteer, after a legend of the rules behind them with citations."""
    by_rule: dict[str, list[dict]] = defaultdict(list)
    by_person: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_rule[_primary(item.get("findings") or [], item.get("rule_ids") or [])].append(item)
        by_person[clean(item.get("volunteer_email"))].append(item)
    repaid = " An own expense a reimbursement repays counts only what was not repaid, so " \
        "the pair counts once (R18)." if any(i.get("repaid_usd") for i in items) else ""
    lines = wrap(f"{len(items)} cost line(s), {format_usd(_usd(items))} in total (US dollars at "
                 "the recorded exchange rates). " + intro + repaid, first="", indent="")
    if by_rule:
        lines += ["", "The rules behind these lines (each line names its rules):"]
    for rule_id in sorted(by_rule, key=rules.sort_key):
        rule = rules.rules.get(rule_id, {})
        finding = (by_rule[rule_id][0].get("findings") or [{}])[0]
        codes = ", ".join(rule.get("codes") or [finding.get("code") or "-"])
        lines += wrap(f"{rule_id or '-'} ({codes}): {len(by_rule[rule_id])} line(s), "
                      f"{format_usd(_usd(by_rule[rule_id]))}. When: "
                      f"{_sentence(rule.get('when') or 'not in this rule set')} Why: "
                      f"{_sentence(rule.get('reason') or finding.get('reason') or '-')} "
                      f"Citation: {_sentence(rule.get('citation') or finding.get('citation'))}",
                      first="  ", indent="      ", max_lines=8)
    lines += ["", f"{'Line':>8} {'Date':<10} {'Category':<16} {'USD':>13}  Codes (most severe "
              "first) · rules ·", f"{INDENT}amount paid if not in USD · payer (kind) · arranger · "
              "description"]
    groups = []
    for email in sorted(by_person, key=lambda e: (clean(by_person[e][0].get("volunteer_name"))
                                                  .lower(), e)):
        rows = sorted(by_person[email], key=lambda i: (str(i.get("incurred_on")),
                                                       i.get("cost_id") or 0))
        head = rows[0]
        heading = cut(f"{_person(head)} · {_citizenship(head.get('citizenship'))} · "
                      f"{clean(head.get('state')) or 'no state'} · {len(rows)} line(s), "
                      f"{format_usd(_usd(rows))}", 104)
        groups.append(Group(heading, [], [_item_entry(i) for i in rows], level="line"))
    return Section(part.key, part.title, lines, groups, empty, part.header)


_CITIZENSHIP_SHORT = {"US_CITIZEN": "US", "LPR": "LPR", "FOREIGN_NATIONAL": "FN"}


def _role_entry(role: dict) -> list[str]:
    codes = ", ".join(role.get("codes") or [])
    rules = ", ".join(dict.fromkeys(role.get("rule_ids") or []))
    text = (f"  {clean(role.get('role')):<16} {clean(role.get('arrive_on'))}→"
            f"{clean(role.get('depart_on'))} {clean(role.get('status')):<9} "
            f"{_CITIZENSHIP_SHORT.get(role.get('citizenship'), '?'):<3} {_person(role)}"
            + (f" · {codes} ({rules})" if codes else ""))
    lines = wrap(text, first="", max_lines=2, prepared=True)
    for finding in role.get("findings") or []:
        if finding.get("code") == "COMPENSATION":  # R2c: say which lines paid them
            lines += wrap(clean(finding.get("reason")), max_lines=4)
    if role.get("override_reason"):
        lines += wrap(f"Organiser's reason for this role: {role['override_reason']}",
                      max_lines=6)
    return lines


def _roles_section(roles: list[dict]) -> Section:
    by_state: dict[str, list[dict]] = defaultdict(list)
    for role in roles:
        by_state[clean(role.get("state")) or "No state"].append(role)
    groups = []
    for state in sorted(by_state):
        rows = sorted(by_state[state], key=lambda r: (clean(r.get("volunteer_name")).lower(),
                                                      r.get("signup_id") or 0))
        groups.append(Group(f"{state} · {len(rows)} sign-up(s)", [],
                            [_role_entry(r) for r in rows]))
    intro = wrap(f"{len(roles)} sign-up(s). Who served where, in what role and on what dates. "
                 f"This part shows no money: things of value follow in parts "
                 f"{COMPENSATION.number} and {OTHER.number}. The role of a person who was "
                 "paid (per diem, stipend, salary or a cash-like gift) is marked COMPENSATION "
                 "with the lines that paid them: it is paid work, not volunteer time.",
                 first="", indent="")
    intro += ["Citizenship: US = US citizen, LPR = lawful permanent resident, FN = foreign "
              "national, ? = not declared.", "",
              f"  {'Role':<16} {'Arrive→depart':<21} {'Status':<9} Cit Volunteer · codes "
              "(rules), if any"]
    return Section(ROLES.key, ROLES.title, intro, groups, "No sign-ups in this scope.",
                   ROLES.header)


def _question(head: str, person: str, review: dict | None) -> list[str]:
    """A question and, on the same (wrapped) line, its review and the review's reason."""
    if not review:
        return [cut(f"{head} · not reviewed yet · {person}")]
    text = (f"{head} · {person} · {clean(review.get('action')).upper()} by "
            f"{clean(review.get('reviewer'))}, {_when(review.get('at'))}: "
            f"{clean(review.get('reason')) or '(no reason given)'}")
    if review.get("facts_changed"):
        text += " · The facts have changed since this review: it needs a new one."
    return wrap(text, first="", prepared=True)


def _questions_section(items: list[dict], roles: list[dict], rules: _Rules) -> tuple[Section, int,
                                                                                    int]:
    buckets: dict[str, list[tuple[dict, list[str]]]] = defaultdict(list)
    open_count = unreviewed = 0
    for item in items:
        for finding in item.get("findings") or []:
            code = str(finding.get("code") or "")
            if not (code.startswith("REVIEW") or finding.get("review")):
                continue
            open_count += 1
            unreviewed += not finding.get("review")
            head = (f"{'#' + str(item.get('cost_id')):>8} {format_usd(item.get('amount_usd')):>13} "
                    f"{code}")
            buckets[str(finding.get("rule_id") or "")].append(
                (finding, _question(head, f"<{clean(item.get('volunteer_email'))}>",
                                    finding.get("review"))))
    for role in roles:
        for finding in role.get("findings") or []:
            code = str(finding.get("code") or "")
            if not (code.startswith("REVIEW") or finding.get("review")):
                continue
            open_count += 1
            unreviewed += not finding.get("review")
            head = (f"{'sign-up ' + str(role.get('signup_id')):>22} {code} "
                    f"({clean(role.get('state'))}, {clean(role.get('role'))})")
            buckets[str(finding.get("rule_id") or "")].append(
                (finding, _question(head, f"<{clean(role.get('volunteer_email'))}>",
                                    finding.get("review"))))
    groups = []
    for rule_id in sorted(buckets, key=rules.sort_key):
        group = rules.group(rule_id, buckets[rule_id][0][0])
        group.entries = [lines for _, lines in buckets[rule_id]]
        groups.append(group)
    intro = wrap(f"{open_count} question(s), {unreviewed} not yet reviewed. Unknown payers and "
                 "points the law leaves unsettled: a person decides. Each auditor's review is "
                 "shown with its reason; a review made before the facts changed is marked. A "
                 f"cost line's date, category and payer are in part {COMPENSATION.number} or "
                 f"{OTHER.number} under its number.", first="", indent="")
    section = Section(QUESTIONS.key, QUESTIONS.title, intro, groups,
                      "No open questions in this scope.", QUESTIONS.header)
    return section, open_count, unreviewed


def _threshold(value) -> str:
    """"Label: $1,000.00 (from … to …); citation" for the engine's thresholds."""
    if isinstance(value, dict) and "label" in value and "amount" in value:
        text = f"{clean(value['label'])}: {format_usd(value['amount'])}"
        since, until = value.get("effective_from"), value.get("effective_to")
        if since or until:
            text += f" ({'from ' + clean(since) if since else ''}" \
                    f"{' ' if since and until else ''}{'until ' + clean(until) if until else ''})"
        if value.get("citation"):
            text += f"; {clean(value['citation'])}"
        return text
    return _plain(value)


def _plain(value) -> str:
    if isinstance(value, dict):
        return " · ".join(f"{clean(k).replace('_', ' ')}: {clean(v)}" for k, v in value.items())
    return clean(value)


def build_context(disclosure: dict, *, placements: list[dict], chain_head: tuple[int, str],
                  scope_label: str, generated_at: datetime, signer: str | None = None,
                  verify_hint: str = "") -> dict:
    """Everything the print template shows, as plain data, with the long parts paginated.

    ``placements`` are ``PlacementStats.as_json()`` dicts (spots for the whole deployment).
    """
    items = list(disclosure.get("items") or [])
    roles = list(disclosure.get("roles") or [])
    volunteers = list(disclosure.get("volunteers") or [])
    rule_set = disclosure.get("rule_set") or {}
    rules = _Rules(rule_set)
    deployment = {k: clean(v) for k, v in (disclosure.get("deployment") or {}).items()}
    scope = disclosure.get("scope") or {}
    statement = scope.get("kind") == "volunteer"

    flagged = [i for i in items if COMPENSATION_CODES & set(i.get("codes") or [])]
    other = [i for i in items if not COMPENSATION_CODES & set(i.get("codes") or [])]
    roles_section = _roles_section(roles)
    comp_section = _item_section(
        COMPENSATION, flagged, rules, "Each line is listed under the rule behind its most severe "
        "finding, with that rule's reason and citation; all of its codes are shown.",
        "No line in this scope looks like compensation or a prohibited contribution.")
    other_section = _item_section(
        OTHER, other, rules, "Reportable in-kind contributions, the campaign's own expenditures "
        "and volunteers' own expenses.", "No other things of value in this scope.")
    questions_section, open_count, unreviewed = _questions_section(items, roles, rules)
    sections = []
    for section in (roles_section, comp_section, other_section, questions_section):
        sheets = paginate(section)
        sheets[0]["bookmark"] = section.title
        sections.append({"key": section.key, "title": section.title, "sheets": sheets})

    by_kind = [(clean(k), Decimal(v or 0)) for k, v in
               (disclosure.get("totals_by_payer_kind") or {}).items()]
    by_code = sorted(((clean(k), Decimal(v or 0)) for k, v in
                      (disclosure.get("totals_by_code") or {}).items()),
                     key=lambda kv: (-_SEVERITY.get(kv[0], 0), kv[0]))
    placement_rows = [{"state": p["state"], "base_city": clean(p.get("base_city")),
                       "capacity": p["capacity"], "held": p["confirmed"] + p["pending"] +
                       p.get("offered", 0), "confirmed": p["confirmed"], "pending": p["pending"],
                       "remaining": p["remaining"], "waitlisted": p["waitlisted"]}
                      for p in placements]
    citizenship = Counter(_citizenship(v.get("citizenship")) for v in volunteers)
    verdicts = Counter(clean(v.get("verdict")) or "no verdict" for v in volunteers)
    total_usd, flagged_usd = _usd(items), _usd(flagged)
    other_usd = total_usd - flagged_usd
    fingerprint = clean(disclosure.get("fingerprint"))
    chain_seq, chain_hash = chain_head
    title = ("Volunteer statement" if statement else "Disclosure report") + \
        f" — {deployment.get('name', '')} — {scope_label}"
    return {
        "meta": {
            "title": cut(title, 300), "statement": statement, "deployment": deployment,
            "scope_label": clean(scope_label), "scope_kind": clean(scope.get("kind")),
            "as_of": _when(disclosure.get("as_of")), "as_of_iso": disclosure.get("as_of") or "",
            "rule_set_version": clean(rule_set.get("version")) or "unknown",
            "fingerprint": fingerprint, "chain_seq": chain_seq, "chain_hash": chain_hash,
            "generated_at": _when(generated_at.isoformat()),
            "generated_at_iso": generated_at.isoformat(timespec="seconds"),
            "running_head": cut(f"TripLedger · {deployment.get('name', '')} · "
                                f"{clean(scope_label)}", 110),
            "signer": clean(signer) if signer else None, "verify_hint": verify_hint,
        },
        "summary": {
            "volunteers": len(volunteers), "roles": len(roles), "lines": len(items),
            "total_usd": format_usd(total_usd), "placements": placement_rows,
            "citizenship": sorted(citizenship.items(), key=lambda kv: (-kv[1], kv[0])),
            "verdicts": sorted(verdicts.items(), key=lambda kv: (-kv[1], kv[0])),
            "by_payer_kind": [{"kind": k, "amount": format_usd(v)} for k, v in by_kind],
            "by_code": [{"code": k, "amount": format_usd(v), "class": _code_class(k)}
                        for k, v in by_code],
            "parts": [
                {"title": roles_section.title, "what": f"{len(roles)} sign-up(s)", "usd": ""},
                {"title": comp_section.title, "what": f"{len(flagged)} line(s)",
                 "usd": format_usd(flagged_usd)},
                {"title": other_section.title, "what": f"{len(other)} line(s)",
                 "usd": format_usd(other_usd)},
                {"title": questions_section.title,
                 "what": f"{open_count} question(s), {unreviewed} not reviewed", "usd": ""},
            ],
            "charts": {
                "spots": charts.spots(placement_rows),
                "payer_kinds": charts.bars([(k, v, "kind") for k, v in by_kind],
                                           title="Totals by payer kind"),
                "codes": charts.bars([(k, v, _code_class(k)) for k, v in by_code],
                                     title="Totals by finding code"),
            },
        },
        #: Every section's number, title, running header and contents line, by key.
        "titles": {section.key: section.as_json() for section in SECTIONS},
        "sections": sections,
        "method": {
            "rules": [{"id": clean(r.get("id")), "when": clean(r.get("when")),
                       "codes": ", ".join(clean(c) for c in r.get("codes") or []),
                       "reason": clean(r.get("reason")), "citation": clean(r.get("citation"))}
                      for r in rule_set.get("rules") or []],
            "thresholds": [_threshold(t) for t in rule_set.get("thresholds") or []],
            "title": clean(rule_set.get("title")),
            "rule_set_notice": clean(rule_set.get("notice")),
            "soft_spots": [_plain(s) for s in rule_set.get("soft_spots") or []],
            "notice": NOTICE,
        },
    }
