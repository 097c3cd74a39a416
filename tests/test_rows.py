"""Rows written without a flush (the claim's hot path) look exactly like flushed ones."""
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Finding, Notification, Signup, SignupStatus
from app.services import audit

from . import signup_builders as b


def _create_event(table: str, row_id: int) -> AuditEvent:
    return db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "create", AuditEvent.entity_type == table,
        AuditEvent.entity_id == str(row_id)))


def test_a_claim_is_audited_and_classified_as_if_flushed(app):
    with app.app_context():
        dep = b.deployment(spots={"NC": 1})
        first, second = b.volunteer(), b.volunteer()
        claimed = b.claim(dep, first, role="manager", override_reason="Runs the NC office")
        waiting = b.claim(dep, second)
        # Usable straight away, without a query: ids, relations, waitlist position.
        assert claimed.signup.id and claimed.signup.placement.state_code == "NC"
        assert waiting.signup.status is SignupStatus.WAITLISTED and waiting.position == 1
        ids = (claimed.signup.id, waiting.signup.id)
        db.session.commit()
        db.session.expunge_all()

        for signup_id in ids:
            stored = db.session.get(Signup, signup_id)
            # The same snapshot the ORM's flush listener would have written.
            assert _create_event("signups", signup_id).data == audit._snapshot(stored)
            message = db.session.scalar(select(Notification).where(
                Notification.signup_id == signup_id))
            assert _create_event("notifications", message.id).data == audit._snapshot(message)
        assert "position 1" in db.session.scalar(select(Notification.subject).where(
            Notification.signup_id == ids[1]))
        # The compliance engine heard about both sign-ups at commit.
        classified = set(db.session.scalars(select(Finding.signup_id).where(
            Finding.signup_id.in_(ids), Finding.is_current.is_(True))))
        assert classified == set(ids)
        assert audit.verify_chain(db.session).ok


def test_a_rolled_back_claim_leaves_nothing_behind_in_the_session(app):
    """SQLite reuses the id of a rolled-back row: the next claim in the same session (an
    import's dry run, then the real thing) must not trip over a leftover object."""
    with app.app_context():
        dep = b.deployment(spots={"NC": 2})
        first, second = b.volunteer(), b.volunteer()
        db.session.commit()
        gone = b.claim(dep, first).signup
        db.session.rollback()
        assert gone not in db.session
        kept = b.claim(dep, second).signup
        db.session.commit()
        assert db.session.get(Signup, kept.id).volunteer_id == second.id
        assert db.session.scalar(select(Signup.id).where(Signup.volunteer_id == first.id)) is None
