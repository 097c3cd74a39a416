"""No page issues more SQL queries as volunteers or states grow (10 → 1,000 volunteers)."""
from datetime import date

from app.extensions import db
from app.models import Citizenship, Role, Signup, SignupRole, SignupStatus, User, Volunteer
from app.models.types import utcnow
from app.services import deployments

from .builders import count_queries, make_signup_deployment

PAGES = ["/", "/deployments/big", "/api/v1/deployments/big", "/organiser/",
         "/organiser/deployments/big", "/organiser/deployments/big/states/NC"]
STATUSES = [SignupStatus.CONFIRMED, SignupStatus.PENDING_APPROVAL, SignupStatus.WAITLISTED]


def _grow(app, start: int, stop: int, states: list[str]) -> None:
    """Volunteers ``start``..``stop`` signed up round-robin over ``states`` (created as needed)."""
    with app.app_context():
        dep = deployments.get_deployment(db.session, "big")
        for state in states:
            deployments.set_capacity(db.session, dep, state, 2000, actor=None)
        placements = {p.state_code: p for p in dep.placements}
        for i in range(start, stop):
            user = User(email=f"p{i}@example.org", full_name=f"Person {i}", role=Role.VOLUNTEER)
            vol = Volunteer(user=user, citizenship=Citizenship.FOREIGN_NATIONAL, country="GB",
                            declared_at=utcnow(), attested_at=utcnow())
            db.session.add(Signup(deployment_id=dep.id, placement=placements[states[i % len(states)]],
                                  volunteer=vol, role=SignupRole.CANVASSER, status=STATUSES[i % 3],
                                  arrive_on=date(2024, 10, 20), depart_on=date(2024, 11, 6)))
        db.session.commit()


def _engine(app):
    with app.app_context():
        return db.engine


def _measure(app, client) -> dict[str, int]:
    counts = {}
    for path in PAGES:
        with count_queries(_engine(app)) as statements:
            response = client.get(path)
        assert response.status_code == 200, path
        counts[path] = len(statements)
    return counts


def test_page_queries_do_not_grow_with_volunteers_or_states(app, client, login_as):
    with app.app_context():
        make_signup_deployment(slug="big", spots={})
        make_signup_deployment(slug="other", spots={"NC": 3})  # lists of deployments stay one query too
        db.session.commit()
    _grow(app, 0, 10, ["NC", "PA"])
    login_as(Role.ADMIN)
    small = _measure(app, client)
    _grow(app, 10, 1000, ["NC", "PA", "VA", "NV", "GA", "AZ", "MI", "WI"])
    large = _measure(app, client)
    assert large == small, {p: (small[p], large[p]) for p in PAGES if small[p] != large[p]}
    # The most: a state's roster (its role warnings read who is paid, R2c; one query lists who
    # withdrew or was rejected or cancelled there, to be reinstated).
    assert max(small.values()) <= 12, small
