"""An FEC-style CSV of reportable in-kind contributions, for an accountant's filing software.

Each ``INKIND_REPORTABLE`` finding becomes a Schedule A receipt (contributor = the payer, or the
volunteer for their own travel above the exemption; purpose "In-Kind: ..."; the contributor's
aggregate for the election; employer and occupation asked for once it passes the itemisation
threshold) and a matching Schedule B expenditure that points back at it. Form line numbers
differ between Form 3, 3P and 3X, so they come from the rule set, like every threshold.
Prohibited contributions are not listed: they are to be refused or refunded, not reported.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Cost, Deployment, Finding, FindingCode, Payer, User, Volunteer
from ..errors import ValidationFailed
from ..money import plain
from .store import active_rule_set
from .sync import flush_pending

COLUMNS = [
    "schedule", "form_type", "line_number", "transaction_id", "back_reference_tran_id",
    "entity_type", "contributor_name", "contributor_street_1", "contributor_city",
    "contributor_state", "contributor_zip", "contributor_country", "contribution_date",
    "contribution_amount", "contribution_aggregate", "contribution_purpose_descrip",
    "contributor_employer", "contributor_occupation", "itemized", "over_limit",
    "payee_name", "expenditure_date", "expenditure_amount", "expenditure_purpose_descrip",
    "election_code", "memo_code", "memo_text_description",
    "tripledger_finding_id", "tripledger_cost_id", "tripledger_rule_id", "volunteer_email",
]
_PURPOSE_MAX = 100  # FEC purpose fields hold 100 characters


def forms(session: Session) -> dict[str, str]:
    """{form type: label} the rule set knows line numbers for."""
    return {key: spec["label"] for key, spec in active_rule_set(session).fec["forms"].items()}


def fec_rows(session: Session, deployment: Deployment, *, form: str | None = None) -> list[dict]:
    """Schedule A and matching Schedule B rows, contributor by contributor, in date order.

    :raises ValidationFailed: a form type the rule set has no line numbers for
    """
    flush_pending(session)
    rs = active_rule_set(session)
    fec = rs.fec
    form = (form or fec["default_form"]).upper()
    if form not in fec["forms"]:
        raise ValidationFailed(f"No line numbers for form {form!r}; choose one of "
                               f"{', '.join(fec['forms'])}.", field="form")
    spec = fec["forms"][form]
    rows = session.execute(
        select(Finding.id, Finding.amount_usd, Finding.rule_id, Finding.facts, Cost.id,
               Cost.incurred_on, Cost.description, Cost.paid_to, Payer.id, Payer.name,
               Payer.kind, Payer.organisation_type, Payer.country, Volunteer.id,
               Volunteer.country, Volunteer.home_organisation, User.full_name, User.email)
        .join(Cost, Cost.id == Finding.cost_id)
        .join(Payer, Payer.id == Cost.payer_id)
        .join(Volunteer, Volunteer.id == Cost.volunteer_id)
        .join(User, User.id == Volunteer.user_id)
        .where(Finding.deployment_id == deployment.id, Finding.is_current.is_(True),
               Finding.code == FindingCode.INKIND_REPORTABLE)
        .order_by(Cost.incurred_on, Cost.id, Finding.id)).all()

    aggregates: dict[tuple, Decimal] = {}
    out = []
    for (finding_id, amount, rule_id, facts, cost_id, day, description, paid_to, payer_id,
         payer_name, kind, org_type, payer_country, volunteer_id, volunteer_country,
         home_org, volunteer_name, volunteer_email) in rows:
        own = kind.value == "SELF"
        contributor = ("volunteer", volunteer_id) if own else ("payer", payer_id)
        name = volunteer_name if own else payer_name
        entity = fec["entity_types"].get(f"{kind.value}:{org_type.value if org_type else ''}") \
            or fec["entity_types"].get(kind.value, "ORG")
        aggregates[contributor] = aggregates.get(contributor, Decimal("0.00")) + amount
        aggregate = aggregates[contributor]
        itemized = aggregate > rs.threshold("itemisation", day).amount
        over = entity == "IND" and aggregate > rs.threshold("individual_limit", day).amount
        label = rs.value_labels.get((facts or {}).get("value"), "thing of value")
        purpose = f"{fec['purpose_prefix']}{label} for volunteer {volunteer_name}"
        if description:
            purpose += f" ({description})"
        purpose = purpose[:_PURPOSE_MAX]
        employer = occupation = ""
        if entity == "IND" and itemized:
            employer = (home_org if own and home_org else fec["information_requested"])
            occupation = fec["information_requested"]
        a_id, b_id = f"TLA{finding_id}", f"TLB{finding_id}"
        common = {"form_type": form, "election_code": deployment.election_code,
                  "tripledger_finding_id": finding_id, "tripledger_cost_id": cost_id,
                  "tripledger_rule_id": rule_id, "volunteer_email": volunteer_email}
        out.append({**common, "schedule": "A", "line_number": spec["schedule_a"].get(entity, ""),
                    "transaction_id": a_id, "entity_type": entity, "contributor_name": name,
                    "contributor_country": (volunteer_country if own else payer_country) or "",
                    "contribution_date": day.isoformat(), "contribution_amount": plain(amount),
                    "contribution_aggregate": plain(aggregate),
                    "contribution_purpose_descrip": purpose, "contributor_employer": employer,
                    "contributor_occupation": occupation, "itemized": "Y" if itemized else "N",
                    "over_limit": "Y" if over else "N"})
        out.append({**common, "schedule": "B", "line_number": spec["schedule_b"],
                    "transaction_id": b_id, "back_reference_tran_id": a_id,
                    "entity_type": entity, "payee_name": name,
                    "expenditure_date": day.isoformat(), "expenditure_amount": plain(amount),
                    "expenditure_purpose_descrip": purpose,
                    "memo_text_description": f"In-kind contribution received ({a_id}); goods or "
                                            f"services from {paid_to or name}."[:_PURPOSE_MAX]})
    return out


def fec_csv(session: Session, deployment: Deployment, *, form: str | None = None) -> str:
    """The rows as CSV text with a header row (every column, blank where it does not apply)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, restval="", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(fec_rows(session, deployment, form=form))
    return buffer.getvalue()
