"""Fixtures: a database per test (a real SQLite file, or PostgreSQL when TEST_DATABASE_URL is
set), the app with CSRF on, clients that log in through the real form, and the data several
modules share. Builders (functions that make rows) are in ``builders.py``.

A test's database starts migrated and empty, unless the test (or its module) is marked
``@pytest.mark.starts_from("demo")`` — the demo deployment of ``app/services/demo.py`` — or
``starts_from("world")`` — the scale world of ``builders.scale_worlds`` (20,000 cost lines).
Each of those is built once per session into a template, and every test gets its own copy of
the template: a test never sees another test's writes.

Under pytest-xdist (``-n``) each worker runs its own session: its own SQLite files under its
own temporary directory, or its own PostgreSQL databases ``<TEST_DATABASE_URL's name>_gw0`` …
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from uuid import uuid4

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from app.models import GENESIS_HASH, Citizenship, Role
from app.services import accounts, demo
from app.services.reports import render

from . import browser
from .builders import (PASSWORD, make_cost_paid_by, make_deployment, make_login_volunteer,
                       make_signup, scale_worlds)

PG_BASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = PG_BASE_URL.startswith("postgresql")
#: "gw0", "gw1" … in a pytest-xdist worker, "" otherwise.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def _pg_name(suffix: str = "") -> str:
    """This session's database name: TEST_DATABASE_URL's, then the worker's and ``suffix``."""
    name = make_url(PG_BASE_URL).database
    return "_".join(part for part in (name, WORKER, suffix) if part)


def _pg_url(name: str) -> str:
    return make_url(PG_BASE_URL).set(database=name).render_as_string(hide_password=False)


#: The audit key of the test apps (``_config``); a test of the instance keyring sets None.
TEST_AUDIT_KEY = "test-audit-key-" + "k" * 40

#: The database this session's tests use on PostgreSQL (one per xdist worker).
PG_URL = _pg_url(_pg_name()) if ON_POSTGRES else ""


def _pg_admin(*statements: str) -> None:
    """Run CREATE/DROP DATABASE statements from a connection to TEST_DATABASE_URL itself."""
    engine = create_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def _pg_copy(template: str, name: str) -> str:
    """A fresh database ``name`` copied from ``template``; returns its URL."""
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
              f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return _pg_url(name)


PINNED_DAY = "2024-10-01"


def _config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-" + "x" * 40,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": False,
        # The builders' and the demo's deployments are the 2024 season's: the app takes the
        # day as 1 October 2024, so they are still open (tests of closing set their own day).
        "TODAY": PINNED_DAY,
        # Argon2id still, with a small cost so hundreds of logins stay quick in tests.
        "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8 * 1024, "ARGON2_PARALLELISM": 1,
        # One audit key for every test app: a test's database may be a copy of a template
        # whose chain another app (another instance folder) wrote.
        "AUDIT_HMAC_KEY": TEST_AUDIT_KEY,
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
        if WORKER:
            _pg_admin(f'DROP DATABASE IF EXISTS "{_pg_name()}" WITH (FORCE)',
                      f'CREATE DATABASE "{_pg_name()}"')
        else:
            engine = create_engine(PG_URL)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        _migrate(PG_URL, instance)
        # The migrated, empty database, kept aside: the templates below start from it.
        _pg_copy(_pg_name(), _pg_name("empty"))
        yield PG_URL
        _pg_admin(*(f'DROP DATABASE IF EXISTS "{_pg_name(suffix)}" WITH (FORCE)'
                    for suffix in ("copy", *TEMPLATES, "empty")))
        if WORKER:
            _pg_admin(f'DROP DATABASE IF EXISTS "{_pg_name()}" WITH (FORCE)')
        return
    template = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _migrate(f"sqlite:///{template}", instance)
    yield template


def _load_demo() -> None:
    demo.load_demo(db.session)
    db.session.commit()


#: Template name → what fills a migrated, empty database to make it (inside an app context).
TEMPLATES = {"demo": _load_demo, "world": scale_worlds}


@pytest.fixture(scope="session")
def templates(migrated_template, tmp_path_factory):
    """Build a template the first time a test asks for it; returns name → SQLite file or PG
    database name."""
    built: dict[str, object] = {}

    def _get(name: str):
        if name in built:
            return built[name]
        instance = tmp_path_factory.mktemp(f"instance-{name}")
        if ON_POSTGRES:
            target = _pg_name(name)
            url = _pg_copy(_pg_name("empty"), target)
        else:
            target = tmp_path_factory.mktemp(f"template-{name}") / f"{name}.sqlite3"
            shutil.copyfile(migrated_template, target)
            url = f"sqlite:///{target}"
        app = create_app(_config(url), instance_path=str(instance))
        with app.app_context():
            TEMPLATES[name]()
            db.session.remove()
            if not ON_POSTGRES:  # everything into the one file that the tests copy
                with db.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.engine.dispose()
        if not ON_POSTGRES:
            wal = Path(f"{target}-wal")
            assert not wal.exists() or wal.stat().st_size == 0, "template not checkpointed"
        built[name] = target
        return target
    return _get


def _fresh_postgres() -> None:
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        # The audit tables refuse TRUNCATE by trigger; a test database's reset may (superuser).
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename != 'alembic_version'")).scalars().all()
        conn.execute(text("TRUNCATE {} RESTART IDENTITY CASCADE".format(
            ", ".join(f'"{t}"' for t in tables))))
        conn.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"),
                     {"h": GENESIS_HASH})
    engine.dispose()


@pytest.fixture
def database_url(request, migrated_template, templates, tmp_path) -> str:
    """This test's own database: empty, or a copy of the template it is marked to start from."""
    marker = request.node.get_closest_marker("starts_from")
    if marker is not None:
        (name,) = marker.args
        if name not in TEMPLATES:
            pytest.fail(f"starts_from({name!r}): no such template; there are {sorted(TEMPLATES)}")
        source = templates(name)
        if ON_POSTGRES:
            return _pg_copy(source, _pg_name("copy"))
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(source, path)
        return f"sqlite:///{path}"
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
    """Make a committed user; returns its id (not an ORM object that outlives its session).

    An organiser runs the test's deployments: they are put on the staff of every deployment
    that exists when they are made, unless ``staff_of`` names the slugs (``()``: none)."""
    def _create(role: Role = Role.VOLUNTEER, email: str | None = None,
                password: str | None = PASSWORD, full_name: str = "Test Person",
                staff_of=None) -> int:
        with app.app_context():
            user = accounts.create_user(db.session, email=email or f"{uuid4().hex[:10]}@example.org",
                                        full_name=full_name, role=role, password=password,
                                        actor=None)
            db.session.commit()
            user_id, email = user.id, user.email
        if role is Role.ORGANISER:
            make_staff(app, email, staff_of)
        return user_id
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


def make_staff(app, email: str, slugs=None) -> None:
    """Put the organiser ``email`` on the staff of ``slugs`` (None: every deployment there is)."""
    from app.models import Deployment
    from app.services import staff
    with app.app_context():
        user = accounts.get_user(db.session, email)
        query = db.select(Deployment)
        if slugs is not None:
            query = query.where(Deployment.slug.in_(list(slugs)))
        for deployment in db.session.scalars(query).all():
            if not staff.is_member(db.session, deployment, user):
                staff.add_member(db.session, deployment, user, actor=None)
        db.session.commit()


@pytest.fixture
def login_as(app, client, create_user):
    """Log ``client`` in as a new user of ``role`` (None stays anonymous); returns the email.
    An organiser runs the deployments that exist (see ``create_user``) or ``staff_of``."""
    def _login(role: Role | None, staff_of=None) -> str | None:
        if role is None:
            return None
        email = f"{role.value}-{uuid4().hex[:6]}@example.org"
        create_user(role=role, email=email, staff_of=staff_of)
        response = log_in(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return email
    return _login


def count_rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


# -- shared data ----------------------------------------------------------------------------
@pytest.fixture
def data(app):
    """The report tests' deployment "trip": two volunteers in two states with four cost lines;
    returns ids and emails."""
    with app.app_context():
        deployment = make_deployment(slug="trip", spots={"NC": 5, "PA": 5})
        ana = make_login_volunteer("ana@example.org", "Ana <b>Bold</b> Ávila",
                                   Citizenship.FOREIGN_NATIONAL)
        bo = make_login_volunteer("bo@example.org", "Bo Brown", Citizenship.US_CITIZEN)
        make_signup(deployment, ana, "NC")
        make_signup(deployment, bo, "PA")
        make_cost_paid_by(deployment, ana, "Example Party", "FOREIGN_PARTY", "500.00",
                          description="Flight paid by the party")
        make_cost_paid_by(deployment, ana, "Self", "SELF", "300.00", description="Own meals")
        cost = make_cost_paid_by(deployment, bo, "Example for America", "CAMPAIGN", "200.00",
                                 description="Campaign hotel")
        make_cost_paid_by(deployment, bo, "Unknown payer", "UNKNOWN", "100.00",
                          description="Hotel, payer unknown")
        db.session.commit()
        return {"slug": deployment.slug, "ana": ana.id, "bo": bo.id, "bo_cost": cost.id}


@pytest.fixture(scope="module", autouse=True)
def _render_pools_end_with_the_module():
    """The PDF renderer's worker processes do not outlive the module that started them."""
    yield
    render.shutdown_pools()


@pytest.fixture(autouse=True)
def _note_the_browser_marker(request):
    browser.RUNNING_TEST_IS_MARKED = request.node.get_closest_marker("browser") is not None
