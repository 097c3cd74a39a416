"""What a report covers: the whole deployment, one state, one payer or one volunteer."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ...models import (Cost, Deployment, Payer, Placement, ReportScope, Signup, User,
                       Volunteer)
from ..errors import NotFound, ValidationFailed
from ..validation import state_code


@dataclass(frozen=True)
class Scope:
    """A resolved scope: what to store on the Report row and what to ask the engine for."""
    kind: ReportScope
    #: State code, payer id or volunteer id, as stored in ``Report.scope_value``.
    value: str | None
    label: str
    #: Keyword arguments for ``build_disclosure``.
    build_kwargs: dict = field(default_factory=dict)
    #: For a volunteer's statement: the only person whose lines may appear in it.
    volunteer_email: str | None = None

    @property
    def slug_part(self) -> str:
        """For file names: ``deployment``, ``state-NC``, ``payer-3``, ``volunteer-12``."""
        return self.kind.value if self.value is None else f"{self.kind.value}-{self.value}"


WHOLE = "Whole deployment"


def resolve(session: Session, deployment: Deployment, *, state: str | None = None,
            payer: str | None = None, volunteer: str | None = None) -> Scope:
    """Check one optional narrowing of the report and say what it means.

    ``payer`` is a payer's id or exact name; ``volunteer`` a volunteer's id or email.

    :raises ValidationFailed: more than one narrowing, or a malformed value
    :raises NotFound: no such state placement, payer or volunteer in this deployment
    """
    given = {k: v.strip() for k, v in (("state", state), ("payer", payer),
                                        ("volunteer", volunteer)) if v and v.strip()}
    if len(given) > 1:
        raise ValidationFailed("Choose one scope: a state, a payer or a volunteer, not several.",
                               field="value")
    if not given:
        return Scope(ReportScope.DEPLOYMENT, None, WHOLE)
    kind, raw = next(iter(given.items()))
    if kind == "state":
        return _state(session, deployment, raw)
    if kind == "payer":
        return _payer(session, deployment, raw)
    return _volunteer(session, deployment, raw)


def from_report(session: Session, deployment: Deployment, kind: ReportScope,
                value: str | None) -> Scope:
    """The scope a stored report was made for, resolved again today."""
    if kind is ReportScope.DEPLOYMENT:
        return Scope(ReportScope.DEPLOYMENT, None, WHOLE)
    return resolve(session, deployment, **{kind.value: value or ""})


def for_volunteer(session: Session, deployment: Deployment, volunteer: Volunteer) -> Scope:
    """A volunteer's own statement.

    :raises NotFound: the volunteer has no sign-up and no cost line in this deployment
    """
    return _volunteer(session, deployment, str(volunteer.id))


def _state(session: Session, deployment: Deployment, raw: str) -> Scope:
    try:
        code = state_code(raw)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="value") from None
    found = session.scalar(select(Placement.id).where(Placement.deployment_id == deployment.id,
                                                      Placement.state_code == code))
    if found is None:
        raise NotFound(f"{deployment.name} has no placement in {code}.", field="value")
    return Scope(ReportScope.STATE, code, f"State {code}", {"state": code})


def _payer(session: Session, deployment: Deployment, raw: str) -> Scope:
    query = select(Payer).where(Payer.deployment_id == deployment.id)
    query = query.where(Payer.id == int(raw)) if raw.isdigit() else query.where(Payer.name == raw)
    payer = session.scalar(query)
    if payer is None:
        raise NotFound(f"{deployment.name} has no payer {raw!r}.", field="value")
    return Scope(ReportScope.PAYER, str(payer.id), f"Payer {payer.name}", {"payer_id": payer.id})


def _volunteer(session: Session, deployment: Deployment, raw: str) -> Scope:
    query = select(Volunteer).join(User, Volunteer.user_id == User.id)
    if raw.isdigit():
        query = query.where(Volunteer.id == int(raw))
    elif "@" in raw:
        query = query.where(User.email == raw.lower())
    else:
        raise ValidationFailed(f"{raw!r} is neither a volunteer's number nor an email address.",
                               field="value")
    person = session.scalar(query)
    involved = person is not None and session.scalar(select(
        exists().where(Signup.deployment_id == deployment.id, Signup.volunteer_id == person.id)
        | exists().where(Cost.deployment_id == deployment.id, Cost.volunteer_id == person.id)))
    if not involved:
        raise NotFound(f"No volunteer {raw!r} in {deployment.name}.", field="value")
    return Scope(ReportScope.VOLUNTEER, str(person.id),
                 f"Volunteer {person.user.full_name} <{person.user.email}>",
                 {"volunteer_id": person.id}, volunteer_email=person.user.email)
