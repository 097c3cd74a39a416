"""TripLedger: volunteer deployments and who pays for them."""
from __future__ import annotations

import logging.config
import math
import os
import secrets
import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

# The web app's modules are imported by create_app, not here: a report-rendering worker
# process imports app.services.reports.render, and should not load Flask, SQLAlchemy and every
# view to do it.

#: Values that must never serve as a production secret.
_KNOWN_WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "test", "development"}


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app: defaults → instance/config.py → environment → ``test_config``."""
    from flask import Flask

    from . import cli, errors, extensions, headers, sqlite_writers, views
    from .security import init_login
    from .services import hooks, private_files

    _listen_for_sqlite_connections()
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path,
                template_folder="../templates", static_folder="../static")
    app.config.from_object("app.config.Config")
    app.config.from_pyfile("config.py", silent=True)
    _load_environment(app)
    if test_config:
        app.config.update(test_config)
    private_files.private_dir(app.instance_path)  # keys, reports, the database: 0700
    _finish_config(app)
    _configure_logging(app)

    extensions.db.init_app(app)
    hooks.init_app(app)  # what runs when rows change and before a commit: see services/hooks.py
    with app.app_context():
        sqlite_writers.queue_writers(extensions.db.engine)
    extensions.migrate.init_app(app, extensions.db,
                                directory=str(Path(app.root_path).parent / "migrations"),
                                render_as_batch=True, compare_type=True)
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    init_login(app)
    views.register_blueprints(app)
    # A global, so macros imported without context (the deployment tabs) can see it too.
    app.jinja_env.globals["view_endpoints"] = app.view_functions
    from .services.money import format_money
    app.jinja_env.filters["money"] = format_money  # {{ amount|money(currency) }}
    from .forms import aria_attrs
    app.jinja_env.globals["aria_attrs"] = aria_attrs
    errors.init_app(app)
    headers.init_app(app)  # CSP, framing, no-store on personal data: see headers.py
    cli.init_app(app)
    return app


def _load_environment(app: Flask) -> None:
    env = os.environ
    if env.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = env["DATABASE_URL"]
    for name in ("SECRET_KEY", "REDIS_URL", "REPORT_SIGNING_KEY_PASSPHRASE"):
        if env.get(name):
            app.config[name] = env[name]
    if env.get("SESSION_IDLE_MINUTES"):
        app.config["SESSION_IDLE_MINUTES"] = float(env["SESSION_IDLE_MINUTES"])
    if env.get("TRIPLEDGER_ENV"):
        app.config["ENV_NAME"] = env["TRIPLEDGER_ENV"]
    # Anything else: TRIPLEDGER_<KEY>=value (JSON-decoded where it parses).
    app.config.from_prefixed_env("TRIPLEDGER")


def _finish_config(app: Flask) -> None:
    cfg = app.config
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path,
                                                                     "tripledger.sqlite3")
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file cannot drop the connection: pinging it on every checkout is wasted work.
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {**cfg["SQLALCHEMY_ENGINE_OPTIONS"],
                                            "pool_pre_ping": False}
        _private_sqlite_file(cfg["SQLALCHEMY_DATABASE_URI"], app.instance_path)
    cfg["RATELIMIT_STORAGE_URI"] = cfg.get("REDIS_URL") or "memory://"
    if cfg["ENV_NAME"] == "development":
        cfg["SESSION_COOKIE_SECURE"] = cfg["REMEMBER_COOKIE_SECURE"] = False
        if not cfg.get("SECRET_KEY"):
            cfg["SECRET_KEY"] = _instance_secret(app)
    elif not cfg.get("TESTING"):
        _refuse_unsafe_production(app)
    _check_pinned_day(cfg)


def _check_pinned_day(cfg) -> None:
    if not cfg.get("TODAY"):
        return
    if cfg["ENV_NAME"] == "production" and not cfg.get("TESTING"):
        raise RuntimeError("TODAY pins the calendar for tests and demos: unset TRIPLEDGER_TODAY "
                           "in production.")
    try:
        date.fromisoformat(str(cfg["TODAY"]))
    except ValueError:
        raise RuntimeError(f"TODAY={cfg['TODAY']!r} is not a date (YYYY-MM-DD).") from None


def _private_sqlite_file(uri: str, instance_path: str) -> None:
    """SQLite creates its file with the umask's mode (world-readable, usually): create it
    owner-only first (an empty file is a new database), or tighten an existing one."""
    from sqlalchemy.engine import make_url

    from .services.private_files import private_file
    database = make_url(uri).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    # Flask-SQLAlchemy reads a relative SQLite path as relative to the instance folder.
    path = Path(instance_path) / database  # an absolute path stays as it is
    if path.parent.is_dir():
        private_file(path)


def _instance_secret(app: Flask) -> str:
    """A random secret kept in instance/secret_key, for development only."""
    from .services.private_files import write_private
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        write_private(path, secrets.token_hex(32).encode())
    return path.read_text().strip()


#: A production secret is refused unless its estimated entropy reaches this (a 32-character
#: secrets.token_hex(16) holds 128 random bits; estimated from its own letters it shows 90 or
#: more in 100,000 draws).
MIN_SECRET_BITS = 80


def secret_problem(secret: str) -> str | None:
    """Why ``secret`` is no production secret, or None if it looks random enough.

    Length alone let 'a' * 32 through. The estimate is the secret's own letter frequencies
    (Shannon entropy × length), which no repeated or low-variety string reaches, plus two
    shapes that fool it: a repeated unit ('0123456789abcdef' * 2) and a run of neighbouring
    characters ('abcdefghijklmnopqrstuvwxyz012345').
    """
    if not secret:
        return "it is not set"
    if secret.lower() in _KNOWN_WEAK_SECRETS:
        return "it is a well-known placeholder"
    if len(secret) < 32:
        return f"it is {len(secret)} characters long; at least 32 are needed"
    for size in range(1, len(secret) // 2 + 1):
        if secret == (secret[:size] * (len(secret) // size + 1))[:len(secret)]:
            unit = secret[:size] if size <= 8 else secret[:8] + "…"
            return f"it is {unit!r} repeated"
    neighbours = sum(abs(ord(a) - ord(b)) <= 1 for a, b in zip(secret, secret[1:]))
    if neighbours > 0.7 * (len(secret) - 1):
        return "it is mostly a run of neighbouring characters (like abcdef or 123456)"
    counts = Counter(secret)
    bits = -sum(n * math.log2(n / len(secret)) for n in counts.values())
    if bits < MIN_SECRET_BITS:
        return (f"it has too little variety ({len(counts)} different characters, about "
                f"{bits:.0f} bits; {MIN_SECRET_BITS} are needed)")
    return None


def _refuse_unsafe_production(app: Flask) -> None:
    problem = secret_problem(app.config.get("SECRET_KEY") or "")
    if problem:
        raise RuntimeError(f"SECRET_KEY is missing or weak: {problem}. Set SECRET_KEY to a "
                           "random value (python -c 'import secrets; "
                           "print(secrets.token_urlsafe(32))'), or TRIPLEDGER_ENV=development "
                           "on your own machine.")
    if app.debug:
        raise RuntimeError("Debug mode is on in production: unset FLASK_DEBUG.")


def _configure_logging(app: Flask) -> None:
    logging.config.dictConfig({
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "plain",
                                "stream": "ext://sys.stdout"}},
        "root": {"level": app.config["LOG_LEVEL"], "handlers": ["stdout"]},
    })


def _listen_for_sqlite_connections() -> None:
    """Every engine's SQLite connections get the pragmas below (registered once)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys, let readers and a writer work at once, wait for locks."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()
