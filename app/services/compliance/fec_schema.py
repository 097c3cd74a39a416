"""What a row of the FEC export must look like: the FEC's transaction schemas, as rules.

The rules follow the JSON schemas of the FEC's ``fecfile-validate`` project (github.com/fecgov/
fecfile-validate, ``schema/`` at commit 71f717a, April 2026; the files say ``"version":
"v0.0.0.0"``, COM_IN_KIND_OUTS ``8.3.0.1``). They are written out here, not vendored: each
transaction type names the schema file it follows. Beyond the schemas we also hold a state to
the USPS codes and a ZIP code to 5 or 9 digits (the schemas only say "A/N-2", "A/N-9"), and a
transaction id to upper case (their rule reference says so in words).

The schemas' ``form_type`` enums are the Form 3X line codes (SA11AI, SA11C, SB21B …); on Form 3
and 3P the line codes come from the rule set, so a form type is checked against the code the
row should carry, and against the schema's enum only on Form 3X.

:func:`problems` returns what is wrong with a row, in words; an empty list means the row is
valid. The export never writes a row with problems.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ..validation import US_STATES

#: Every ``[ -~]`` pattern in the schemas: printable ASCII, space to tilde.
PRINTABLE = re.compile(r"^[ -~]*$")
#: filer_committee_id_number, donor_committee_fec_id, beneficiary_committee_fec_id.
COMMITTEE_ID = re.compile(r"^(?:[PC][0-9]{8}|[HS][0-9][A-Z]{2}[0-9]{5})$")
#: What TripLedger accepts as a committee's id (brief: a committee, "C" and eight digits).
COMMITTEE_ID_STRICT = re.compile(r"^C[0-9]{8}$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
#: SchA.json/SchB.json election_code: "[G|P|R|S|C|E|O]+Year{YYYY}".
ELECTION_CODE = re.compile(r"^[GPRSCEO][0-9]{4}$")
ZIP = re.compile(r"^(?:[0-9]{5}|[0-9]{9})$")
#: contribution_purpose_descrip / expenditure_purpose_descrip.
IN_KIND_PURPOSE = re.compile(r"^In-Kind: [ -~]{1,91}$")
AMOUNT = re.compile(r"^-?[0-9]+(?:\.[0-9]{1,2})?$")
#: contribution_amount and the aggregates: "minimum": -99999999.99, "maximum": 999999999.99.
AMOUNT_MIN, AMOUNT_MAX = Decimal("-99999999.99"), Decimal("999999999.99")


@dataclass(frozen=True)
class Rule:
    """One field: required or not, its length, and what its text must match."""
    name: str
    required: bool = False
    max_length: int | None = None
    pattern: re.Pattern | None = None
    #: "text", "amount" (a number in the schemas' range) or "date".
    kind: str = "text"
    #: The one value allowed (a schema's ``const``).
    const: str | None = None
    #: A committee id, a state or a ZIP: our stricter check on top of the schema.
    check: str | None = None


@dataclass(frozen=True)
class TransactionType:
    identifier: str
    schema: str
    schedule: str  # "A" or "B"
    entity_type: str
    rules: tuple[Rule, ...]
    #: The schema's form_type enum (Form 3X line codes).
    f3x_form_types: tuple[str, ...] = ()
    #: back_reference_sched_name's enum, where the schema has one.
    back_reference_sched_names: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def columns(self) -> list[str]:
        return [rule.name for rule in self.rules]


def _text(name, length, required=False, **kw) -> Rule:
    return Rule(name, required, length, **kw)


def _common(identifier: str, entity: str, back_required: bool) -> tuple[Rule, ...]:
    return (
        _text("form_type", 8, True),
        _text("filer_committee_id_number", 9, True, pattern=COMMITTEE_ID),
        Rule("transaction_type_identifier", True, const=identifier),
        _text("transaction_id", 20, True),
        _text("back_reference_tran_id_number", 20, back_required),
        _text("back_reference_sched_name", 8, back_required),
        Rule("entity_type", True, const=entity),
    )


def _person(prefix: str) -> tuple[Rule, ...]:
    return (_text(f"{prefix}_last_name", 30, True), _text(f"{prefix}_first_name", 20, True),
            _text(f"{prefix}_middle_name", 20), _text(f"{prefix}_prefix", 10),
            _text(f"{prefix}_suffix", 10))


def _address(prefix: str) -> tuple[Rule, ...]:
    return (_text(f"{prefix}_street_1", 34, True), _text(f"{prefix}_street_2", 34),
            _text(f"{prefix}_city", 30, True), _text(f"{prefix}_state", 2, True, check="state"),
            _text(f"{prefix}_zip", 9, True, check="zip"))


# SchA.json / SchB.json column 18: required on F3, F3X and F3P.
_ELECTION = (_text("election_code", 5, True, pattern=ELECTION_CODE),)
_RECEIPT = (Rule("contribution_date", True, pattern=DATE, kind="date"),
            Rule("contribution_amount", True, kind="amount"),
            Rule("contribution_aggregate", True, kind="amount"),
            Rule("aggregation_group", True, const="GENERAL"),
            _text("contribution_purpose_descrip", 100, True, pattern=IN_KIND_PURPOSE))
_MEMO = (Rule("memo_code", const="X"), _text("memo_text_description", 100))
_OUT = (Rule("expenditure_date", True, pattern=DATE, kind="date"),
        Rule("expenditure_amount", True, kind="amount"),
        _text("expenditure_purpose_descrip", 100, True, pattern=IN_KIND_PURPOSE))
_COMMITTEE_DONOR = (_text("donor_committee_fec_id", 9, True, pattern=COMMITTEE_ID,
                          check="committee"),
                    _text("donor_committee_name", 200, True))
_COMMITTEE_BENEFICIARY = (_text("beneficiary_committee_fec_id", 9, True, pattern=COMMITTEE_ID,
                                check="committee"),
                          _text("beneficiary_committee_name", 200, True))

#: schema/IN_KIND_RECEIPT.json — "In-Kind Receipt (11a)", individuals only.
IN_KIND_RECEIPT = TransactionType(
    "IN_KIND_RECEIPT", "schema/IN_KIND_RECEIPT.json", "A", "IND",
    _common("IN_KIND_RECEIPT", "IND", False) + _person("contributor") + _address("contributor")
    + _ELECTION + _RECEIPT
    + (_text("contributor_employer", 38), _text("contributor_occupation", 38)) + _MEMO,
    f3x_form_types=("SA11AI", "SA11AII"))

#: schema/IN_KIND_OUT.json — "In-Kind Out (line 21b)", the receipt's Schedule B counterpart.
IN_KIND_OUT = TransactionType(
    "IN_KIND_OUT", "schema/IN_KIND_OUT.json", "B", "IND",
    _common("IN_KIND_OUT", "IND", True) + _person("payee") + _address("payee") + _ELECTION
    + _OUT + (Rule("aggregate_amount", True, kind="amount"),
              Rule("aggregation_group", True, const="GENERAL_DISBURSEMENT"),
              _text("category_code", 3)) + _MEMO,
    f3x_form_types=("SB21B",), back_reference_sched_names=("SA11AI", "SA11AII"))


def _committee_receipt(identifier: str, line: str) -> TransactionType:
    """schema/COM_IN_KIND_RECEIPTS.json — Party In-Kind (11b), PAC In-Kind (11c)."""
    return TransactionType(
        identifier, "schema/COM_IN_KIND_RECEIPTS.json", "A", "COM",
        _common(identifier, "COM", False) + (_text("contributor_organization_name", 200, True),)
        + _address("contributor") + _ELECTION + _RECEIPT + _COMMITTEE_DONOR + _MEMO,
        f3x_form_types=(line,))


def _committee_out(identifier: str) -> TransactionType:
    """schema/COM_IN_KIND_OUTS.json — PAC / Party In-Kind Out (line 21b)."""
    return TransactionType(
        identifier, "schema/COM_IN_KIND_OUTS.json", "B", "COM",
        _common(identifier, "COM", True) + (_text("payee_organization_name", 200, True),)
        + _address("payee") + _ELECTION + _OUT
        + (Rule("aggregation_group", True, const="GENERAL_DISBURSEMENT"),
           _text("category_code", 3)) + _COMMITTEE_BENEFICIARY + _MEMO,
        f3x_form_types=("SB21B",))


PAC_IN_KIND_RECEIPT = _committee_receipt("PAC_IN_KIND_RECEIPT", "SA11C")
PARTY_IN_KIND_RECEIPT = _committee_receipt("PARTY_IN_KIND_RECEIPT", "SA11B")
PAC_IN_KIND_OUT = _committee_out("PAC_IN_KIND_OUT")
PARTY_IN_KIND_OUT = _committee_out("PARTY_IN_KIND_OUT")

#: Receipt and Schedule B counterpart per contributor entity (the rule set's entity types).
PAIRS: dict[str, tuple[TransactionType, TransactionType]] = {
    "IND": (IN_KIND_RECEIPT, IN_KIND_OUT),
    "PAC": (PAC_IN_KIND_RECEIPT, PAC_IN_KIND_OUT),
    "PTY": (PARTY_IN_KIND_RECEIPT, PARTY_IN_KIND_OUT),
}
TYPES = {t.identifier: t for pair in PAIRS.values() for t in pair}


def _ordered(names) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name)
    return list(seen)


#: One column set per schedule: every field any Schedule A (B) type we emit has.
SCHEDULE_A_COLUMNS = _ordered(n for t in TYPES.values() if t.schedule == "A" for n in t.columns)
SCHEDULE_B_COLUMNS = _ordered(n for t in TYPES.values() if t.schedule == "B" for n in t.columns)
#: The file's header: Schedule A's columns, then those only Schedule B has.
COLUMNS = _ordered(SCHEDULE_A_COLUMNS + SCHEDULE_B_COLUMNS)


def _amount_problem(value: str) -> str | None:
    if not AMOUNT.match(value):
        return "is not a number with at most two decimals"
    try:
        number = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern already refuses it
        return "is not a number"
    if not AMOUNT_MIN <= number <= AMOUNT_MAX:
        return "is out of the FEC's range"
    return None


def _field_problem(rule: Rule, value: str) -> str | None:
    if rule.const is not None:
        return None if value == rule.const else f"must be {rule.const!r}"
    if not PRINTABLE.match(value):
        return "holds characters other than printable ASCII"
    if rule.max_length is not None and len(value) > rule.max_length:
        return f"is longer than {rule.max_length} characters"
    if rule.kind == "amount":
        return _amount_problem(value)
    if rule.pattern is not None and not rule.pattern.match(value):
        return "is not in the FEC's format"
    if rule.check == "state" and value not in US_STATES:
        return "is not a US state code"
    if rule.check == "zip" and not ZIP.match(value):
        return "is not a 5- or 9-digit ZIP code"
    if rule.check == "committee" and not COMMITTEE_ID_STRICT.match(value):
        return "is not a committee id (C and eight digits)"
    return None


def problems(row: dict, kind: TransactionType, *, form: str, form_type: str,
             employer_above: Decimal | None = None) -> list[str]:
    """What is wrong with ``row`` as a ``kind`` transaction on ``form``; [] when it is valid.

    ``form_type`` is the line code the row must carry (the rule set's, for ``form``).
    ``employer_above``: IN_KIND_RECEIPT's ``allOf`` requires employer and occupation above
    this aggregate (the schema's is the itemisation threshold; give the rule set's).
    """
    found = []
    for rule in kind.rules:
        value = row.get(rule.name)
        value = "" if value is None else str(value)
        if value == "":
            if rule.required:
                found.append(f"{rule.name} is required")
            continue
        problem = _field_problem(rule, value)
        if problem:
            found.append(f"{rule.name} {problem}")
    extra = set(row) - set(kind.columns)
    if any(row.get(name) not in (None, "") for name in extra):
        found.append(f"fields not in {kind.schema}: {', '.join(sorted(extra))}")
    transaction_id = row.get("transaction_id") or ""
    if transaction_id != transaction_id.upper():
        found.append("transaction_id must be upper case")
    if row.get("form_type") != form_type:
        found.append(f"form_type must be {form_type} on {form}")
    if form == "F3X" and kind.f3x_form_types and row.get("form_type") not in kind.f3x_form_types:
        found.append(f"form_type must be one of {', '.join(kind.f3x_form_types)}")
    if (form == "F3X" and kind.back_reference_sched_names
            and row.get("back_reference_sched_name") not in kind.back_reference_sched_names):
        found.append("back_reference_sched_name must be one of "
                     + ", ".join(kind.back_reference_sched_names))
    if (kind.identifier == "IN_KIND_RECEIPT" and employer_above is not None
            and not _amount_problem(str(row.get("contribution_aggregate") or "x"))):
        if Decimal(row["contribution_aggregate"]) > employer_above:
            for name in ("contributor_employer", "contributor_occupation"):
                if not row.get(name):
                    found.append(f"{name} is required above a ${employer_above} aggregate")
    return found
