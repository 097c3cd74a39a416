"""The session hooks (app/services/hooks.py): one list, told about every row by every path."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Finding, Notification, Signup, SignupStatus
from app.services import audit, hooks

from .builders import (claim_spot, make_organiser, make_signup_deployment, register_volunteer,
                       token_for)
from .conftest import PASSWORD, csrf_token, log_in


@pytest.fixture
def recorder(monkeypatch):
    """A new hook added at the end of the list, as a later feature (webhooks) would add one:
    it notes new sign-ups during a transaction and keeps them only if the transaction commits."""
    seen = {"created": [], "discarded": []}

    def created(session, obj):
        if isinstance(obj, Signup):
            session.info.setdefault("recorder", []).append((obj.id, obj.status.value))

    def committed(session):
        seen["created"] += session.info.pop("recorder", [])

    def discard(session):
        seen["discarded"] += session.info.pop("recorder", [])

    hook = hooks.Hook("test recorder", created=created, committed=committed, discard=discard)
    monkeypatch.setattr(hooks, "HOOKS", [*hooks.HOOKS, hook])
    return seen


def test_a_new_hook_sees_claims_from_the_browser_the_api_and_an_import(app, client, recorder):
    with app.app_context():
        make_signup_deployment(slug="hooked", spots={"NC": 5})
        register_volunteer(email="browser@example.org", password=PASSWORD)
        api_user = register_volunteer(email="api@example.org")
        token = token_for(api_user.user)
        organiser = make_organiser(email="org@example.org")
        from app.services import accounts, deployments, staff
        accounts.set_password(db.session, organiser, PASSWORD, actor=None)
        staff.add_member(db.session, deployments.get_deployment(db.session, "hooked"),
                         organiser, actor=None)
        db.session.commit()
    recorder["created"].clear()

    # The browser: the claim form.
    log_in(client, "browser@example.org")
    form_token = csrf_token(client, "/me/deployments/hooked/claim")
    answer = client.post("/me/deployments/hooked/claim",
                         data={"csrf_token": form_token, "state": "NC", "role": "canvasser"})
    assert answer.status_code == 302
    assert len(recorder["created"]) == 1

    # The API.
    answer = client.post("/api/v1/deployments/hooked/placements/NC/claims", json={},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.get_json()
    assert len(recorder["created"]) == 2

    # An import in the browser (upload, preview, confirm): its claims go through the same path.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/me/")})
    log_in(client, "org@example.org")
    csv_text = ("full_name,email,citizenship,country,home_organisation,affiliation,state,role,"
                "arrive_on,depart_on,leave_type,role_override_reason\n"
                "Imp Orted,imported@example.org,US_CITIZEN,US,,none,NC,driver,,,,\n")
    upload_token = csrf_token(client, "/organiser/deployments/hooked/volunteers/import")
    import io
    preview = client.post("/organiser/deployments/hooked/volunteers/import",
                          data={"csrf_token": upload_token,
                                "file": (io.BytesIO(csv_text.encode()), "volunteers.csv")})
    assert preview.status_code == 302, preview.get_data(as_text=True)
    confirmed = client.post(preview.location, data={"csrf_token": upload_token})
    assert confirmed.status_code == 302

    with app.app_context():
        stored = sorted((row.id, row.status.value) for row in db.session.scalars(select(Signup)))
    # Every committed claim was seen once, with its id and status; the import's dry run (the
    # claims really ran for the preview, then rolled back) was seen and discarded with it.
    assert sorted(recorder["created"]) == stored and len(stored) == 3
    assert (3, "confirmed") in recorder["discarded"]


def test_hooks_run_in_the_documented_order():
    names = [hook.name for hook in hooks.HOOKS]
    # Findings first, the audit chain after them: it records what the hooks before it wrote
    # and takes the last lock of the transaction.
    assert names.index("findings") < names.index("audit chain")
    assert all(hook.before_commit is None for hook in hooks.HOOKS[names.index("audit chain") + 1:])


def test_on_commit_callbacks_run_after_a_commit_and_never_after_a_rollback(app):
    ran = []
    with app.app_context():
        dep = make_signup_deployment(spots={"NC": 1})
        hooks.on_commit(db.session, lambda: ran.append("rolled back"))
        db.session.rollback()
        dep = make_signup_deployment(spots={"NC": 1})
        slug = dep.slug

        def after():
            # The data is really there: another connection sees it.
            with db.engine.connect() as conn:
                ran.append(conn.execute(select(AuditEvent.seq).where(
                    AuditEvent.entity_type == "deployments")).first() is not None)
        hooks.on_commit(db.session, after)
        assert ran == []
        db.session.commit()
        assert slug
    assert ran == [True]


def test_a_failing_callback_does_not_undo_the_commit(app, caplog):
    with app.app_context():
        dep = make_signup_deployment(spots={"NC": 1})
        slug = dep.slug
        hooks.on_commit(db.session, lambda: 1 / 0)
        db.session.commit()
        from app.models import Deployment
        assert db.session.scalar(select(Deployment.id).where(Deployment.slug == slug))
    assert "after-commit callback" in caplog.text


# -- the fast insert path (claims): rows written without a flush look exactly like flushed ones
def _create_event(table: str, row_id: int) -> AuditEvent:
    return db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "create", AuditEvent.entity_type == table,
        AuditEvent.entity_id == str(row_id)))


def test_a_claim_is_audited_and_classified_as_if_flushed(app):
    with app.app_context():
        dep = make_signup_deployment(spots={"NC": 1})
        first, second = register_volunteer(), register_volunteer()
        claimed = claim_spot(dep, first, role="manager", override_reason="Runs the NC office")
        waiting = claim_spot(dep, second)
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
        dep = make_signup_deployment(spots={"NC": 2})
        first, second = register_volunteer(), register_volunteer()
        db.session.commit()
        gone = claim_spot(dep, first).signup
        db.session.rollback()
        assert gone not in db.session
        kept = claim_spot(dep, second).signup
        db.session.commit()
        assert db.session.get(Signup, kept.id).volunteer_id == second.id
        assert db.session.scalar(select(Signup.id).where(Signup.volunteer_id == first.id)) is None
