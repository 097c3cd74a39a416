"""Notifications: kept in the outbox, sent by SMTP when configured."""
from sqlalchemy import select

from app.extensions import db
from app.models import Notification
from app.services import notifications, signups

from .builders import claim_spot, make_organiser, make_signup_deployment, register_volunteer
from .smtp_server import smtp_server


def _every_kind(app):
    """Confirmation, waitlisted, offer, approval, rejection, cancellation: one of each."""
    with app.app_context():
        dep = make_signup_deployment(spots={"NC": 1, "PA": 1}, requires_approval=True)
        org = make_organiser()
        first = claim_spot(dep, register_volunteer(), "NC").signup
        second = claim_spot(dep, register_volunteer(), "NC").signup
        signups.reject(db.session, first, actor=org, reason="Not this time.")
        signups.accept_offer(db.session, second, actor=None)
        signups.approve(db.session, second, actor=org)
        third = claim_spot(dep, register_volunteer(), "PA").signup
        signups.cancel(db.session, third, actor=org, reason="Travel ban.")
        db.session.commit()


def test_without_smtp_messages_wait_in_the_outbox(app, runner):
    _every_kind(app)
    with app.app_context():
        kinds = {n.kind for n in db.session.scalars(select(Notification))}
        assert {"pending_approval", "rejection", "offer", "approval", "cancellation"} <= kinds
        assert all(n.sent_at is None for n in db.session.scalars(select(Notification)))
    assert "sent 0 email(s)" in runner.invoke(args=["jobs", "run"]).output


def test_with_smtp_every_message_is_delivered_once(app, runner):
    _every_kind(app)
    with smtp_server() as (port, received):
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        result = runner.invoke(args=["jobs", "run"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            total = len(db.session.scalars(select(Notification)).all())
            assert all(n.sent_at for n in db.session.scalars(select(Notification)))
        assert len(received) == total
        subjects = [m["Subject"] for m in received]
        assert any("was not approved" in s for s in subjects)
        assert any(m["To"].endswith("@example.org") for m in received)
        again = runner.invoke(args=["jobs", "run"])
        assert "sent 0 email(s)" in again.output and len(received) == total


def test_an_unreachable_smtp_server_keeps_messages_for_later(app):
    _every_kind(app)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    with app.app_context():
        assert notifications.deliver_pending(db.session) == 0
        db.session.commit()
        unsent = db.session.scalars(select(Notification)).all()
        assert all(n.sent_at is None and "SMTP unavailable" in n.last_error for n in unsent)
