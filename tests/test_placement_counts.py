"""The database keeps each placement's counts and refuses to overbook it, whatever writes."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.extensions import db
from app.models import SignupStatus

from .builders import claim_spot, make_signup_deployment, register_volunteer
from .conftest import MIGRATIONS, ON_POSTGRES, _config


def _counters(placement_id):
    return tuple(db.session.execute(text(
        "SELECT held, waiting FROM placements WHERE id = :id"), {"id": placement_id}).one())


def test_plain_sql_cannot_overbook_a_placement(app_ctx):
    dep = make_signup_deployment(spots={"NC": 1})
    claim_spot(dep, register_volunteer())
    waiting = claim_spot(dep, register_volunteer()).signup
    db.session.commit()
    placement_id = waiting.placement_id
    assert _counters(placement_id) == (1, 1)
    # Straight past every service: the database itself says no.
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE signups SET status = 'confirmed' WHERE id = :id"),
                           {"id": waiting.id})
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE placements SET capacity = 0 WHERE id = :id"),
                           {"id": placement_id})
    db.session.rollback()
    assert _counters(placement_id) == (1, 1)
    assert db.session.get(type(waiting), waiting.id).status is SignupStatus.WAITLISTED


def test_counters_follow_moves_and_deletes(app_ctx):
    dep = make_signup_deployment(spots={"NC": 2, "PA": 2})
    signup = claim_spot(dep, register_volunteer(), "NC").signup
    db.session.commit()
    nc, pa = {p.state_code: p.id for p in dep.placements}.values()
    db.session.execute(text("UPDATE signups SET placement_id = :pa WHERE id = :id"),
                       {"pa": pa, "id": signup.id})
    assert (_counters(nc), _counters(pa)) == ((0, 0), (1, 0))
    db.session.execute(text("DELETE FROM notifications WHERE signup_id = :id"), {"id": signup.id})
    db.session.execute(text("DELETE FROM findings WHERE signup_id = :id"), {"id": signup.id})
    db.session.execute(text("DELETE FROM signups WHERE id = :id"), {"id": signup.id})
    assert _counters(pa) == (0, 0)
    db.session.rollback()


@pytest.mark.skipif(ON_POSTGRES, reason="a throwaway SQLite file is enough for the backfill")
def test_the_migration_counts_existing_signups(tmp_path):
    """Sign-ups made before the counters existed are counted when the migration runs."""
    app = create_app(_config(f"sqlite:///{tmp_path}/old.sqlite3"), instance_path=str(tmp_path))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        dep = make_signup_deployment(spots={"NC": 1})
        for _ in range(3):
            claim_spot(dep, register_volunteer())
        db.session.commit()
        placement_id = dep.placements[0].id
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="e5d4f6a7b8c9")  # no counters, sign-ups kept
        upgrade(directory=MIGRATIONS)
        assert _counters(placement_id) == (1, 2)
        db.session.remove()
        db.engine.dispose()
