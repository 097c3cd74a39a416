"""Reading a value of one of the domain's closed vocabularies (app/models/enums.py).

Forms, imports, the API and the CLI all hand services text; this turns it into the enum member,
or says what the allowed values are, naming the field.
"""
from __future__ import annotations

from enum import Enum
from typing import TypeVar

from .errors import DomainError, ValidationFailed

E = TypeVar("E", bound=Enum)


def parse(enum_cls: type[E], raw, *, field: str, what: str, case: str | None = None,
          error: type[DomainError] = ValidationFailed) -> E:
    """``enum_cls`` member for ``raw`` (already a member, or its value as text).

    ``case`` "upper" or "lower" folds the text first, for vocabularies people type by hand.

    :raises error: (ValidationFailed by default) ``raw`` is none of the values
    """
    if isinstance(raw, enum_cls):
        return raw
    text = str(raw if raw is not None else "").strip()
    if case == "upper":
        text = text.upper()
    elif case == "lower":
        text = text.lower()
    try:
        return enum_cls(text)
    except ValueError:
        raise error(f"{raw!r} is not {_article(what)} {what}; use one of {allowed(enum_cls)}.",
                    field=field) from None


def parse_optional(enum_cls: type[E], raw, **kwargs) -> E | None:
    """As ``parse``, but blank (None or empty text) means not given."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return parse(enum_cls, raw, **kwargs)


def allowed(enum_cls: type[Enum]) -> str:
    return ", ".join(str(member.value) for member in enum_cls)


def _article(what: str) -> str:
    return "an" if what[:1].lower() in "aeiou" else "a"
