"""Claiming spots, the waitlist and its offers, approval, withdrawal, moves, capacity."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import (AuditEvent, Citizenship, DeploymentStatus, Notification, Signup,
                        SignupStatus)
from app.models.types import utcnow
from app.services import deployments, signups, spots
from app.services.errors import Conflict, ValidationFailed

from .builders import claim_spot, make_organiser, make_signup_deployment, register_volunteer

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture(autouse=True)
def _counters_agree_with_the_ledger(app_ctx):
    """After every test here, each placement's counters (kept by database triggers) equal a
    count of its sign-ups, whatever the test did: claims, offers, expiry, moves, cancels."""
    yield
    db.session.rollback()
    for row in db.session.execute(text(_LEDGER_VS_COUNTERS)):
        assert (row.held, row.waiting) == (row.ledger_held, row.ledger_waiting), row


_LEDGER_VS_COUNTERS = """
SELECT p.id, p.held, p.waiting,
  (SELECT count(*) FROM signups s WHERE s.placement_id = p.id
     AND s.status IN ('confirmed', 'pending_approval', 'offered')) AS ledger_held,
  (SELECT count(*) FROM signups s WHERE s.placement_id = p.id
     AND s.status = 'waitlisted') AS ledger_waiting
FROM placements p
"""


def _stats(dep, state="NC"):
    return next(p for p in deployments.placement_stats(db.session, dep) if p.state_code == state)


def _count(model=Signup):
    return db.session.scalar(select(func.count()).select_from(model))


def _kinds(vol):
    return [n.kind for n in db.session.scalars(
        select(Notification).where(Notification.user_id == vol.user_id).order_by(Notification.id))]


def test_claim_holds_a_spot_and_the_numbers_come_from_the_ledger():
    dep = make_signup_deployment(spots={"NC": 2})
    vol = register_volunteer()
    result = claim_spot(dep, vol)
    db.session.commit()
    assert result.signup.status is SignupStatus.CONFIRMED and result.position is None
    assert (result.signup.arrive_on, result.signup.depart_on) == (dep.starts_on, dep.ends_on)
    stats = _stats(dep)
    assert (stats.capacity, stats.confirmed, stats.remaining) == (2, 1, 1)
    assert _kinds(vol) == ["confirmation"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "signups", AuditEvent.action == "create")) == 1


def test_a_full_state_puts_claims_on_the_waitlist_in_order():
    dep = make_signup_deployment(spots={"NC": 1})
    claim_spot(dep, register_volunteer())
    second, third = register_volunteer(), register_volunteer()
    assert claim_spot(dep, second).position == 1
    result = claim_spot(dep, third)
    assert result.signup.status is SignupStatus.WAITLISTED and result.position == 2
    assert _stats(dep).waitlisted == 2 and _stats(dep).remaining == 0
    assert _kinds(third) == ["waitlisted"]


def test_without_a_waitlist_a_full_state_refuses_and_writes_nothing():
    dep = make_signup_deployment(spots={"NC": 1}, keeps_waitlist=False)
    claim_spot(dep, register_volunteer())
    db.session.commit()
    before = _count()
    with pytest.raises(signups.PlacementFull, match="full"):
        claim_spot(dep, register_volunteer())
    db.session.rollback()
    assert _count() == before


def test_a_freed_spot_is_offered_to_the_first_in_line_and_accepting_confirms():
    dep = make_signup_deployment(spots={"NC": 1})
    first = claim_spot(dep, register_volunteer()).signup
    waiting = register_volunteer()
    queued = claim_spot(dep, waiting).signup
    behind = claim_spot(dep, register_volunteer()).signup
    signups.withdraw(db.session, first, actor=first.volunteer.user)
    assert queued.status is SignupStatus.OFFERED
    expected = utcnow() + timedelta(hours=48)
    assert abs((queued.offer_expires_at - expected).total_seconds()) < 60
    assert behind.status is SignupStatus.WAITLISTED
    assert _stats(dep).offered == 1 and _stats(dep).remaining == 0   # the offer holds the spot
    signups.accept_offer(db.session, queued, actor=waiting.user)
    db.session.commit()
    assert queued.status is SignupStatus.CONFIRMED and queued.offer_expires_at is None
    assert _kinds(waiting) == ["waitlisted", "offer", "confirmation"]


def test_declining_passes_the_offer_to_the_next_in_line():
    dep = make_signup_deployment(spots={"NC": 1})
    first = claim_spot(dep, register_volunteer()).signup
    offered = claim_spot(dep, register_volunteer()).signup
    nxt = claim_spot(dep, register_volunteer()).signup
    signups.withdraw(db.session, first, actor=None)
    signups.decline_offer(db.session, offered, actor=None)
    assert offered.status is SignupStatus.WITHDRAWN and nxt.status is SignupStatus.OFFERED


def test_offer_window_is_configurable():
    dep = make_signup_deployment(spots={"NC": 1}, offer_hours=6)
    first = claim_spot(dep, register_volunteer()).signup
    offered = claim_spot(dep, register_volunteer()).signup
    signups.withdraw(db.session, first, actor=None)
    assert (offered.offer_expires_at - utcnow()) < timedelta(hours=6, minutes=1)


def _expire(signup):
    signup.offer_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


def test_an_expired_offer_cannot_be_accepted_and_nothing_is_written():
    dep = make_signup_deployment(spots={"NC": 1})
    first = claim_spot(dep, register_volunteer()).signup
    offered = claim_spot(dep, register_volunteer()).signup
    signups.withdraw(db.session, first, actor=None)
    _expire(offered)
    with pytest.raises(signups.OfferExpired, match="expired"):
        signups.accept_offer(db.session, offered, actor=None)
    db.session.rollback()
    assert db.session.get(Signup, offered.id).status is SignupStatus.OFFERED


def test_expiry_happens_when_the_placement_is_next_read(client):
    dep = make_signup_deployment(spots={"NC": 1})
    first = claim_spot(dep, register_volunteer()).signup
    offered = claim_spot(dep, register_volunteer()).signup
    nxt = claim_spot(dep, register_volunteer()).signup
    signups.withdraw(db.session, first, actor=None)
    db.session.commit()
    _expire(offered)
    assert client.get(f"/deployments/{dep.slug}").status_code == 200   # a read, no cron job
    db.session.expire_all()
    assert db.session.get(Signup, offered.id).status is SignupStatus.EXPIRED
    assert db.session.get(Signup, nxt.id).status is SignupStatus.OFFERED
    assert "offer_expired" in _kinds(offered.volunteer)


def test_a_reader_settles_overdue_offers_in_a_transaction_of_its_own():
    """Reading a deployment passes on the spots of offers that ran out, committed on its own
    connection: the reader's transaction stays a read (a GET needs no commit), and rolling it
    back does not undo the settlement. The audit chain names the reader, as before."""
    from app.services import audit
    dep = make_signup_deployment(spots={"NC": 1})
    first = claim_spot(dep, register_volunteer()).signup
    offered = claim_spot(dep, register_volunteer()).signup
    nxt = claim_spot(dep, register_volunteer()).signup
    reader = make_organiser(email="reader@example.org")
    signups.withdraw(db.session, first, actor=None)
    db.session.commit()
    _expire(offered)
    ids = offered.id, nxt.id
    audit.act_as(db.session, reader)
    deployments.get_current(db.session, dep.slug)
    assert not (db.session.new or db.session.dirty or db.session.deleted)
    db.session.rollback()
    statuses = dict(db.session.execute(select(Signup.id, Signup.status)
                                       .where(Signup.id.in_(ids))).all())
    assert statuses == {ids[0]: SignupStatus.EXPIRED, ids[1]: SignupStatus.OFFERED}
    expired = db.session.scalar(select(AuditEvent).where(
        AuditEvent.entity_type == "signups", AuditEvent.entity_id == str(ids[0]),
        AuditEvent.action == "update").order_by(AuditEvent.seq.desc()).limit(1))
    assert expired.actor_label == "reader@example.org"
    assert deployments.get_current(db.session, dep.slug) and \
        spots.has_overdue_offers(db.session, dep.id) is False


def test_expiry_also_runs_from_the_jobs_command(app, runner):
    dep = make_signup_deployment(spots={"NC": 1})
    first = claim_spot(dep, register_volunteer()).signup
    offered = claim_spot(dep, register_volunteer()).signup
    nxt = claim_spot(dep, register_volunteer()).signup
    signups.withdraw(db.session, first, actor=None)
    db.session.commit()
    _expire(offered)
    ids = offered.id, nxt.id
    db.session.remove()
    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0 and "Expired 1 offer(s)" in result.output
    assert db.session.get(Signup, ids[0]).status is SignupStatus.EXPIRED
    assert db.session.get(Signup, ids[1]).status is SignupStatus.OFFERED


def test_approval_mode_holds_the_spot_until_an_organiser_decides():
    dep = make_signup_deployment(spots={"NC": 1}, requires_approval=True)
    org = make_organiser()
    pending = claim_spot(dep, register_volunteer()).signup
    waiting = claim_spot(dep, register_volunteer()).signup
    assert pending.status is SignupStatus.PENDING_APPROVAL and _stats(dep).remaining == 0
    with pytest.raises(ValidationFailed, match="reason"):
        signups.reject(db.session, pending, actor=org, reason="  ")
    signups.reject(db.session, pending, actor=org, reason="No driving licence.")
    assert pending.status is SignupStatus.REJECTED and waiting.status is SignupStatus.OFFERED
    signups.accept_offer(db.session, waiting, actor=None)
    assert waiting.status is SignupStatus.PENDING_APPROVAL   # still needs approval
    signups.approve(db.session, waiting, actor=org)
    assert waiting.status is SignupStatus.CONFIRMED
    assert "rejection" in _kinds(pending.volunteer) and "approval" in _kinds(waiting.volunteer)


def test_foreign_national_in_a_decision_making_role_needs_a_written_override():
    dep = make_signup_deployment(spots={"NC": 2})
    org = make_organiser()
    foreign = claim_spot(dep, register_volunteer(), role="strategy_adviser").signup
    assert foreign.status is SignupStatus.PENDING_APPROVAL   # even without approval mode
    with pytest.raises(signups.OverrideRequired, match="foreign national"):
        signups.approve(db.session, foreign, actor=org)
    signups.approve(db.session, foreign, actor=org,
                    override_reason="Advises on logistics only; counsel consulted.")
    assert foreign.status is SignupStatus.CONFIRMED
    assert foreign.role_override_reason.startswith("Advises") and foreign.role_override_by_id == org.id
    citizen = claim_spot(dep, register_volunteer(Citizenship.US_CITIZEN), role="manager").signup
    assert citizen.status is SignupStatus.CONFIRMED


def test_changing_a_confirmed_foreign_national_to_a_decision_making_role_needs_a_reason():
    dep = make_signup_deployment(spots={"NC": 2})
    org = make_organiser()
    signup = claim_spot(dep, register_volunteer()).signup
    with pytest.raises(signups.OverrideRequired):
        signups.change_role(db.session, signup, "manager", actor=org)
    signups.change_role(db.session, signup, "team_lead", actor=org)
    signups.change_role(db.session, signup, "manager", actor=org, override_reason="Counsel agreed.")
    assert signup.role.value == "manager" and signup.role_override_reason == "Counsel agreed."


def test_moving_respects_both_capacities_and_frees_the_old_spot():
    dep = make_signup_deployment(spots={"NC": 1, "PA": 1})
    org = make_organiser()
    mover = claim_spot(dep, register_volunteer(), "NC").signup
    waiting_nc = claim_spot(dep, register_volunteer(), "NC").signup
    claim_spot(dep, register_volunteer(), "PA")
    db.session.commit()
    with pytest.raises(signups.PlacementFull, match="PA has no free spot"):
        signups.move(db.session, mover, "PA", actor=org)
    db.session.rollback()
    deployments.set_capacity(db.session, dep, "PA", 2, actor=org)
    signups.move(db.session, mover, "PA", actor=org)
    db.session.commit()
    assert mover.placement.state_code == "PA"
    assert db.session.get(Signup, waiting_nc.id).status is SignupStatus.OFFERED
    assert "moved" in _kinds(mover.volunteer)
    with pytest.raises(signups.UnknownState):
        signups.move(db.session, mover, "VA", actor=org)


def test_capacity_raised_offers_new_spots_and_lowering_below_held_is_refused():
    dep = make_signup_deployment(spots={"NC": 1})
    org = make_organiser()
    claim_spot(dep, register_volunteer())
    first, second, third = (claim_spot(dep, register_volunteer()).signup for _ in range(3))
    deployments.set_capacity(db.session, dep, "NC", 3, actor=org)
    assert [s.status for s in (first, second, third)] == \
        [SignupStatus.OFFERED, SignupStatus.OFFERED, SignupStatus.WAITLISTED]
    with pytest.raises(Conflict, match="already has 3 spots held"):
        deployments.set_capacity(db.session, dep, "NC", 2, actor=org)


def test_cancel_with_a_reason_frees_the_spot():
    dep = make_signup_deployment(spots={"NC": 1})
    org = make_organiser()
    held = claim_spot(dep, register_volunteer()).signup
    waiting = claim_spot(dep, register_volunteer()).signup
    with pytest.raises(ValidationFailed):
        signups.cancel(db.session, held, actor=org, reason="")
    signups.cancel(db.session, held, actor=org, reason="Visa refused.")
    assert held.status is SignupStatus.CANCELLED and held.cancel_reason == "Visa refused."
    assert waiting.status is SignupStatus.OFFERED


@pytest.mark.parametrize(("setup", "kwargs", "error", "words"), [
    ("twice", {}, signups.AlreadyClaimed, "already have a sign-up"),
    ("none", {"state": "VA"}, signups.UnknownState, "no spots in 'VA'"),
    ("none", {"state": "ZZ"}, signups.UnknownState, "has: NC, PA"),
    ("none", {"role": "king"}, signups.InvalidRole, "not a role"),
    ("none", {"arrive_on": "2024-10-01"}, signups.InvalidDates, "within NC's window"),
    ("none", {"depart_on": "2024-11-30"}, signups.InvalidDates, "within NC's window"),
    ("none", {"arrive_on": "2024-10-25", "depart_on": "2024-10-22"}, signups.InvalidDates,
     "departure date is before"),
    ("cancelled", {}, signups.ClaimBlocked, "was cancelled .* by an organiser"),
    ("closed", {}, signups.DeploymentClosed, "are closed"),
    ("undeclared", {}, signups.DeclarationRequired, "Declare your citizenship"),
])
def test_bad_claims_are_refused_and_write_nothing(setup, kwargs, error, words):
    from datetime import date
    dep = make_signup_deployment(spots={"NC": 3, "PA": 3})
    vol = register_volunteer(declared=setup != "undeclared")
    if setup == "twice":
        claim_spot(dep, vol, "PA")
    if setup == "cancelled":
        signups.cancel(db.session, claim_spot(dep, vol).signup, actor=None, reason="Visa refused.")
    if setup == "closed":
        dep.status = DeploymentStatus.CLOSED
    db.session.commit()
    before = (_count(), _count(Notification))
    kwargs = {k: date.fromisoformat(v) if k.endswith("_on") else v for k, v in kwargs.items()}
    with pytest.raises(error, match=words):
        claim_spot(dep, vol, **kwargs)
    db.session.rollback()
    assert (_count(), _count(Notification)) == before


def test_attestation_is_needed_and_can_be_given_with_the_claim():
    dep = make_signup_deployment()
    vol = register_volunteer()
    vol.attested_at = None
    db.session.commit()
    with pytest.raises(signups.AttestationRequired):
        claim_spot(dep, vol)
    db.session.rollback()
    claim_spot(dep, vol, attest=True)
    assert vol.attested_at is not None and "no one is compensating me" in vol.attestation_text


def test_settle_is_cheap_when_nothing_is_overdue(app):
    dep = make_signup_deployment()
    db.session.commit()
    assert dep.id  # loaded before counting
    statements = []
    from sqlalchemy import event
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert spots.settle_overdue_offers(db.session, dep) == 0
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("SELECT")


def test_ending_a_signup_gives_back_future_beds_and_keeps_past_nights():
    from datetime import date

    from app.models import AccommodationKind, Cost, PayerKind, Stay
    from app.services import housing, ledger
    dep = make_signup_deployment(spots={"NC": 2})
    org = make_organiser()
    payer = ledger.find_or_add_payer(db.session, dep, name="Harper 2024", kind=PayerKind.CAMPAIGN,
                                     actor=None)
    hotel = housing.add_accommodation(db.session, deployment=dep, actor=None, name="Hotel",
                                      kind=AccommodationKind.HOTEL, state_code="NC", beds=2,
                                      nightly_cost="100.00", payer_id=payer.id)
    signup = claim_spot(dep, register_volunteer()).signup
    housing.assign_stay(db.session, signup=signup, accommodation=hotel,
                        check_in=date(2024, 10, 21), check_out=date(2024, 10, 24), actor=None)
    # the deployment's dates are in the past here: the nights were slept, so they stay on record
    signups.cancel(db.session, signup, actor=org, reason="Went home early.")
    assert db.session.scalar(select(func.count()).select_from(Stay)) == 1
    assert db.session.scalar(select(Cost.amount)) == Decimal("300.00")
