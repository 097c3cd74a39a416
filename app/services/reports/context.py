"""The print template's context: plain data (str, int, Decimal, lists, dicts) built from the
disclosure dict. No ORM object reaches the template, and every number shown comes from the
disclosure itself, so the PDF says exactly what the JSON API says.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal

from ...models import FindingCode
from ..money import format_amount, format_usd
from . import charts, labels, statement_text
from .listing import INDENT, WIDTH, Group, Section, clean, cut, iso, paginate, wrap
from .page_facts import PageFacts
from .sections import COMPENSATION, OTHER, QUESTIONS, ROLES, SECTIONS, ReportSection

#: Codes that make a line "look like compensation or a prohibited contribution" (section 4).
COMPENSATION_CODES = {FindingCode.PROHIBITED_FOREIGN_INKIND.value,
                      FindingCode.PROHIBITED_SOURCE.value, FindingCode.COMPENSATION.value}
_SEVERITY = {code.value: code.severity for code in FindingCode}
NOTICE = ("This report applies a published rule set to the facts recorded in TripLedger. It is "
          "not legal advice. A finding says where the law may be engaged and why; whether it "
          "is, and what to do, is for the committee's treasurer and a qualified lawyer to "
          "decide. Findings that need review are open questions that a person must answer. "
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
    return labels.CITIZENSHIP.get(value, clean(value) or "citizenship not declared")


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
        when = labels.fill(clean(rule.get("when"))) or "rule not in this rule set"
        codes = labels.codes(_rule_codes(rule) or ([finding["code"]] if finding.get("code")
                                                   else []))
        head = wrap(f"Codes: {codes}", indent=INDENT, first="  ")
        head += wrap(f"Why: {labels.fill(rule.get('reason') or finding.get('reason') or '-')}",
                     first="  ")
        head += wrap(f"Citation: {rule.get('citation') or finding.get('citation') or '-'}",
                     first="  ")
        return Group(cut(f"{rule_id or 'No rule'} · {when}", 110), head)

    def sort_key(self, rule_id: str):
        return (self.order.get(rule_id, len(self.order)), rule_id)


#: Where a finding's amount stands on its part line; its reasoning is indented further.
PART_INDENT = " " * 10
WHY_INDENT = " " * 26


def _rule_codes(rule: dict) -> list[str]:
    """A rule's codes, whether the rule set lists them as names or as {code, priority}."""
    return [str(c.get("code") if isinstance(c, dict) else c) for c in rule.get("codes") or ()]


def _own_words(finding: dict, rules: "_Rules") -> str:
    """What a finding says beyond its rule's general reason (running totals, the lines that
    paid a role, the facts missing): the general reason is printed once, in the legend."""
    reason = clean(finding.get("reason"))
    general = clean(rules.rules.get(str(finding.get("rule_id")), {}).get("reason"))
    if general and reason == general:
        return ""
    if general and "{" not in general and reason.startswith(general):
        return labels.words_in(reason[len(general):].strip())
    return labels.words_in(reason)


def _part_lines(finding: dict, rules: "_Rules", said: set[str]) -> list[str]:
    """One finding of a line: its own amount under its code, its rule, priority and reasoning
    (unless an earlier finding of the line said the same: ``said``)."""
    amount = finding.get("amount_usd")
    text = (f"{PART_INDENT}{format_usd(amount) if amount is not None else '—':>13}  "
            f"{labels.code(finding.get('code'))} · {clean(finding.get('rule_id')) or '-'} · "
            f"{labels.priority(finding.get('priority'))}")
    lines = [text] if len(text) <= WIDTH else wrap(text, first="", indent=WHY_INDENT,
                                                   prepared=True)
    own = _own_words(finding, rules)
    if own and own not in said:
        said.add(own)
        lines += wrap(own, indent=WHY_INDENT, first=WHY_INDENT, max_lines=6)
    return lines


def _payer_words(item: dict) -> str:
    kind = item.get("payer_kind")
    if kind == "SELF":
        return "paid by the volunteer"
    return f"paid by {iso(item.get('payer_name')) or 'an unknown payer'} " \
        f"({labels.payer_kind(kind)})"


def _item_entry(item: dict, rules: "_Rules") -> list[str]:
    """A cost line: fixed columns (number, date, category, USD), who paid and what it was;
    then each of its findings on a line of its own, with the part of the amount it covers.

    Every line of a 50,000-line ledger is printed, and WeasyPrint's cost is per character:
    the volunteer is named once, in the heading above their lines, not on each line.
    """
    paid = "" if item.get("currency") == "USD" else \
        f"{format_amount(item.get('amount'))} {clean(item.get('currency'))} · "
    text = (f"{'#' + str(item.get('cost_id')):>8} {clean(item.get('incurred_on')):<10} "
            f"{labels.category(item.get('category')):<16} "
            f"{format_usd(item.get('amount_usd')):>13}  {paid}{_payer_words(item)}")
    if item.get("reimburses_cost_id"):
        text += f" · repays line #{item['reimburses_cost_id']} (R18)"
    if item.get("repaid_usd"):
        text += (f" · {format_usd(item['repaid_usd'])} repaid by another line and counted "
                 f"there; counted here {format_usd(_counted(item))}")
    if item.get("arranged_by_name"):
        text += f" · arranged by {iso(item.get('arranged_by_name'))}"
    if item.get("description"):
        text += f" · {iso(item.get('description'))}"
    lines = wrap(text, first="", max_lines=3, prepared=True)
    said: set[str] = set()
    for finding in item.get("findings") or ():
        lines += _part_lines(finding, rules, said)
    if not item.get("findings"):
        lines.append(f"{PART_INDENT}{'':>13}  no finding yet")
    return lines


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


def _parts_by_rule(items: list[dict]) -> dict[str, dict[str, list]]:
    """rule id → code → [number of parts, sum of their amounts] over the lines' findings."""
    out: dict[str, dict[str, list]] = defaultdict(dict)
    for item in items:
        for finding in item.get("findings") or ():
            entry = out[str(finding.get("rule_id") or "")].setdefault(
                str(finding.get("code") or ""), [0, Decimal(0)])
            entry[0] += 1
            if finding.get("amount_usd") is not None:
                entry[1] += Decimal(finding["amount_usd"])
    return out


def _person_heading(rows: list[dict], leave: dict) -> str:
    head = rows[0]
    email = clean(head.get("volunteer_email"))
    return (f"{len(rows)} line(s), {format_usd(_usd(rows))} · {_person(head)} · "
            f"{_citizenship(head.get('citizenship'))} · "
            f"{clean(head.get('state')) or 'no state'} · {labels.leave(leave.get(email))}")


def _item_section(part: ReportSection, items: list[dict], rules: _Rules, intro: str,
                  empty: str, leave: dict) -> Section:
    """Lines grouped by volunteer, after a legend of the rules behind them with citations and
    the sum of the parts each rule gave each code."""
    by_person: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_person[clean(item.get("volunteer_email"))].append(item)
    repaid = " An own expense a reimbursement repays counts only what was not repaid, so " \
        "the pair counts once (R18)." if any(i.get("repaid_usd") for i in items) else ""
    lines = wrap(f"{len(items)} cost line(s), {format_usd(_usd(items))} in total (US dollars at "
                 "the recorded exchange rates). " + intro + " Under each line, every finding "
                 "has its own amount: the part of the line its code covers." + repaid,
                 first="", indent="")
    by_rule = _parts_by_rule(items)
    if by_rule:
        lines += ["", "The rules behind these lines, with the parts they gave each code:"]
    for rule_id in sorted(by_rule, key=rules.sort_key):
        rule = rules.rules.get(rule_id, {})
        sums = "; ".join(f"{labels.code(code)} {count} part(s), {format_usd(total)}"
                         for code, (count, total) in by_rule[rule_id].items())
        lines += wrap(f"{rule_id or '-'}: {sums}. When: "
                      f"{_sentence(labels.fill(rule.get('when') or 'not in this rule set'))} "
                      f"Why: {_sentence(labels.fill(rule.get('reason') or '-'))} "
                      f"Citation: {_sentence(rule.get('citation'))}",
                      first="  ", indent="      ", max_lines=10)
    lines += ["", f"{'Line':>8} {'Date':<10} {'Category':<16} {'USD':>13}  amount paid if not "
              "in USD · payer · arranger · description",
              f"{PART_INDENT}{'Part (USD)':>13}  finding [code] · rule · priority, then what "
              "this finding says beyond its rule"]
    groups = []
    for email in sorted(by_person, key=lambda e: (clean(by_person[e][0].get("volunteer_name"))
                                                  .lower(), e)):
        rows = sorted(by_person[email], key=lambda i: (str(i.get("incurred_on")),
                                                       i.get("cost_id") or 0))
        groups.append(Group(_person_heading(rows, leave), [],
                            [_item_entry(i, rules) for i in rows], level="line"))
    return Section(part.key, part.title, lines, groups, empty, part.header)


_CITIZENSHIP_SHORT = {"US_CITIZEN": "US", "LPR": "LPR", "FOREIGN_NATIONAL": "FN"}


def _role_entry(role: dict, rules: _Rules) -> list[str]:
    """A sign-up: role, dates, status, who; then each of its findings with its reasoning
    (a paid role names the lines that paid for it, R2c)."""
    text = (f"  {labels.plain(role.get('role')):<16} {clean(role.get('arrive_on'))}→"
            f"{clean(role.get('depart_on'))} {labels.plain(role.get('status')):<9} "
            f"{_CITIZENSHIP_SHORT.get(role.get('citizenship'), '?'):<3} {_person(role)}")
    lines = wrap(text, first="", max_lines=2, prepared=True)
    for finding in role.get("findings") or []:
        lines += wrap(f"{labels.code(finding.get('code'))} · {clean(finding.get('rule_id'))} · "
                      f"{labels.priority(finding.get('priority'))}", first=" " * 6,
                      indent=" " * 8, prepared=True)
        own = _own_words(finding, rules)
        if own:
            lines += wrap(own, first=" " * 8, indent=" " * 8, max_lines=4)
    if role.get("override_reason"):
        lines += wrap(f"Organiser's reason for this role: {role['override_reason']}",
                      max_lines=6)
    return lines


def _roles_section(roles: list[dict], rules: _Rules) -> Section:
    by_state: dict[str, list[dict]] = defaultdict(list)
    for role in roles:
        by_state[clean(role.get("state")) or "No state"].append(role)
    groups = []
    for state in sorted(by_state):
        rows = sorted(by_state[state], key=lambda r: (clean(r.get("volunteer_name")).lower(),
                                                      r.get("signup_id") or 0))
        groups.append(Group(f"{state} · {len(rows)} sign-up(s)", [],
                            [_role_entry(r, rules) for r in rows]))
    intro = wrap(f"{len(roles)} sign-up(s). Who served where, in what role and on what dates. "
                 f"This part shows no money: things of value follow in parts "
                 f"{COMPENSATION.number} and {OTHER.number}. The role of a person who was "
                 "paid (per diem, stipend, salary or a cash-like gift) is marked "
                 f"{labels.code('COMPENSATION')} with the lines that paid them: it is paid work, "
                 "not volunteer time.",
                 first="", indent="")
    intro += ["Citizenship: US = US citizen, LPR = lawful permanent resident, FN = foreign "
              "national, ? = not declared.", "",
              f"  {'Role':<16} {'Arrive→depart':<21} {'Status':<9} Cit Volunteer, then each "
              "finding [code] · rule · priority"]
    return Section(ROLES.key, ROLES.title, intro, groups, "No sign-ups in this scope.",
                   ROLES.header)


def _part_usd(finding: dict) -> str:
    amount = finding.get("amount_usd")
    return "—" if amount is None else format_usd(amount)


def _question(head: str, person: str, review: dict | None) -> list[str]:
    """A question and, on the same (wrapped) line, its review and the review's reason."""
    if not review:
        return wrap(f"{head} · not reviewed yet · {person}", first="", prepared=True)
    text = (f"{head} · {person} · {labels.review_action(review.get('action'))} by "
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
            head = (f"{'#' + str(item.get('cost_id')):>8} part "
                    f"{_part_usd(finding)} of {format_usd(item.get('amount_usd'))} · "
                    f"{labels.code(code)} · {labels.priority(finding.get('priority'))}")
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
            head = (f"{'sign-up ' + str(role.get('signup_id')):>22} {labels.code(code)} · "
                    f"{labels.priority(finding.get('priority'))} ({clean(role.get('state'))}, "
                    f"{labels.plain(role.get('role'))})")
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


def _period(items: list[dict], roles: list[dict], facts: PageFacts) -> str:
    """From the earliest to the latest date of a line or a stay in the report."""
    days = [str(i.get("incurred_on")) for i in items if i.get("incurred_on")]
    days += [str(r.get(k)) for r in roles for k in ("arrive_on", "depart_on") if r.get(k)]
    if not days:
        if facts.deployment_starts:
            return (f"{_day(facts.deployment_starts.isoformat())} to "
                    f"{_day(facts.deployment_ends.isoformat())} (the deployment's dates: "
                    "nothing dated in this scope)")
        return "nothing dated in this scope"
    return (f"{_day(min(days))} to {_day(max(days))} (the first and last dates of the lines and "
            "sign-ups in this report)")


def _day(iso_date: str | None) -> str:
    if not iso_date:
        return "not recorded"
    return date.fromisoformat(str(iso_date)[:10]).strftime("%-d %b %Y")


def _rate(value) -> str:
    if value is None:
        return "—"
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _by_state(items: list[dict]) -> list[dict]:
    """Lines and their total per volunteer's state; volunteers without a sign-up are "no
    state", so the rows add up to the whole."""
    rows: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        rows[clean(item.get("state")) or ""].append(item)
    return [{"state": state or "No state (no sign-up)", "lines": len(rows[state]),
             "usd": format_usd(_usd(rows[state]))}
            for state in sorted(rows, key=lambda s: (s == "", s))]


def build_context(disclosure: dict, *, placements: list[dict], chain_head: tuple[int, str],
                  scope_label: str, generated_at: datetime, signer: str | None = None,
                  verify_hint: str = "", facts: PageFacts | None = None) -> dict:
    """Everything the print template shows, as plain data, with the long parts paginated.

    ``placements`` are ``PlacementStats.as_json()`` dicts (spots for the whole deployment);
    ``facts`` what the page shows beside the disclosure (dates, preparer, rates, leave).
    """
    facts = facts or PageFacts()
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
    roles_section = _roles_section(roles, rules)
    comp_section = _item_section(
        COMPENSATION, flagged, rules, "A line is here when any of its findings looks like "
        "compensation or a prohibited contribution.",
        "No line in this scope looks like compensation or a prohibited contribution.",
        facts.leave)
    other_section = _item_section(
        OTHER, other, rules, "Reportable in-kind contributions, the campaign's own expenditures "
        "and volunteers' own expenses.", "No other things of value in this scope.", facts.leave)
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
    counts = disclosure.get("counts_by_code") or {}
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
            "rule_set_sha256": clean(rule_set.get("sha256")) or "not recorded",
            "period": _period(items, roles, facts),
            "deployment_dates": (f"{_day(facts.deployment_starts.isoformat())} to "
                                 f"{_day(facts.deployment_ends.isoformat())}"
                                 if facts.deployment_starts else "not recorded"),
            "prepared_by": clean(facts.prepared_by) or "not recorded",
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
            "by_payer_kind": [{"kind": labels.title(labels.payer_kind(k)), "amount": format_usd(v)}
                              for k, v in by_kind],
            "by_code": [{"code": k, "label": labels.CODE_LABELS.get(k, k),
                         "count": counts.get(k, 0), "amount": format_usd(v),
                         "class": _code_class(k)} for k, v in by_code],
            "by_state": _by_state(items) if scope.get("kind") == "deployment" else [],
            "rates": [{"currency": clean(r["currency"]), "date": _day(r["date"]),
                       "rate": _rate(r["usd_per_unit"]), "source": clean(r["source"]),
                       "lines": r["lines"]} for r in facts.rates],
            "statement": statement_text.statement(disclosure) if statement else None,
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
                "payer_kinds": charts.bars([(labels.title(labels.payer_kind(k)), v, "kind")
                                            for k, v in by_kind],
                                           title="Totals by payer kind"),
                "codes": charts.bars([(labels.CODE_LABELS.get(k, k), v, _code_class(k))
                                      for k, v in by_code],
                                     title="Totals by finding code"),
            },
        },
        #: Every section's number, title, running header and contents line, by key.
        "titles": {section.key: section.as_json() for section in SECTIONS},
        "sections": sections,
        "method": {
            "rules": [{"id": clean(r.get("id")), "when": labels.fill(clean(r.get("when"))),
                       "codes": labels.codes(_rule_codes(r)),
                       "reason": labels.fill(clean(r.get("reason"))),
                       "citation": clean(r.get("citation"))}
                      for r in rule_set.get("rules") or []],
            "thresholds": [_threshold(t) for t in rule_set.get("thresholds") or []],
            "title": clean(rule_set.get("title")),
            "rule_set_notice": clean(rule_set.get("notice")),
            "soft_spots": [_plain(s) for s in rule_set.get("soft_spots") or []],
            "notice": NOTICE,
        },
    }
