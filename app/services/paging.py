"""One page of a longer list, cut the same way everywhere (shown by ``templates/_pager.html``).

A list page runs two queries whatever the size of the list: a count and one page of rows.
The query strings of list pages go through the small validators below: a blank value is the
default; a value that makes no sense is a 400 naming the parameter (``BadQuery``, a JSON error
under ``/api/``), never a quiet guess and never a 500 from the database. A page number past
the end is the last page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import DomainError

#: Rows per page unless a list says otherwise.
PER_PAGE = 50


@dataclass
class Page:
    """One page of a longer list: ``items`` and where they stand in it."""
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.page * self.per_page, self.total)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


class BadQuery(DomainError):
    """A query-string value that makes no sense: a 400 that names the parameter, never a 500
    from deeper down (an integer too big for the database, a date that overflows)."""

    code = "bad_query"
    status = 400


#: Pages and ids: ASCII digits only (``str.isdigit`` also takes "²" and "٣", which ``int``
#: refuses or reads). Ids fit the databases' 32-bit integer columns.
_DIGITS = re.compile(r"[0-9]{1,10}")
MAX_PAGE = 999_999
MAX_ID = 2**31 - 1
#: Dates a list can be asked about; outside them date arithmetic overflows (year 1 or 9999).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _shown(raw) -> str:
    """The offending value for a message: short, and with control characters made visible."""
    text = str(raw)
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


def _whole(raw, name: str, low: int, high: int, what: str) -> int | None:
    text = str(raw or "").strip()
    if not text:
        return None
    if not _DIGITS.fullmatch(text) or not low <= int(text) <= high:
        raise BadQuery(f"{name} must be {what} from {low} to {high}, not {_shown(raw)}.",
                       field=name)
    return int(text)


def is_whole(text: str) -> bool:
    """ASCII digits only, and not absurdly many (``str.isdigit`` is true for "²")."""
    return bool(_DIGITS.fullmatch(text))


def page_number(raw, name: str = "page") -> int:
    """A page number from a query string (blank: the first page; past the end: the last).

    :raises BadQuery: not a whole number from 1 to MAX_PAGE
    """
    return _whole(raw, name, 1, MAX_PAGE, "a page number") or 1


def id_arg(raw, name: str = "id") -> int | None:
    """A record's id from a query string (blank: None).

    :raises BadQuery: not a whole number an id can be
    """
    return _whole(raw, name, 1, MAX_ID, "a record number")


def int_arg(raw, name: str, low: int, high: int) -> int | None:
    """:raises BadQuery: not a whole number from ``low`` to ``high``"""
    return _whole(raw, name, low, high, "a whole number")


def choice_arg(raw, allowed, name: str = "value") -> str | None:
    """One of ``allowed`` (blank: None).

    :raises BadQuery: anything else (the message lists the choices when there are few)
    """
    if raw is None or raw == "":
        return None
    if raw in allowed:
        return raw
    choices = sorted(allowed)
    listed = f"one of {', '.join(choices)}" if len(choices) <= 12 else "a value from the list"
    raise BadQuery(f"{name} must be {listed}, not {_shown(raw)}.", field=name)


def date_arg(raw, name: str = "date") -> date | None:
    """A day written YYYY-MM-DD (blank: None).

    :raises BadQuery: another shape, or outside FIRST_DAY … LAST_DAY
    """
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise BadQuery(f"{name} must be a date written YYYY-MM-DD between {FIRST_DAY} and "
                       f"{LAST_DAY}, not {_shown(raw)}.", field=name)
    return day


def flag_arg(raw, name: str, *, yes: str = "1", no: str = "0", default: bool = False) -> bool:
    """:raises BadQuery: neither ``yes`` nor ``no`` (blank: ``default``)"""
    if raw is None or raw == "":
        return default
    if raw in (yes, no):
        return raw == yes
    raise BadQuery(f"{name} must be {yes} or {no}, not {_shown(raw)}.", field=name)


def text_arg(raw, name: str, *, max_length: int = 200) -> str | None:
    """Free text from a query string (a prefilled field, a ``next`` path; blank: None).

    :raises BadQuery: longer than ``max_length`` or holding control characters (a NUL that
        PostgreSQL would refuse deep inside a query)
    """
    if raw is None or raw == "":
        return None
    text = str(raw)
    if len(text) > max_length or _CONTROL.search(text):
        raise BadQuery(f"{name} must be text of at most {max_length} characters without "
                       f"control characters, not {_shown(raw)}.", field=name)
    return text


def paginate(session: Session, stmt, page: int, per_page: int = PER_PAGE, *,
             scalars: bool = False, count=None) -> Page:
    """Count the rows of ``stmt`` and fetch one page of them (the last page, if ``page`` is
    beyond it).

    ``count``: a cheaper statement counting the same rows, when there is one.
    """
    if count is None:
        count = select(func.count()).select_from(stmt.order_by(None).subquery())
    total = session.scalar(count) or 0
    page = min(max(page, 1), max(1, -(-total // per_page)))
    window = stmt.limit(per_page).offset((page - 1) * per_page)
    items = list(session.scalars(window) if scalars else session.execute(window))
    return Page(items, total, page, per_page)
