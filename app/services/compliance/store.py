"""Which rule set is in force, and putting another one in force."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Role, User
from ...models.compliance import RuleSetActivation
from .. import audit
from ..errors import Conflict, PermissionDenied
from .rules import RuleSet, bundled_document, compile_document, default_rule_set, parse_rule_set


def active_activation(session: Session) -> RuleSetActivation | None:
    return session.scalar(select(RuleSetActivation).order_by(RuleSetActivation.id.desc())
                          .limit(1))


_CACHE = "compliance_rule_set"
_LATEST = (select(RuleSetActivation.id, RuleSetActivation.sha256)
           .order_by(RuleSetActivation.id.desc()).limit(1))
#: Compiled rule sets by their SHA-256: an activation's document never changes, and the same
#: rules have the same digest in any database (ids do not: a test database starts anew).
_COMPILED: dict[str, RuleSet] = {}


def active_rule_set(session: Session) -> RuleSet:
    """The rule set findings are computed with: the latest activation, else the bundled default.

    Looked up once per session (a request, a command): pages and commits ask for it many times.
    """
    cached = session.info.get(_CACHE)
    if cached is None:
        latest = session.connection().execute(_LATEST).first()  # every commit asks: keep it light
        if latest is None:
            cached = default_rule_set()
        else:
            if latest.sha256 not in _COMPILED:
                _COMPILED[latest.sha256] = compile_document(
                    session.get(RuleSetActivation, latest.id).document)
            cached = _COMPILED[latest.sha256]
        session.info[_CACHE] = cached
    return cached


def forget_cached(session: Session) -> None:
    """A rollback (hook): a rolled-back activation must not linger."""
    session.info.pop(_CACHE, None)


def activate_rule_set(session: Session, *, actor: User | None, version: str | None = None,
                      document: dict | None = None, note: str = "") -> RuleSetActivation:
    """Put a rule set in force: a bundled ``version``, or a whole ``document``.

    Every finding is recomputed with it when the transaction commits (see ``sync``).

    :raises PermissionDenied: the actor is not an administrator
    :raises ValidationFailed: no such version, or the document does not check
    :raises Conflict: that exact rule set is already in force
    """
    audit.act_as(session, actor)
    if actor is not None and actor.role is not Role.ADMIN:
        raise PermissionDenied("Only an administrator may change the rule set in force.")
    if document is None:
        document = bundled_document(version or "")
    rule_set = parse_rule_set(document)
    if active_rule_set(session).sha256 == rule_set.sha256:
        raise Conflict(f"Rule set {rule_set.version} is already in force.")
    reused = session.scalar(select(RuleSetActivation.id).where(
        RuleSetActivation.version == rule_set.version,
        RuleSetActivation.sha256 != rule_set.sha256).limit(1))
    if reused is not None or (rule_set.version == default_rule_set().version
                              and rule_set.sha256 != default_rule_set().sha256):
        raise Conflict(f"Version {rule_set.version} already names different rules; give the "
                       "new rules a new version.", field="version")
    activation = RuleSetActivation(version=rule_set.version, sha256=rule_set.sha256,
                                   document=document, note=(note or "").strip(),
                                   activated_by_id=actor.id if actor else None)
    session.add(activation)
    session.flush()
    session.info.pop(_CACHE, None)
    audit.record(session, "rule_set.activated", "rule_set_activations", activation.id,
                 {"version": rule_set.version, "sha256": rule_set.sha256})
    return activation
