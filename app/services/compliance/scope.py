"""What a disclosure covers: the whole deployment, one state, one payer or one volunteer.

One vocabulary for the JSON API, the reports, the command line and a volunteer's statement.
``resolve`` checks what a person or a client gives and returns a ``Scope``;
``build_disclosure`` narrows the data by it, and a Report row stores its ``kind`` and
``value``. The disclosure's ``"scope"`` entry (``Scope.as_json``) is part of the data's
fingerprint, so its shape never changes: reports issued before must still verify as
"data unchanged".
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ...models import Cost, Deployment, Payer, Placement, ReportScope, Signup, User, Volunteer
from ..errors import NotFound, ValidationFailed
from ..paging import MAX_ID, is_whole
from ..validation import state_code


@dataclass(frozen=True)
class Scope:
    kind: ReportScope
    #: The state code, payer id or volunteer id, as stored in ``Report.scope_value``.
    value: str | None
    label: str
    #: A payer scope's payer, by name: the disclosure's scope entry names it.
    payer_name: str | None = None
    #: A volunteer scope's person: a statement may hold nobody else's lines.
    volunteer_email: str | None = None

    @property
    def id(self) -> int | None:
        """The payer's or volunteer's id (None for a deployment or state scope)."""
        if self.kind in (ReportScope.PAYER, ReportScope.VOLUNTEER):
            return int(self.value)
        return None

    @property
    def state(self) -> str | None:
        """A state scope's state code; None for the no-state scope (and other kinds)."""
        if self.kind is ReportScope.STATE and self.value != NO_STATE:
            return self.value
        return None

    def as_json(self, deployment: Deployment) -> dict:
        """The disclosure's ``"scope"`` entry (inside the fingerprint: keep it as it is)."""
        if self.kind is ReportScope.DEPLOYMENT:
            return {"kind": "deployment", "value": deployment.slug}
        if self.kind is ReportScope.STATE:
            return {"kind": "state", "value": self.value}
        if self.kind is ReportScope.PAYER:
            return {"kind": "payer", "value": self.id, "name": self.payer_name}
        return {"kind": "volunteer", "value": self.id}


WHOLE = Scope(ReportScope.DEPLOYMENT, None, "Whole deployment")


def resolve(session: Session, deployment: Deployment, *, state=None, payer=None,
            volunteer=None, payer_id=None, volunteer_id=None) -> Scope:
    """Check one optional narrowing and say what it means; nothing (or blanks) given: the
    whole deployment.

    The browser and the command line give ``state`` (a USPS code), ``payer`` (an id or the
    exact name) or ``volunteer`` (an id or an email). The API's query gives ``state``,
    ``payer_id`` or ``volunteer_id`` (ids only; its error messages are its own, unchanged).

    :raises ValidationFailed: more than one narrowing, or a malformed value
    :raises NotFound: no such payer or volunteer in this deployment
    """
    given = [(name, str(value).strip()) for name, value in (
        ("state", state), ("payer", payer), ("volunteer", volunteer), ("payer_id", payer_id),
        ("volunteer_id", volunteer_id)) if value is not None and str(value).strip()]
    if len(given) > 1:
        raise ValidationFailed("Choose one scope: a state, a payer or a volunteer, not several.",
                               field="scope")
    if not given:
        return WHOLE
    name, raw = given[0]
    return _PARSERS[name](session, deployment, raw)


def from_report(session: Session, deployment: Deployment, kind: ReportScope,
                value: str | None) -> Scope:
    """The scope a stored report was made for, resolved again today.

    :raises NotFound: its payer or volunteer is no longer part of the deployment
    """
    if kind is ReportScope.DEPLOYMENT:
        return WHOLE
    return resolve(session, deployment, **{kind.value: value or ""})


def for_volunteer(session: Session, deployment: Deployment, volunteer: Volunteer) -> Scope:
    """A volunteer's own statement.

    :raises NotFound: the volunteer has no sign-up and no cost line in this deployment
    """
    return _volunteer(session, deployment, str(volunteer.id))


def check_placement(session: Session, deployment: Deployment, scope: Scope) -> None:
    """A report of a state is made only where the deployment has spots (a mistyped code,
    most likely, otherwise). The API answers such a state with an empty disclosure instead.

    :raises NotFound: the deployment has no placement in the scope's state
    """
    if scope.kind is not ReportScope.STATE or scope.value == NO_STATE:
        return
    found = session.scalar(select(Placement.id).where(Placement.deployment_id == deployment.id,
                                                      Placement.state_code == scope.value))
    if found is None:
        raise NotFound(f"{deployment.name} has no placement in {scope.value}.", field="state")


#: The state scope of volunteers without a sign-up (so without a state): with the states, it
#: makes up the whole deployment.
NO_STATE = "none"
_NO_STATE_WORDS = {"none", "no state", "no-state", "-"}


def _state(session: Session, deployment: Deployment, raw: str) -> Scope:
    if raw.lower() in _NO_STATE_WORDS:
        return Scope(ReportScope.STATE, NO_STATE, "No state (volunteers without a sign-up)")
    code = state_code(raw)
    return Scope(ReportScope.STATE, code, f"State {code}")


def _payer_scope(payer: Payer) -> Scope:
    return Scope(ReportScope.PAYER, str(payer.id), f"Payer {payer.name}", payer_name=payer.name)


def _payer(session: Session, deployment: Deployment, raw: str) -> Scope:
    query = select(Payer).where(Payer.deployment_id == deployment.id)
    if is_whole(raw):
        # a number no id can be (too big for the column) is simply no payer
        query = query.where(Payer.id == (int(raw) if int(raw) <= MAX_ID else -1))
    else:
        query = query.where(Payer.name == raw)
    payer = session.scalar(query)
    if payer is None:
        raise NotFound(f"{deployment.name} has no payer {raw!r}.", field="payer")
    return _payer_scope(payer)


def _payer_id(session: Session, deployment: Deployment, raw: str) -> Scope:
    if not is_whole(raw):
        raise ValidationFailed("The payer id must be a whole number.", field="payer_id")
    payer = session.get(Payer, int(raw)) if int(raw) <= MAX_ID else None
    if payer is None or payer.deployment_id != deployment.id:
        raise NotFound("That payer is not in this deployment.", field="payer_id")
    return _payer_scope(payer)


def _involved(session: Session, deployment: Deployment, person: Volunteer | None) -> bool:
    """Has a sign-up or a cost line in the deployment."""
    return person is not None and bool(session.scalar(select(
        exists().where(Signup.deployment_id == deployment.id, Signup.volunteer_id == person.id)
        | exists().where(Cost.deployment_id == deployment.id, Cost.volunteer_id == person.id))))


def _volunteer_scope(person: Volunteer) -> Scope:
    return Scope(ReportScope.VOLUNTEER, str(person.id),
                 f"Volunteer {person.user.full_name} <{person.user.email}>",
                 volunteer_email=person.user.email)


def _volunteer(session: Session, deployment: Deployment, raw: str) -> Scope:
    query = select(Volunteer).join(User, Volunteer.user_id == User.id)
    if is_whole(raw):
        query = query.where(Volunteer.id == (int(raw) if int(raw) <= MAX_ID else -1))
    elif "@" in raw:
        query = query.where(User.email == raw.lower())
    else:
        raise ValidationFailed(f"{raw!r} is neither a volunteer's number nor an email address.",
                               field="volunteer")
    person = session.scalar(query)
    if not _involved(session, deployment, person):
        raise NotFound(f"No volunteer {raw!r} in {deployment.name}.", field="volunteer")
    return _volunteer_scope(person)


def _volunteer_id(session: Session, deployment: Deployment, raw: str) -> Scope:
    if not is_whole(raw):
        raise ValidationFailed("The volunteer id must be a whole number.", field="volunteer_id")
    person = session.get(Volunteer, int(raw)) if int(raw) <= MAX_ID else None
    if not _involved(session, deployment, person):
        raise NotFound("That volunteer has no sign-up or cost line in this deployment.",
                       field="volunteer_id")
    return _volunteer_scope(person)


_PARSERS = {"state": _state, "payer": _payer, "volunteer": _volunteer, "payer_id": _payer_id,
            "volunteer_id": _volunteer_id}
