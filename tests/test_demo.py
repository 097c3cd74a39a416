"""The demo deployment follows scenario.md, and loading it twice changes nothing."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (Accommodation, AccommodationKind, AuditEvent, Citizenship, Cost,
                        CostCategory, Payer, PayerKind, Signup, SignupRole, SignupStatus, User,
                        Volunteer)
from app.services import audit, deployments
from app.services.demo import PASSWORD, SLUG

from .conftest import log_in


def _load(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_load_prints_the_logins_and_they_work(app, runner):
    output = _load(runner)
    for role in ("admin", "organiser", "auditor", "volunteer"):
        assert f"{role}@demo.tripledger.example" in output
    assert PASSWORD in output
    for role, home in [("admin", "/admin/users"), ("organiser", "/organiser/"),
                       ("auditor", "/audit/"), ("volunteer", "/me/")]:
        client = app.test_client()
        assert log_in(client, f"{role}@demo.tripledger.example", PASSWORD).location == home


@pytest.mark.starts_from("demo")
def test_demo_load_is_idempotent(app, runner):
    with app.app_context():
        before = {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                  for m in (User, Signup, Cost, AuditEvent)}
    assert "already loaded" in _load(runner)
    with app.app_context():
        after = {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                 for m in (User, Signup, Cost, AuditEvent)}
        assert audit.verify_chain(db.session).ok
    assert after == before


@pytest.mark.starts_from("demo")
def test_demo_matches_the_scenario(app):
    with app.app_context():
        deployment = deployments.get_deployment(db.session, SLUG)
        stats = {p.state_code: p for p in deployments.placement_stats(db.session, deployment)}
        assert set(stats) == {"NC", "NV", "PA", "VA"}
        assert 90 <= sum(p.capacity for p in stats.values()) <= 110
        assert 0 < stats["NC"].remaining <= 10 and stats["NC"].capacity >= 30   # nearly full
        assert stats["VA"].remaining == 0 and stats["VA"].waitlisted > 0

        volunteers = db.session.scalars(select(Volunteer)).all()
        assert 95 <= len(volunteers) <= 110
        citizenships = [v.citizenship for v in volunteers]
        assert citizenships.count(Citizenship.FOREIGN_NATIONAL) > len(volunteers) / 2
        assert Citizenship.US_CITIZEN in citizenships and None in citizenships

        roles = set(db.session.scalars(select(Signup.role)))
        assert {SignupRole.TEAM_LEAD, SignupRole.STRATEGY_ADVISER, SignupRole.MANAGER} <= roles
        assert SignupStatus.PENDING_APPROVAL in set(db.session.scalars(select(Signup.status)))

        kinds = set(db.session.scalars(select(Accommodation.kind)))
        assert kinds == set(AccommodationKind)
        unknown_but_arranged = db.session.scalars(
            select(Accommodation).join(Payer, Payer.id == Accommodation.payer_id)
            .where(Payer.kind == PayerKind.UNKNOWN)).all()
        assert any(a.arranged_by.kind is PayerKind.FOREIGN_PARTY for a in unknown_but_arranged)

        paying_kinds = set(db.session.scalars(
            select(Payer.kind).join(Cost, Cost.payer_id == Payer.id)))
        assert paying_kinds == set(PayerKind)
        party_paid = set(db.session.scalars(
            select(Cost.category).join(Payer, Payer.id == Cost.payer_id)
            .where(Payer.kind == PayerKind.FOREIGN_PARTY)))
        assert {CostCategory.TRAVEL, CostCategory.STIPEND, CostCategory.SALARY_CONTINUED} <= party_paid
        assert db.session.scalar(select(func.count()).select_from(Cost).where(
            Cost.currency != "USD", Cost.usd_per_unit.is_(None))) == 0


@pytest.mark.starts_from("demo")
def test_demo_pages_show_the_deployment(client):
    home = client.get("/").get_data(as_text=True)
    assert f'href="/deployments/{SLUG}"' in home
    page = client.get(f"/deployments/{SLUG}").get_data(as_text=True)
    for state in ("NC", "NV", "PA", "VA"):
        assert f'<th scope="row">{state}</th>' in page
