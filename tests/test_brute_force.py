"""Guessing passwords: a per-account limit in the database, a per-IP limit in shared storage,
and answers that never tell whether an address has an account.

The attack this answers: the login limit was counted per worker in memory (39 wrong passwords
with 4 workers), there was no per-account throttle, and registration told whether an address
had an account. The same limit across 4 gunicorn workers: ``test_live_auth.py``.
"""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import LoginThrottle, Notification
from app.models.types import utcnow
from app.services import accounts, common_passwords, throttle

from .conftest import PASSWORD, csrf_token, log_in
from .live import redis_server

LOCKED = "Too many failed logins for this account."


@pytest.fixture
def strict(make_app, create_user):
    """An app that locks an account after 3 attempts in 15 minutes; "real@" has an account."""
    create_user(email="real@example.org")
    return make_app(LOGIN_ACCOUNT_LIMIT=3)


def _tries(app, email, password, n):
    client = app.test_client()
    return [log_in(client, email, password) for _ in range(n)]


def test_an_account_locks_after_the_limit_even_for_the_right_password(strict):
    answers = _tries(strict, "real@example.org", "not the password at all", 4)
    assert [a.status_code for a in answers] == [422, 422, 422, 429]
    assert LOCKED in answers[-1].get_data(as_text=True)
    assert "Try again in 15 minutes" in answers[-1].get_data(as_text=True)
    right = log_in(strict.test_client(), "REAL@example.org ", PASSWORD)
    assert right.status_code == 429  # the lock is per account, not per client or spelling
    other = log_in(strict.test_client(), "someone@example.org", PASSWORD)
    assert other.status_code == 422 and LOCKED not in other.get_data(as_text=True)


def test_a_locked_address_without_an_account_answers_the_same(strict):
    real = _tries(strict, "real@example.org", "not the password at all", 4)
    ghost = _tries(strict, "ghost@example.org", "not the password at all", 4)
    assert [a.status_code for a in real] == [a.status_code for a in ghost]

    def error(response):
        return response.get_data(as_text=True).split('<p class="error" role="alert">')[1]\
            .split("</p>")[0]
    assert [error(a) for a in real] == [error(a) for a in ghost]


def test_the_lock_lifts_when_the_window_ends_and_a_login_clears_the_count(strict):
    _tries(strict, "real@example.org", "not the password at all", 3)
    with strict.app_context():
        db.session.execute(update(LoginThrottle).values(
            window_started_at=utcnow() - timedelta(minutes=16)))
        db.session.commit()
    assert log_in(strict.test_client(), "real@example.org", PASSWORD).status_code == 302
    with strict.app_context():
        assert db.session.scalar(select(LoginThrottle)) is None
    assert [a.status_code for a in _tries(strict, "real@example.org", "wrong again!!", 3)] == \
        [422, 422, 422]


def test_setting_a_password_by_emailed_link_unlocks_the_account(strict):
    _tries(strict, "real@example.org", "not the password at all", 4)
    client = strict.test_client()
    client.post("/forgot", data={"csrf_token": csrf_token(client, "/forgot"),
                                 "email": "real@example.org"})
    with strict.app_context():
        body = db.session.scalar(select(Notification.body))
    link = "/reset/" + body.split("/reset/", 1)[1].split()[0]
    token = csrf_token(client, link)
    set_it = client.post(link, data={"csrf_token": token, "password": "a fresh long passphrase",
                                     "confirm": "a fresh long passphrase"})
    assert set_it.status_code == 302
    assert log_in(client, "real@example.org", "a fresh long passphrase").status_code == 302


def test_forgot_password_answers_the_same_whether_or_not_the_account_exists(client, create_user):
    create_user(email="real@example.org")
    answers = []
    for email in ("real@example.org", "ghost@example.org"):
        answer = client.post("/forgot", data={"csrf_token": csrf_token(client, "/forgot"),
                                              "email": email})
        answers.append((answer.status_code, answer.location, answer.get_data()))
        answers[-1] += (client.get("/login").get_data(as_text=True).count("If an account has"),)
    assert answers[0] == answers[1]


# -- common passwords -----------------------------------------------------------------------
@pytest.mark.parametrize("password", ["password1234", "Password2024!", "monkey123456",
                                      "qwertyqwerty", "iloveyou2024", "superman1234567",
                                      "  football2025  ", "trustno1trustno1"])
def test_common_passwords_and_their_usual_variants_are_refused(app, client, password):
    response = client.post("/register", data={
        "full_name": "Nia", "email": "nia@example.org", "password": password,
        "confirm": password, "csrf_token": csrf_token(client, "/register")})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "That password is too easy to guess: it is one of the most common passwords" in page
    with app.app_context():
        assert accounts.find_user(db.session, "nia@example.org") is None


@pytest.mark.parametrize("password", [PASSWORD, "harbour lights at dawn", "tripledger-demo-2024",
                                      "Kettle-Orbit-Nine-Lantern"])
def test_passphrases_pass(app_ctx, password):
    accounts.check_password_strength(password, "nia@example.org")


def test_the_shipped_list_has_ten_thousand_common_passwords():
    words = common_passwords.common()
    assert len(words) == 10_000
    assert {"123456", "password", "qwerty", "dragon", "letmein"} <= words


def test_the_same_check_guards_setting_a_password_by_link(app_ctx):
    from app.services.errors import ValidationFailed
    with pytest.raises(ValidationFailed, match="too easy to guess"):
        accounts.check_password_strength("sunshine2024", "x@example.org")


# -- per-IP limit in shared storage -------------------------------------------------------------
@pytest.fixture
def redis_url(tmp_path):
    with redis_server(tmp_path) as url:
        if url is None:
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        yield url


def _spread(apps, n):
    """``n`` wrong logins from one client address, sent to the instances in turn."""
    statuses = []
    for i in range(n):
        client = apps[i % len(apps)].test_client()
        statuses.append(log_in(client, f"who{i}@example.org", "wrong password!!").status_code)
    return statuses


def test_with_redis_url_the_per_ip_limit_is_kept_in_redis(make_app, redis_url):
    """(Across 4 gunicorn workers: test_live_auth.py.)"""
    apps = [make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute",
                     REDIS_URL=redis_url) for _ in range(2)]
    assert apps[0].config["RATELIMIT_STORAGE_URI"] == redis_url
    assert _spread(apps, 4) == [422, 422, 422, 429]


def test_the_throttle_counts_exactly_the_limit_under_concurrent_attempts(app):
    """Threads in one process here; processes against gunicorn in test_live_auth.py."""
    import threading
    results = []
    barrier = threading.Barrier(12)

    def attempt():
        with app.app_context():
            barrier.wait()
            results.append(throttle.count_attempt(db.session, "target@example.org"))
            db.session.remove()
    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 12
    assert sum(1 for r in results if r is None) == 10  # LOGIN_ACCOUNT_LIMIT's default
    with app.app_context():
        assert db.session.scalar(select(LoginThrottle.attempts)) == 10
