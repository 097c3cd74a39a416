"""Words a person reads in place of the codes and enum values the data holds.

A report shows a finding code as its label with the code beside it in brackets
("Looks like compensation [COMPENSATION]"), so the words and the exact code are both on the
page; every other stored value (payer kinds, categories, roles, statuses, leave types,
priorities) is shown as words only. Rule texts with ``{placeholders}`` are filled with a
description of what each finding fills in, so no raw template reaches the page.
"""
from __future__ import annotations

import re

#: compliance-rules.md's meaning of each code, shortened to fit a listing line.
CODE_LABELS = {
    "PROHIBITED_FOREIGN_INKIND": "Potential prohibited foreign in-kind",
    "PROHIBITED_PARTICIPATION": "Foreign national in a decision role",
    "PROHIBITED_SOURCE": "Potential prohibited source",
    "COMPENSATION": "Looks like compensation",
    "REVIEW_PAYER_UNKNOWN": "Payer not disclosed",
    "REVIEW_CONTESTED": "Unsettled or facts missing",
    "INKIND_REPORTABLE": "Reportable in-kind contribution",
    "CAMPAIGN_EXP": "Campaign's own expenditure",
    "OUT_OF_SCOPE": "Apparently unrelated to the election",
    "VOL_OK": "Volunteer, not a contribution",
}

PAYER_KINDS = {
    "SELF": "the volunteer", "CAMPAIGN": "the campaign", "FOREIGN_PARTY": "foreign party",
    "FOREIGN_ENTITY": "foreign organisation", "FOREIGN_INDIVIDUAL": "foreign individual",
    "US_INDIVIDUAL": "US individual", "US_ORGANISATION": "US organisation",
    "UNKNOWN": "payer unknown",
}

CATEGORIES = {
    "HOUSING": "Housing", "TRAVEL": "Travel", "LOCAL_TRANSPORT": "Local transport",
    "MEALS": "Meals", "PER_DIEM": "Per diem", "STIPEND": "Stipend",
    "SALARY_CONTINUED": "Salary continued", "GIFT": "Gift", "OTHER": "Other",
}

LEAVE_TYPES = {
    "NOT_EMPLOYED": "not employed", "UNPAID": "unpaid leave",
    "BONA_FIDE_EARNED_LEAVE": "earned annual leave", "WORKING_TIME": "on working time",
    "SPECIAL_POLITICAL_LEAVE": "special political leave",
}

PRIORITIES = {"urgent": "urgent", "high": "high priority", "normal": "normal priority",
              "low": "low priority"}

REVIEW_ACTIONS = {"acknowledge": "acknowledged", "clear": "cleared", "escalate": "escalated"}

#: What each rule-text placeholder stands for, where a text is shown without a finding.
PLACEHOLDERS = {
    "missing": "the facts not yet given", "assumed": "the assumption stated on each line",
    "what": "what the line is", "by": "the reimbursing line",
    "disagreement": "the facts that disagree, named on each line",
}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
#: A stored value inside a rule's or a finding's text ("citizenship FOREIGN_NATIONAL",
#: "strategy_adviser"); finding codes are left alone.
_VALUE = re.compile(r"(?<!\[)\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b(?!\])")
CITIZENSHIP = {"US_CITIZEN": "US citizen", "LPR": "lawful permanent resident",
               "FOREIGN_NATIONAL": "foreign national"}


def code(value) -> str:
    """"Label [CODE]"; an unknown code is shown as it is, in brackets."""
    text = str(value or "")
    label = CODE_LABELS.get(text)
    return f"{label} [{text}]" if label else f"[{text}]"


def codes(values) -> str:
    return ", ".join(code(v) for v in values or ()) or "none"


def words(value, table: dict, fallback: str = "not recorded") -> str:
    """A stored value in words: from ``table``, else the value with its underscores spaced."""
    if value is None or value == "":
        return fallback
    text = str(getattr(value, "value", value))
    return table.get(text) or text.replace("_", " ").lower()


def payer_kind(value) -> str:
    return words(value, PAYER_KINDS, "payer unknown")


def title(text: str) -> str:
    """``text`` with its first letter capitalised (and the rest as it is: "US individual")."""
    return text[:1].upper() + text[1:]


def category(value) -> str:
    return words(value, CATEGORIES)


def leave(value) -> str:
    return words(value, LEAVE_TYPES, "leave not declared")


def priority(value) -> str:
    return words(value, PRIORITIES, "no priority")


def review_action(value) -> str:
    return words(value, REVIEW_ACTIONS, "reviewed")


def plain(value) -> str:
    """A lower-case enum value (role, status) in words: ``phone_banker`` → ``phone banker``."""
    return words(value, {}, "—")


def fill(text) -> str:
    """A rule's text with its placeholders described in words (and its values, ``words``)."""
    return words_in(_PLACEHOLDER.sub(lambda m: PLACEHOLDERS.get(m.group(1),
                                                             m.group(1).replace("_", " ")),
                                   str(text or "")))


def _value_words(token: str) -> str:
    if token in CODE_LABELS:
        return code(token)
    for table in (CITIZENSHIP, LEAVE_TYPES, PAYER_KINDS, CATEGORIES):
        if token in table:
            return table[token].lower() if table is not CITIZENSHIP else table[token]
    return token.replace("_", " ").lower()


def words_in(text: str) -> str:
    """A rule's or finding's text with the stored values in it said in words."""
    return _VALUE.sub(lambda m: _value_words(m.group(0)), text) if "_" in text else text
