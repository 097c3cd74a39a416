"""A volunteer's statement in plain words: what was paid for them, by whom, and what the
payer's spending may mean.

Written to the person, about the payers: a finding is a question about whoever paid (or, for
a role, about how the campaign must record it), never a verdict on the volunteer. The codes
stay in the listing parts of the statement for the auditor; this is the page the volunteer
reads first.
"""
from __future__ import annotations

from datetime import date

from ..money import format_amount, format_usd
from . import labels
from .listing import clean

#: What a finding on a line means, said about the payer ({payer}: who paid; {spending}: their
#: spending, or "your own spending").
_MEANING = {
    "PROHIBITED_FOREIGN_INKIND": (
        "US law does not let foreign nationals, foreign parties or foreign organisations give "
        "anything of value to a US campaign. Whether {spending} here did is for the "
        "campaign's treasurer to decide, and if so to refuse or refund it."),
    "PROHIBITED_SOURCE": (
        "{payer} appears to be a corporation, labor union or federal contractor, which may not "
        "give things of value to a federal campaign. The campaign must look at this spending."),
    "COMPENSATION": (
        "A payment like this is pay, not a volunteer's expense: the campaign records your time "
        "as paid work. It is about how {payer} paid, and is not a fault of yours."),
    "REVIEW_PAYER_UNKNOWN": (
        "Who paid has not been recorded. The campaign must find out; if you know, tell the "
        "organiser."),
    "REVIEW_CONTESTED": (
        "The law is unsettled here, or a fact is missing, so a person at the campaign will "
        "decide how this is treated."),
    "INKIND_REPORTABLE": (
        "{spending} counts as a contribution to the campaign, which the campaign "
        "reports."),
    "CAMPAIGN_EXP": "The campaign paid this as its own expense and reports it as such.",
    "OUT_OF_SCOPE": "This appears unrelated to the election; a person confirms it.",
    "VOL_OK": "This is not a contribution: the law lets volunteers and hosts give this.",
}

_ROLE_MEANING = {
    "COMPENSATION": "Because you were paid for it, this role counts as paid work, not "
                    "volunteer time.",
    "PROHIBITED_PARTICIPATION": "This role involves decisions for the campaign, which foreign "
                                "nationals may not take part in; the campaign must change it.",
    "REVIEW_CONTESTED": "A fact is missing or the law is unsettled; a person at the campaign "
                        "will decide how this role is recorded.",
}


def _lower_first(text: str) -> str:
    """"The law …" → "the law …", but "US law …" stays as it is."""
    if text[1:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def _day(text) -> str:
    try:
        return date.fromisoformat(str(text)).strftime("%-d %B %Y")
    except ValueError:
        return "an unknown date"


def _payer(item: dict) -> str:
    if item.get("payer_kind") == "SELF":
        return "you"
    name = clean(item.get("payer_name")) or "a payer not yet named"
    return f"{name} ({labels.payer_kind(item.get('payer_kind'))})"


def line_paragraph(item: dict) -> str:
    """One cost line as a sentence or three."""
    payer = _payer(item)
    what = labels.category(item.get("category")).lower()
    if item.get("description"):
        what += f" ({clean(item['description'])})"
    paid = format_usd(item.get("amount_usd"))
    if item.get("currency") and item.get("currency") != "USD":
        paid += f" ({format_amount(item.get('amount'))} {clean(item['currency'])})"
    text = (f"On {_day(item.get('incurred_on'))}, {payer} paid {paid} for your {what}."
            if payer != "you" else
            f"On {_day(item.get('incurred_on'))}, you paid {paid} yourself for {what}.")
    if item.get("repaid_usd"):
        text += f" {format_usd(item['repaid_usd'])} of it was paid back to you."
    meanings = []
    for finding in item.get("findings") or ():
        meaning = _MEANING.get(str(finding.get("code")))
        if meaning is None:
            continue
        meaning = meaning.format(payer=payer, spending="your own spending" if payer == "you"
                                 else f"the spending of {payer}")
        meaning = meaning[0].upper() + meaning[1:]
        part = finding.get("amount_usd")
        if part is not None and part != item.get("amount_usd"):
            meaning = f"For {format_usd(part)} of it: {_lower_first(meaning)}"
        if meaning not in meanings:
            meanings.append(meaning)
    return " ".join([text, *meanings])


def role_paragraph(role: dict) -> str:
    text = (f"You signed up as {labels.plain(role.get('role'))} in "
            f"{clean(role.get('state')) or 'no state'} from {_day(role.get('arrive_on'))} to "
            f"{_day(role.get('depart_on'))} ({labels.plain(role.get('status'))}).")
    meanings = [_ROLE_MEANING[str(f.get("code"))] for f in role.get("findings") or ()
                if str(f.get("code")) in _ROLE_MEANING]
    if not meanings:
        meanings = ["This is recorded as volunteer time."]
    return " ".join([text, *dict.fromkeys(meanings)])


def statement(disclosure: dict) -> dict:
    """The statement's first page: paragraphs for the lines and the roles."""
    items = sorted(disclosure.get("items") or (), key=lambda i: (str(i.get("incurred_on")),
                                                                  i.get("cost_id") or 0))
    return {
        "lines": [line_paragraph(item) for item in items],
        "roles": [role_paragraph(role) for role in disclosure.get("roles") or ()],
        "about": ("This statement lists what was paid for you during this deployment and by "
                  "whom. Where it says what a payment may mean, that is about the payer's "
                  "spending and how the campaign must record it; it is not a judgement of "
                  "you. If something is wrong or missing, tell the organiser."),
    }
