"""Secrets and files: a production secret needs real entropy; the instance folder, the
SQLite database, stored reports and signing keys are owner-only; the signing key can be
encrypted with a passphrase and still signs."""
from __future__ import annotations

import secrets
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import text

from app import create_app, secret_problem
from app.extensions import db
from app.services.reports import signing

from .conftest import _config


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def production(monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "TRIPLEDGER_ENV", "REDIS_URL", "FLASK_DEBUG",
                 "REPORT_SIGNING_KEY_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# -- the production secret ------------------------------------------------------------------
@pytest.mark.parametrize(("secret", "why"), [
    ("a" * 32, "'a' repeated"),
    ("ab" * 16, "'ab' repeated"),
    ("0123456789abcdef" * 2, "'01234567…' repeated"),
    ("abcdefghijklmnopqrstuvwxyz012345", "run of neighbouring characters"),
    ("s" * 48, "'s' repeated"),
    ("password1234" * 3, "'password…' repeated"),
    ("az" * 15 + "za", "too little variety (2 different characters"),
    ("short-but-random-Xq9", "20 characters long"),
])
def test_a_repeated_or_low_variety_secret_stops_production_start_up(production, tmp_path,
                                                                     secret, why):
    production.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SECRET_KEY is missing or weak") as refused:
        create_app(instance_path=str(tmp_path))
    assert why in str(refused.value) and "token_urlsafe(32)" in str(refused.value)


@pytest.mark.parametrize("make", [lambda: secrets.token_urlsafe(32),
                                  lambda: secrets.token_hex(32), lambda: secrets.token_hex(16)])
def test_a_random_secret_is_accepted(production, tmp_path, make):
    for _ in range(20):  # random draws: every one must pass, not most
        assert secret_problem(make()) is None
    production.setenv("SECRET_KEY", make())
    assert not create_app(instance_path=str(tmp_path)).testing


# -- owner-only files -----------------------------------------------------------------------
def test_the_instance_folder_and_the_sqlite_database_are_owner_only(production, tmp_path):
    production.setenv("SECRET_KEY", secrets.token_urlsafe(32))
    instance = tmp_path / "new" / "instance"
    app = create_app(instance_path=str(instance))
    with app.app_context():
        db.session.execute(text("CREATE TABLE t (x INTEGER)"))
        db.session.execute(text("INSERT INTO t VALUES (1)"))
        db.session.commit()
        database = instance / "tripledger.sqlite3"
        assert _mode(instance) == 0o700 and _mode(database) == 0o600
        wal = Path(f"{database}-wal")
        assert wal.exists() and _mode(wal) == 0o600  # SQLite gives it the database's mode
        db.engine.dispose()


def test_an_existing_world_readable_database_and_folder_are_tightened(production, tmp_path):
    production.setenv("SECRET_KEY", secrets.token_urlsafe(32))
    database = tmp_path / "tripledger.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    tmp_path.chmod(0o755)
    create_app(instance_path=str(tmp_path))
    assert _mode(tmp_path) == 0o700 and _mode(database) == 0o600


def test_stored_reports_and_the_job_queue_are_owner_only(app, client, data, login_as):
    from app.models import Role
    login_as(Role.AUDITOR)
    response = client.get(f"/deployments/{data['slug']}/reports/disclosure.pdf")
    assert response.status_code == 200
    folder = Path(app.instance_path) / "reports"
    stored = list(folder.glob("*.pdf"))
    assert stored and _mode(folder) == 0o700
    assert all(_mode(pdf) == 0o600 for pdf in stored)
    from app.services.reports import jobs
    with app.app_context():
        jobs.get_huey()
    queue = Path(app.instance_path) / "report-jobs.sqlite3"
    assert _mode(queue) == 0o600


def test_signing_keys_and_the_keyring_are_owner_only(app, runner):
    assert runner.invoke(args=["keys", "create-demo"]).exit_code == 0
    folder = Path(app.instance_path) / signing.DEMO_DIR
    assert _mode(folder) == 0o700
    assert _mode(folder / signing.DEMO_KEY) == 0o600 and _mode(folder / signing.DEMO_CERT) == 0o600
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    keyring = folder / signing.KEYRING_DIR
    assert _mode(keyring) == 0o700 and all(_mode(p) == 0o600 for p in keyring.iterdir())


# -- a passphrase-protected signing key -----------------------------------------------------
def test_a_key_made_with_a_passphrase_is_encrypted_and_signs_reports(
        database_url, tmp_path, production, data):
    passphrase = "a long passphrase for the signing key"
    production.setenv("REPORT_SIGNING_KEY_PASSPHRASE", passphrase)
    instance = tmp_path / "instance"  # the one the `data` fixture's app uses
    app = create_app(_config(database_url), instance_path=str(instance))
    made = app.test_cli_runner().invoke(args=["keys", "create-demo"])
    assert made.exit_code == 0 and "encrypted with REPORT_SIGNING_KEY_PASSPHRASE" in made.output
    pem = (instance / signing.DEMO_DIR / signing.DEMO_KEY).read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # useless without the passphrase
        serialization.load_pem_private_key(pem, password=None)
    serialization.load_pem_private_key(pem, password=passphrase.encode())

    runner = app.test_cli_runner()
    out = tmp_path / "signed.pdf"
    result = runner.invoke(args=["report", "disclosure", data["slug"], "-o", str(out),
                                 "--prepared-by", "Ada"])
    assert result.exit_code == 0, result.output
    checked = runner.invoke(args=["report", "verify", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "Signature: valid — intact, covers the whole file" in checked.output

    rotated = runner.invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert (instance / signing.DEMO_DIR / signing.DEMO_KEY).read_bytes().startswith(
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----")

    production.delenv("REPORT_SIGNING_KEY_PASSPHRASE")
    without = create_app(_config(database_url), instance_path=str(instance))
    refused = without.test_cli_runner().invoke(
        args=["report", "disclosure", data["slug"], "-o", str(tmp_path / "unsigned.pdf"),
              "--prepared-by", "Ada"])
    assert refused.exit_code != 0
    assert "REPORT_SIGNING_KEY_PASSPHRASE" in refused.output
    for made_app in (app, without):
        with made_app.app_context():
            db.engine.dispose()
