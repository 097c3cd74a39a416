"""Fixtures: a migrated database per test (a real SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), the app with CSRF on, clients that log in through the real form."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from uuid import uuid4

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db
from app.models import GENESIS_HASH, Role
from app.services import accounts

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith("postgresql")
PASSWORD = "correct horse battery staple"
MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def _config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-" + "x" * 40,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": False,
        # Argon2id still, with a small cost so hundreds of logins stay quick in tests.
        "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8 * 1024, "ARGON2_PARALLELISM": 1,
    }


def _migrate(database_url: str, instance: Path) -> None:
    app = create_app(_config(database_url), instance_path=str(instance))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """Run the real migrations once; tests start from a copy (SQLite) or a truncation (PG)."""
    instance = tmp_path_factory.mktemp("instance")
    if ON_POSTGRES:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _migrate(PG_URL, instance)
        return PG_URL
    template = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _migrate(f"sqlite:///{template}", instance)
    return template


def _fresh_postgres() -> None:
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename != 'alembic_version'")).scalars().all()
        conn.execute(text("TRUNCATE {} RESTART IDENTITY CASCADE".format(
            ", ".join(f'"{t}"' for t in tables))))
        conn.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"),
                     {"h": GENESIS_HASH})
    engine.dispose()


@pytest.fixture
def database_url(migrated_template, tmp_path) -> str:
    if ON_POSTGRES:
        _fresh_postgres()
        return PG_URL
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(_config(database_url), instance_path=str(tmp_path / "instance"))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def make_app(database_url, tmp_path):
    """Another app on the test database with some settings changed; its pool is closed after."""
    made = []

    def _make(**overrides):
        made.append(create_app({**_config(database_url), **overrides},
                               instance_path=str(tmp_path / f"instance-{len(made)}")))
        return made[-1]
    yield _make
    for other in made:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def create_user(app):
    """Make a committed user; returns its id (not an ORM object that outlives its session)."""
    def _create(role: Role = Role.VOLUNTEER, email: str | None = None,
                password: str | None = PASSWORD, full_name: str = "Test Person") -> int:
        with app.app_context():
            user = accounts.create_user(db.session, email=email or f"{uuid4().hex[:10]}@example.org",
                                        full_name=full_name, role=role, password=password,
                                        actor=None)
            db.session.commit()
            return user.id
    return _create


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    """The CSRF token from the form a page renders, as a browser would send it."""
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} (status {page.status_code})"
    return match.group(1)


def log_in(client, email: str, password: str = PASSWORD, next_path: str = ""):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "email": email,
                                       "password": password, "next": next_path})


@pytest.fixture
def login_as(app, client, create_user):
    """Log ``client`` in as a new user of ``role`` (None stays anonymous); returns the email."""
    def _login(role: Role | None) -> str | None:
        if role is None:
            return None
        email = f"{role.value}-{uuid4().hex[:6]}@example.org"
        create_user(role=role, email=email)
        response = log_in(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return email
    return _login


def count_rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))
