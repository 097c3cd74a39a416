"""The factory: configuration layers, the production guard, SQLite defaults, health."""
import secrets
import sqlite3

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db

STRONG_SECRET = secrets.token_urlsafe(32)  # "s" * 48 is refused now (test_secrets_and_files)


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "TRIPLEDGER_ENV", "REDIS_URL", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("secret", [None, "dev", "changeme", "short-secret"])
def test_production_refuses_missing_or_weak_secret(clean_env, tmp_path, secret):
    if secret:
        clean_env.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(instance_path=str(tmp_path))


def test_production_refuses_debug(clean_env, tmp_path):
    clean_env.setenv("SECRET_KEY", STRONG_SECRET)
    clean_env.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="Debug"):
        create_app(instance_path=str(tmp_path))


def test_production_defaults_are_safe(clean_env, tmp_path):
    clean_env.setenv("SECRET_KEY", STRONG_SECRET)
    app = create_app(instance_path=str(tmp_path))
    assert not app.debug and not app.testing
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_makes_and_keeps_a_secret_in_the_instance_folder(clean_env, tmp_path):
    clean_env.setenv("TRIPLEDGER_ENV", "development")
    first = create_app(instance_path=str(tmp_path))
    second = create_app(instance_path=str(tmp_path))
    assert len(first.config["SECRET_KEY"]) >= 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_layers_defaults_then_instance_file_then_environment(clean_env, tmp_path):
    (tmp_path / "config.py").write_text("LOG_LEVEL = 'WARNING'\nPASSWORD_MIN_LENGTH = 14\n")
    clean_env.setenv("SECRET_KEY", STRONG_SECRET)
    clean_env.setenv("TRIPLEDGER_PASSWORD_MIN_LENGTH", "16")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["LOG_LEVEL"] == "WARNING"          # instance file over defaults
    assert app.config["PASSWORD_MIN_LENGTH"] == 16       # environment over instance file


def test_default_database_is_sqlite_in_instance_with_wal_and_foreign_keys(clean_env, tmp_path):
    clean_env.setenv("SECRET_KEY", STRONG_SECRET)
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/tripledger.sqlite3"
    with app.app_context():
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        db.engine.dispose()
    assert sqlite3.connect(tmp_path / "tripledger.sqlite3").execute(
        "PRAGMA journal_mode").fetchone()[0] == "wal"


def test_database_url_from_environment(clean_env, tmp_path):
    clean_env.setenv("SECRET_KEY", STRONG_SECRET)
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/elsewhere.db")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("elsewhere.db")


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_healthz_fails_without_a_database(clean_env, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": STRONG_SECRET,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db"},
                     instance_path=str(tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unreachable"}
