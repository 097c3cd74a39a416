"""Small pieces every blueprint's views share."""
from flask import abort, flash, render_template

from ..security import can_change

from ..extensions import db
from ..services.errors import DomainError


def show_error(form, exc: DomainError) -> None:
    """Undo the failed change, then show the service's message beside its field (or as a flash)."""
    db.session.rollback()
    if not form.apply_domain_error(exc):
        flash(exc.message, "error")


def changers_only() -> None:
    """For pages that are one form: a read-only visitor gets 403 on the GET already, not a
    form that fails only once submitted."""
    if not can_change():
        abort(403, "Your account's role may look but not change.")


def confirm_page(*, title: str, consequences: list[str], action: str, button: str,
                 back: str, fields: dict | None = None):
    """The page a destructive action shows first: what will happen, then one button that does
    it (a plain form: no JavaScript needed) and a way back. Only for those who may change
    things here (a read-only visitor gets 403, not a button that would fail)."""
    from ..forms import ConfirmForm
    changers_only()
    return render_template("confirm.html", title=title, consequences=consequences,
                           action=action, button=button, back=back, fields=fields or {},
                           form=ConfirmForm())


def already_saved(form, kind: str) -> int | None:
    """The record this very rendered form made before (sent twice), if any."""
    from ..services import once
    return once.already(db.session, form.once.data, kind)


def commit_once(form, kind: str, record, *, shown):
    """Commit ``record``, just added (flushed) from ``form``, as that form's only record: if
    another copy of the same rendered form was saved first (double click, retry, two copies at
    once), roll back and answer ``shown(its record id, again=True)``; else
    ``shown(record id, again=False)``. Callers answer ``already_saved`` first."""
    from sqlalchemy.exc import IntegrityError

    from ..services import once
    record_id = record.id
    try:
        once.remember(db.session, form.once.data, kind, record_id)  # flushes: may clash too
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the token is unique: the other copy committed first
        made = once.already(db.session, form.once.data, kind)
        if made is None:
            raise
        return shown(made, again=True)
    return shown(record_id, again=False)
