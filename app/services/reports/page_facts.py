"""What a report shows beside the disclosure data: dates, who prepared it, exchange rates,
leave types.

These are read here, not added to the disclosure dict, because the disclosure's fingerprint
must stay what it was for the same data (reports issued before still verify as "data
unchanged"). They are facts of the same moment, read in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Cost, Deployment, ExchangeRate, User, Volunteer


@dataclass
class PageFacts:
    deployment_starts: date | None = None
    deployment_ends: date | None = None
    #: Who prepared the report (a signed-in person, or the name given on the command line).
    prepared_by: str = ""
    #: One row per rate used: currency, rate date, USD per unit, source, lines.
    rates: list[dict] = field(default_factory=list)
    #: volunteer email → leave type value (None: not declared).
    leave: dict[str, str | None] = field(default_factory=dict)


def read(session: Session, deployment: Deployment, disclosure: dict, *,
         prepared_by: str) -> PageFacts:
    """The facts for the report of ``disclosure`` (its lines and people only)."""
    cost_ids = [item["cost_id"] for item in disclosure.get("items") or ()]
    emails = {row.get("volunteer_email") for part in ("items", "roles", "volunteers")
              for row in disclosure.get(part) or ()}
    return PageFacts(deployment.starts_on, deployment.ends_on, prepared_by,
                     _rates(session, deployment, set(cost_ids)), _leave(session, emails))


def _rates(session: Session, deployment: Deployment, cost_ids: set[int]) -> list[dict]:
    """The exchange rates the report's non-USD lines were converted at."""
    rows = session.execute(
        select(Cost.id, Cost.currency, Cost.usd_per_unit, Cost.incurred_on,
               ExchangeRate.rate_on, ExchangeRate.usd_per_unit, ExchangeRate.source)
        .outerjoin(ExchangeRate, ExchangeRate.id == Cost.exchange_rate_id)
        .where(Cost.deployment_id == deployment.id, Cost.currency != "USD"))
    used: dict[tuple, dict] = {}
    for cost_id, currency, own_rate, incurred, rate_on, table_rate, source in rows:
        if cost_id not in cost_ids:
            continue
        if table_rate is not None:
            key = (currency, rate_on, table_rate, source)
        else:
            # A rate given on the line itself (by hand, or by an import's file).
            key = (currency, incurred, own_rate, "given on the line")
        entry = used.setdefault(key, {"currency": currency, "date": key[1].isoformat()
                                      if key[1] else None, "usd_per_unit": key[2],
                                      "source": key[3], "lines": 0})
        entry["lines"] += 1
    return sorted(used.values(), key=lambda r: (r["currency"], r["date"] or "",
                                                r["source"]))


def _leave(session: Session, emails: set[str | None]) -> dict[str, str | None]:
    emails = {e for e in emails if e}
    if not emails:
        return {}
    rows = session.execute(select(User.email, Volunteer.leave_type)
                           .join(Volunteer, Volunteer.user_id == User.id)
                           .where(User.email.in_(emails)))
    return {email: (leave.value if leave is not None else None) for email, leave in rows}
