"""Never overbooked — proven against a running gunicorn with 4 workers, on SQLite and PostgreSQL."""
import random
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import create_engine, func, select, text

from app.extensions import db
from app.models import (ACTIVE_SIGNUP_STATUSES, SPOT_HOLDING_STATUSES, Placement, Signup,
                        SignupStatus)
from app.services import audit

from .builders import (claim_spot, make_organiser, make_signup_deployment, register_volunteer,
                       token_for)
from .conftest import PASSWORD, make_staff
from .live import BrowserSession, gunicorn, request

pytestmark = pytest.mark.slow   # a real gunicorn and hundreds of requests


def _volunteers_with_tokens(n):
    tokens = []
    for _ in range(n):
        vol = register_volunteer()
        tokens.append((vol.id, token_for(vol.user)))
    return tokens


def _race(host, port, calls):
    """Run every (method, path, body, token) at the same moment; returns [(status, json)]."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def go(i, method, path, body, token):
        barrier.wait()
        results[i] = request(host, port, method, path, body,
                             {"Authorization": f"Bearer {token}"})

    threads = [threading.Thread(target=go, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


@pytest.mark.parametrize("keeps_waitlist", [True, False], ids=["waitlist", "no-waitlist"])
def test_200_volunteers_claim_the_last_10_spots_at_once(app, database_url, keeps_waitlist):
    with app.app_context():
        dep = make_signup_deployment(slug="launch-day", spots={"NC": 50}, keeps_waitlist=keeps_waitlist)
        for _ in range(40):
            claim_spot(dep, register_volunteer(), "NC")
        racers = _volunteers_with_tokens(200)
        db.session.commit()
    with gunicorn(database_url, workers=4) as (host, port):
        results = _race(host, port, [("POST", "/api/v1/deployments/launch-day/placements/NC/claims",
                                      {"role": "canvasser"}, token) for _, token in racers])
        status, api = request(host, port, "GET", "/api/v1/deployments/launch-day")
    statuses = Counter(status for status, _ in results)
    assert not [s for s in statuses if s >= 500], statuses
    assert statuses[201] == 10
    if keeps_waitlist:
        assert statuses[202] == 190
        positions = sorted(body["position"] for status, body in results if status == 202)
        assert positions == list(range(1, 191))
    else:
        assert statuses[409] == 190
        assert {body["error"] for status, body in results if status == 409} == {"full"}
    with app.app_context():
        counts = dict(db.session.execute(select(Signup.status, func.count()).group_by(Signup.status)).all())
        assert counts[SignupStatus.CONFIRMED] == 50
        assert counts.get(SignupStatus.WAITLISTED, 0) == (190 if keeps_waitlist else 0)
        nc = api["placements"][0]
        assert (nc["capacity"], nc["confirmed"], nc["remaining"], nc["waitlisted"]) == \
            (50, 50, 0, counts.get(SignupStatus.WAITLISTED, 0))
        assert audit.verify_chain(db.session).ok


def test_random_mix_never_overbooks_and_never_loses_a_volunteer(app, database_url):
    rng = random.Random(7)
    states = ["NC", "PA", "VA"]
    with app.app_context():
        dep = make_signup_deployment(slug="mix", spots={s: 4 for s in states})
        organiser = make_organiser(email="org@example.org")
        from app.services import accounts
        accounts.set_password(db.session, organiser, PASSWORD, actor=None)
        volunteers = _volunteers_with_tokens(120)
        db.session.commit()
        dep_id = dep.id
    make_staff(app, "org@example.org")
    expected_active = {vid: False for vid, _ in volunteers}
    errors, violations = [], []
    stop = threading.Event()
    checker = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])

    def watch():
        # Committed state, sampled all the time: held spots never exceed capacity.
        with checker.connect() as conn:
            while not stop.is_set():
                rows = conn.execute(text(
                    "SELECT p.state_code, p.capacity, COUNT(s.id) FROM placements p LEFT JOIN "
                    "signups s ON s.placement_id = p.id AND s.status IN "
                    "('confirmed', 'pending_approval', 'offered') WHERE p.deployment_id = :d "
                    "GROUP BY p.id, p.state_code, p.capacity"), {"d": dep_id}).all()
                conn.rollback()
                violations.extend(r for r in rows if r[2] > r[1])
                time.sleep(0.02)

    with gunicorn(database_url, workers=4) as (host, port):
        def volunteer_worker(own):
            local = random.Random(rng.random())
            for _ in range(12):
                vid, token = local.choice(own)
                auth = {"Authorization": f"Bearer {token}"}
                if not expected_active[vid]:
                    status, body = request(host, port, "POST",
                                           f"/api/v1/deployments/mix/placements/{local.choice(states)}/claims",
                                           {"role": "canvasser"}, auth)
                    if status in (201, 202):
                        expected_active[vid] = True
                    elif status != 409:
                        errors.append(("claim", status, body))
                elif local.random() < 0.5:
                    status, body = request(host, port, "GET", "/api/v1/deployments/mix/claims/mine",
                                           None, auth)
                    if status == 200 and body["status"] == "offered":
                        status, body = request(host, port, "POST",
                                               "/api/v1/deployments/mix/claims/mine/accept", None, auth)
                    if status >= 500:
                        errors.append(("accept", status, body))
                else:
                    status, body = request(host, port, "DELETE", "/api/v1/deployments/mix/claims/mine",
                                           None, auth)
                    if status == 200:
                        expected_active[vid] = False
                    else:
                        errors.append(("withdraw", status, body))

        def organiser_worker():
            browser = BrowserSession(host, port)
            browser.log_in("org@example.org", PASSWORD)
            engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
            local = random.Random(rng.random())
            try:
                for _ in range(25):
                    if local.random() < 0.5:
                        status, _ = browser.post(
                            f"/organiser/deployments/mix/placements/{local.choice(states)}",
                            {"capacity": str(local.randint(2, 7))})
                    else:
                        with engine.connect() as conn:
                            ids = conn.execute(text(
                                "SELECT id FROM signups WHERE deployment_id = :d AND status IN "
                                "('confirmed', 'pending_approval')"), {"d": dep_id}).scalars().all()
                        if not ids:
                            continue
                        status, _ = browser.post(
                            f"/organiser/deployments/mix/signups/{local.choice(ids)}/move",
                            {"state": local.choice(states)})
                    if status != 302:
                        errors.append(("organiser", status, ""))
            finally:
                engine.dispose()

        watcher = threading.Thread(target=watch)
        watcher.start()
        shares = [volunteers[i::10] for i in range(10)]
        workers = [threading.Thread(target=volunteer_worker, args=(share,)) for share in shares]
        workers += [threading.Thread(target=organiser_worker) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(300)
        stop.set()
        watcher.join(10)
    checker.dispose()

    assert not errors, errors[:5]
    assert not violations, violations[:5]
    with app.app_context():
        for placement in db.session.scalars(select(Placement).where(Placement.deployment_id == dep_id)):
            held = db.session.scalar(select(func.count()).select_from(Signup).where(
                Signup.placement_id == placement.id, Signup.status.in_(SPOT_HOLDING_STATUSES)))
            assert held <= placement.capacity
            waiting = db.session.scalar(select(func.count()).select_from(Signup).where(
                Signup.placement_id == placement.id, Signup.status == SignupStatus.WAITLISTED))
            # The database's own counters kept up with every concurrent change.
            assert (placement.held, placement.waiting) == (held, waiting)
        active = Counter(db.session.scalars(select(Signup.volunteer_id).where(
            Signup.deployment_id == dep_id, Signup.status.in_(ACTIVE_SIGNUP_STATUSES))))
        assert max(active.values(), default=0) <= 1
        lost = [vid for vid, should in expected_active.items() if should != (vid in active)]
        assert not lost, f"volunteers whose state differs from what they were told: {lost[:5]}"
        assert sum(expected_active.values()) > 30   # the mix really ran
        assert audit.verify_chain(db.session).ok
