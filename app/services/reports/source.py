"""Where a report's data comes from: the compliance engine's ``build_disclosure``.

The report never reads the ledger itself; it shows exactly what the engine (and the
``/api/v1/deployments/SLUG/disclosure`` JSON) says, so the PDF and the API cannot disagree.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from ...models import Deployment
from ..compliance.disclosure import build_disclosure
from ..compliance.scope import Scope


class ScopeLeak(RuntimeError):
    """The data holds lines outside the requested scope: refuse rather than disclose them."""


def load(session: Session, deployment: Deployment, scope: Scope) -> dict:
    """The disclosure for ``scope``, checked to hold nothing outside it.

    :raises ScopeLeak: a volunteer's statement would show someone else's lines
    """
    disclosure = build_disclosure(session, deployment, scope)
    check_scope(disclosure, scope)
    return disclosure


def check_scope(disclosure: dict, scope: Scope) -> None:
    """A volunteer's statement must hold only that volunteer's lines, whatever the engine does."""
    if scope.volunteer_email is None:
        return
    own = scope.volunteer_email.lower()
    for part in ("items", "roles", "volunteers"):
        for row in disclosure.get(part, ()):
            if (row.get("volunteer_email") or "").lower() != own:
                raise ScopeLeak(f"the disclosure for {own} holds a {part} line of someone else")
