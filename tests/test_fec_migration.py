"""Migration c9d0e1f2a3b4 (the FEC export's facts) goes up and down with data in the tables,
on SQLite (batch mode) and on PostgreSQL (``TEST_DATABASE_URL``)."""
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db

from .conftest import _config
from .test_migrations import empty_database_url  # noqa: F401 - the fixture

PAYER_COLUMNS = {"street_1", "street_2", "city", "state", "zip", "fec_committee_id"}


def _columns(table: str) -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns(table)}


def test_the_fec_facts_migration_adds_nullable_columns_and_keeps_the_data(
        empty_database_url, tmp_path):  # noqa: F811
    from app.models import PayerKind
    from app.services.compliance import fec_facts

    from .builders import make_election_deployment, make_payer_of_kind

    app = create_app(_config(empty_database_url), instance_path=str(tmp_path))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "b8c9d0e1f2a3"]).exit_code == 0
    with app.app_context():
        assert not PAYER_COLUMNS & _columns("payers")
        assert "committee_fec_id" not in _columns("deployments")
        db.session.remove()
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert PAYER_COLUMNS <= _columns("payers")
        assert "committee_fec_id" in _columns("deployments")
        dep = make_election_deployment(slug="mig")
        payer = make_payer_of_kind(dep, PayerKind.US_INDIVIDUAL, name="Mia Migrated")
        fec_facts.set_payer_fec_facts(db.session, payer, actor=None, street_1="1 Main St",
                                      city="Durham", state_code="NC", zip_="27701")
        fec_facts.set_committee_fec_id(db.session, dep, "C00000001", actor=None)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    result = runner.invoke(args=["db", "downgrade", "b8c9d0e1f2a3"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert not PAYER_COLUMNS & _columns("payers")
        assert db.session.scalar(text("SELECT name FROM payers")) == "Mia Migrated"
        assert db.session.scalar(text("SELECT slug FROM deployments")) == "mig"
        db.session.remove()
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        row = db.session.execute(text("SELECT street_1, fec_committee_id FROM payers")).one()
        assert tuple(row) == (None, None)  # no data change: the columns come back empty
        db.session.remove()
    assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
    with app.app_context():
        db.engine.dispose()
