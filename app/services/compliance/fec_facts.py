"""The facts the FEC export needs that the ledger did not keep: addresses and committee ids.

A payer gets a postal address (street, city, state, ZIP) and, for a political or party
committee, its FEC committee id; a deployment gets the FEC id of the committee that files
(the receiving committee). All are optional: the export lists a row without them as
incomplete. What is given is checked here, for forms, imports and the CLI alike.
"""
from __future__ import annotations

import re

from sqlalchemy.orm import Session

from ...models import Deployment, Payer, User
from .. import audit
from ..errors import ValidationFailed
from ..validation import US_STATES
from .fec_schema import COMMITTEE_ID_STRICT

_LENGTHS = {"street_1": 34, "street_2": 34, "city": 30}
_LABELS = {"street_1": "Street", "street_2": "Street, second line", "city": "City"}


def committee_id(raw: str | None, *, field: str) -> str | None:
    """``C00123456`` (upper-cased), or None for blank.

    :raises ValidationFailed: not "C" and eight digits
    """
    value = (raw or "").strip().upper()
    if not value:
        return None
    if not COMMITTEE_ID_STRICT.match(value):
        raise ValidationFailed(f"{raw!r} is not an FEC committee id: C and eight digits, "
                               "e.g. C00123456.", field=field)
    return value


def zip_code(raw: str | None) -> str | None:
    """Five or nine digits (``27701``, ``27701-1234`` is kept as ``277011234``), or None.

    :raises ValidationFailed: anything else
    """
    value = (raw or "").strip()
    if not value:
        return None
    digits = value.replace("-", "") if re.fullmatch(r"\d{5}-\d{4}", value) else value
    if not re.fullmatch(r"\d{5}|\d{9}", digits):
        raise ValidationFailed(f"{raw!r} is not a ZIP code: 5 digits, or 9 (27701-1234).",
                               field="zip")
    return digits


def state(raw: str | None) -> str | None:
    """A USPS state code (upper-cased), or None.

    :raises ValidationFailed: not one of the 50 states or DC
    """
    value = (raw or "").strip().upper()
    if not value:
        return None
    if value not in US_STATES:
        raise ValidationFailed(f"{raw!r} is not a US state code (e.g. NC, PA).", field="state")
    return value


def address(*, street_1=None, street_2=None, city=None, state_code=None, zip_=None) -> dict:
    """The address columns, checked and trimmed (blank becomes None).

    :raises ValidationFailed: a part too long for the FEC, a state or ZIP that is not one
    """
    values = {}
    for name, raw in (("street_1", street_1), ("street_2", street_2), ("city", city)):
        text = " ".join((raw or "").split()) or None
        if text and len(text) > _LENGTHS[name]:
            raise ValidationFailed(f"{_LABELS[name]} holds at most {_LENGTHS[name]} characters "
                                   "(the FEC's limit).", field=name)
        values[name] = text
    values["state"] = state(state_code)
    values["zip"] = zip_code(zip_)
    if values["street_2"] and not values["street_1"]:
        raise ValidationFailed("Give the first street line before the second.", field="street_1")
    return values


def set_payer_fec_facts(session: Session, payer: Payer, *, actor: User | None,
                        street_1=None, street_2=None, city=None, state_code=None, zip_=None,
                        fec_committee_id=None) -> Payer:
    """Record a payer's postal address and FEC committee id (blank clears them).

    :raises ValidationFailed: see :func:`address` and :func:`committee_id`
    """
    audit.act_as(session, actor)
    values = address(street_1=street_1, street_2=street_2, city=city, state_code=state_code,
                     zip_=zip_)
    values["fec_committee_id"] = committee_id(fec_committee_id, field="fec_committee_id")
    for name, value in values.items():
        if getattr(payer, name) != value:
            setattr(payer, name, value)
    session.flush()
    return payer


def set_committee_fec_id(session: Session, deployment: Deployment, raw: str | None, *,
                         actor: User | None) -> Deployment:
    """Record the FEC id of the committee that files for ``deployment`` (blank clears it).

    :raises ValidationFailed: not C and eight digits
    """
    audit.act_as(session, actor)
    value = committee_id(raw, field="committee_fec_id")
    if deployment.committee_fec_id != value:
        deployment.committee_fec_id = value
    session.flush()
    return deployment
