"""The sign-up lifecycle (issue 13): a volunteer who withdrew may claim again; one an
organiser rejected or cancelled comes back only when reinstated — through the claim path, so
capacity and the waitlist apply; the roster lists them; an import takes them back."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Role, Signup, SignupStatus
from app.models.types import utcnow
from app.services import deployments, signups, spots, volunteers_import

from .builders import claim_spot, make_organiser, make_signup_deployment, register_volunteer
from .conftest import csrf_token


def _held(dep, state="NC"):
    placement = signups.find_placement(db.session, dep, state)
    return spots.counts(db.session, placement.id, utcnow()).held


def _statuses(vol):
    return [s.status for s in db.session.scalars(
        select(Signup).where(Signup.volunteer_id == vol.id).order_by(Signup.id))]


def test_withdraw_then_claim_again_makes_a_new_sign_up(app_ctx):
    dep = make_signup_deployment(spots={"NC": 2})
    vol = register_volunteer()
    first = claim_spot(dep, vol).signup
    db.session.commit()
    assert _held(dep) == 1
    signups.withdraw(db.session, first, actor=vol.user)
    db.session.commit()
    assert _held(dep) == 0
    again = claim_spot(dep, vol, "NC").signup
    db.session.commit()
    assert again.id != first.id and again.status is SignupStatus.CONFIRMED
    assert _statuses(vol) == [SignupStatus.WITHDRAWN, SignupStatus.CONFIRMED]
    assert _held(dep) == 1


def test_rejected_stays_out_until_an_organiser_reinstates_and_capacity_applies(app_ctx):
    dep = make_signup_deployment(spots={"NC": 1}, requires_approval=True)
    org = make_organiser()
    vol, other = register_volunteer(), register_volunteer()
    pending = claim_spot(dep, vol).signup
    signups.reject(db.session, pending, actor=org, reason="Dates do not fit.")
    db.session.commit()
    with pytest.raises(signups.ClaimBlocked, match="was rejected .* an organiser can reinstate"):
        claim_spot(dep, vol)
    db.session.rollback()
    # Someone else takes the only spot; the reinstated claim then waits like any other.
    claim_spot(dep, other)
    db.session.commit()
    result = signups.reinstate(db.session, db.session.get(Signup, pending.id), actor=org)
    db.session.commit()
    assert result.signup.status is SignupStatus.WAITLISTED and result.position == 1
    assert _statuses(vol) == [SignupStatus.REJECTED, SignupStatus.WAITLISTED]
    with pytest.raises(signups.AlreadyClaimed):
        signups.reinstate(db.session, db.session.get(Signup, pending.id), actor=org)
    db.session.rollback()
    with pytest.raises(Exception, match="nothing to reinstate"):
        signups.reinstate(db.session, result.signup, actor=org)
    db.session.rollback()


def test_an_import_takes_back_a_withdrawn_or_cancelled_volunteer(app_ctx):
    dep = make_signup_deployment(spots={"NC": 3})
    org = make_organiser()
    gone = register_volunteer(email="gone@example.org")
    cut = register_volunteer(email="cut@example.org")
    signups.withdraw(db.session, claim_spot(dep, gone).signup, actor=gone.user)
    signups.cancel(db.session, claim_spot(dep, cut).signup, actor=org, reason="Mistake.")
    db.session.commit()
    data = ("full_name,email,citizenship,country,home_organisation,affiliation,state,role,"
            "arrive_on,depart_on,leave_type,role_override_reason\n"
            "Gone,gone@example.org,FOREIGN_NATIONAL,GB,,,NC,canvasser,,,,\n"
            "Cut,cut@example.org,FOREIGN_NATIONAL,GB,,,NC,driver,,,,\n").encode()
    result = volunteers_import.import_volunteers(db.session, dep, data, actor=org,
                                                 filename="back.csv")
    db.session.commit()
    assert result.claims == {("NC", "confirmed"): 2}
    assert _statuses(gone) == [SignupStatus.WITHDRAWN, SignupStatus.CONFIRMED]
    assert _statuses(cut) == [SignupStatus.CANCELLED, SignupStatus.CONFIRMED]


def test_the_roster_lists_who_left_and_an_organiser_reinstates_them(app, client, login_as):
    with app.app_context():
        dep = make_signup_deployment(slug="life", spots={"NC": 2})
        org = make_organiser()
        vol = register_volunteer(email="left@example.org")
        signups.cancel(db.session, claim_spot(dep, vol).signup, actor=org, reason="Visa.")
        db.session.commit()
        signup_id = db.session.scalar(select(Signup.id))
    login_as(Role.AUDITOR)
    page = client.get("/organiser/deployments/life/states/NC").get_data(as_text=True)
    assert "Withdrawn, rejected or cancelled" in page and "left@example.org" in page
    assert "Reinstate" not in page  # auditors read; no button they could not use
    login_as(Role.ORGANISER)
    path = "/organiser/deployments/life/states/NC"
    page = client.get(path).get_data(as_text=True)
    assert "Reinstate" in page and "Visa." in page
    response = client.post(f"/organiser/deployments/life/signups/{signup_id}/reinstate",
                           data={"csrf_token": csrf_token(client, path), "back": path})
    assert response.status_code == 302
    with app.app_context():
        counts = dict(db.session.execute(select(Signup.status, func.count())
                                         .group_by(Signup.status)).all())
        assert counts == {SignupStatus.CANCELLED: 1, SignupStatus.CONFIRMED: 1}
        dep = deployments.get_deployment(db.session, "life")
        assert _held(dep) == 1
    after = client.get(path).get_data(as_text=True)
    assert "is back: a new claim was made" in after


def test_all_sign_ups_on_one_page_filtered_by_status_and_state(app, client, login_as):
    with app.app_context():
        dep = make_signup_deployment(slug="every", spots={"NC": 3, "PA": 3})
        org = make_organiser()
        stay = register_volunteer(email="stay@example.org")
        claim_spot(dep, stay, "NC")
        gone = register_volunteer(email="gone@example.org")
        signups.withdraw(db.session, claim_spot(dep, gone, "PA").signup, actor=gone.user)
        cut = register_volunteer(email="cut@example.org")
        signups.cancel(db.session, claim_spot(dep, cut, "NC").signup, actor=org,
                       reason="Visa refused.")
        db.session.commit()
    login_as(Role.AUDITOR)
    base = "/organiser/deployments/every/signups"
    every = client.get(base).get_data(as_text=True)
    for email in ("stay@example.org", "gone@example.org", "cut@example.org"):
        assert email in every
    withdrawn = client.get(base + "?status=withdrawn").get_data(as_text=True)
    assert "gone@example.org" in withdrawn and "stay@example.org" not in withdrawn
    nc_cancelled = client.get(base + "?status=cancelled&state=nc").get_data(as_text=True)
    assert "cut@example.org" in nc_cancelled and "Visa refused." in nc_cancelled
    assert "gone@example.org" not in nc_cancelled
    # A made-up filter is a 400 that names it (issue 14), not a silently ignored filter.
    refused = client.get(base + "?status=emperor&state=ZZ")
    assert refused.status_code == 400 and "status must be one of" in refused.get_data(as_text=True)
    assert client.get(base + "?status=&state=").status_code == 200
