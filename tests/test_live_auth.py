"""Sessions and the login limits against a real gunicorn with 4 workers (SQLite or PostgreSQL).

Each request is a separate HTTP connection, so the 4 worker processes share the work: what
holds here holds across processes, not just within one.
"""
import threading
from collections import Counter

import pytest

from .conftest import PASSWORD
from .live import BrowserSession, gunicorn, redis_server, request

pytestmark = pytest.mark.slow   # real gunicorn workers


def _race(host, port, n, email, password):
    """``n`` logins at the same moment, each from its own browser session; their statuses."""
    browsers = [BrowserSession(host, port) for _ in range(n)]
    for browser in browsers:
        browser.get("/login")  # its cookie and CSRF token
    barrier = threading.Barrier(n)
    statuses = [None] * n

    def go(i):
        barrier.wait()
        statuses[i], _ = browsers[i].post("/login", {"email": email(i), "password": password})
    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(statuses), browsers


def test_wrong_passwords_across_four_workers_lock_the_account_at_the_limit(database_url,
                                                                            create_user):
    create_user(email="target@example.org")
    with gunicorn(database_url, workers=4, TRIPLEDGER_LOGIN_ACCOUNT_LIMIT="5") as (host, port):
        counts, browsers = _race(host, port, 20, lambda i: "target@example.org",
                                 "not the password at all")
        assert counts == {422: 5, 429: 15}
        _status, page = browsers[0].post("/login", {"email": "target@example.org",
                                                    "password": "not the password at all"})
        assert "Too many failed logins for this account." in page
        right, _ = browsers[1].post("/login", {"email": "target@example.org",
                                               "password": PASSWORD})
        assert right == 429  # locked: not even the right password is checked
        # an address without an account is answered exactly alike
        ghost, _ = _race(host, port, 20, lambda i: "ghost@example.org", "not the password at all")
        assert ghost == counts


def test_the_per_ip_limit_is_shared_by_four_workers_through_redis(database_url, tmp_path):
    with redis_server(tmp_path) as url:
        if url is None:
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        with gunicorn(database_url, workers=4, REDIS_URL=url,
                      TRIPLEDGER_RATELIMIT_ENABLED="true",
                      TRIPLEDGER_LOGIN_RATE_LIMIT="5 per minute") as (host, port):
            # a different address each time: only the per-IP limit can refuse them
            counts, _ = _race(host, port, 20, lambda i: f"who{i}@example.org",
                              "not the password at all")
    assert counts == {422: 5, 429: 15}


def test_a_copied_cookie_is_refused_after_logout_by_every_worker(database_url, create_user):
    create_user(email="v@example.org")
    with gunicorn(database_url, workers=4) as (host, port):
        browser = BrowserSession(host, port)
        browser.get("/login")
        status, _ = browser.post("/login", {"email": "v@example.org", "password": PASSWORD})
        assert status == 302
        copied = {"Cookie": browser.cookie}  # sent as it is, every time
        assert [request(host, port, "GET", "/me/", headers=copied)[0] for _ in range(8)] == \
            [200] * 8
        browser.get("/me/")
        status, _ = browser.post("/logout", {})
        assert status == 302
        assert [request(host, port, "GET", "/me/", headers=copied)[0] for _ in range(8)] == \
            [302] * 8
