"""One page of a longer list, cut the same way everywhere (shown by ``templates/_pager.html``).

A list page runs two queries whatever the size of the list: a count and one page of rows.
Page numbers come from query strings: anything that is not a sensible number is the first
page, and a number past the end is the last page, never an error.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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


def page_number(raw) -> int:
    """A page number from a query string; anything odd means the first page."""
    text = str(raw or "")
    return int(text) if text.isdigit() and 0 < int(text) < 10**6 else 1


# -- reading a list's query string: a value that makes no sense is no filter, never an error
def id_arg(raw) -> int | None:
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) < 12 else None


def choice_arg(raw, allowed) -> str | None:
    return raw if raw in allowed else None


def date_arg(raw) -> date | None:
    try:
        return date.fromisoformat(str(raw or ""))
    except ValueError:
        return None


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
