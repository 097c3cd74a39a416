"""Two organisers giving out the last bed at the same moment: one succeeds, one is told why.

Each organiser is a thread with its own app context, session and database connection, on the
real test database (a SQLite file, or PostgreSQL with TEST_DATABASE_URL). Listeners on the SQL
sent make the threads overlap on purpose instead of hoping they do:

- with the locks (the first three tests), the first thread to count the beds waits there until
  every other thread has reached the locks in ``assign_stay`` (it announces itself on the way
  in), then holds on a little more so that, were a lock missing, the others would count the
  same free bed now;
- without the locks (the last test), every thread waits after its count until all have
  counted, so all of them provably count the free bed before any inserts: the race is real,
  and only the locks stop it.
"""
import threading
import time

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import Accommodation, Signup, Stay
from app.services import housing
from app.services.errors import DomainError

from .builders import d, small_world

#: How long a thread that has counted the beds gives the others, waiting at the locks, to get
#: past them if they did not hold.
PAUSE = 0.3
#: Never wait for a signal longer than this (a missed one fails the test, it does not hang).
TIMEOUT = 10


def _race(app, jobs) -> list:
    """Run each job in its own thread and session, all released at once; commit or roll back."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(i, job):
        with app.app_context():
            try:
                prepared = job[0]()          # load what the job needs before the start signal
                barrier.wait(timeout=10)
                job[1](*prepared)
                db.session.commit()
                results[i] = "ok"
            except DomainError as exc:
                db.session.rollback()
                results[i] = exc
            except Exception as exc:  # noqa: BLE001 — reported by the assertion below
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _is_bed_count(statement: str) -> bool:
    """``housing.beds_taken``'s query (not the volunteer's clash check, which also reads stays)."""
    return " ".join(statement.split()).startswith(
        "SELECT stays.check_in, stays.check_out FROM stays WHERE stays.accommodation_id")


def _listen(app, listeners: dict):
    """Add engine listeners; returns a function that removes them."""
    with app.app_context():
        engine = db.engine
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    return lambda: [event.remove(engine, name, listener) for name, listener in listeners.items()]


def _overlap_at_the_locks(app, monkeypatch, racers: int):
    """With the locks in place: a thread that has counted the beds waits until all ``racers``
    threads have reached the locks; if some have not counted yet (they wait behind the lock),
    it holds on for PAUSE, long enough for them to count too if the lock let them through."""
    arrived: set[int] = set()
    counted: set[int] = set()
    changed = threading.Condition()
    lock_volunteer = housing._lock_volunteer   # the first lock assign_stay takes

    def announce_then_lock(session, volunteer_id):
        with changed:
            arrived.add(threading.get_ident())
            changed.notify_all()
        lock_volunteer(session, volunteer_id)

    def after_count(conn, cursor, statement, parameters, context, executemany):
        if not _is_bed_count(statement):
            return
        with changed:
            counted.add(threading.get_ident())
            if not changed.wait_for(lambda: len(arrived) == racers, timeout=TIMEOUT):
                raise AssertionError(f"only {len(arrived)} of {racers} threads reached the locks")
            others_waiting = len(counted) < racers
        if others_waiting:
            time.sleep(PAUSE)
    monkeypatch.setattr(housing, "_lock_volunteer", announce_then_lock)
    return _listen(app, {"after_cursor_execute": after_count})


def _all_count_before_any_writes(app, racers: int):
    """Without the locks: every thread waits after counting the beds until all have counted."""
    all_counted = threading.Barrier(racers)
    waited: set[int] = set()

    def after_count(conn, cursor, statement, parameters, context, executemany):
        if _is_bed_count(statement) and threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            all_counted.wait(timeout=TIMEOUT)  # a BrokenBarrierError fails the test
    return _listen(app, {"after_cursor_execute": after_count})


def _one_bed(app) -> dict:
    with app.app_context():
        ids = small_world("race")
        db.session.get(Accommodation, ids["hotel_id"]).beds = 1
        db.session.commit()
    return ids


def _assign(signup_id, accommodation_id):
    def load():
        return db.session.get(Signup, signup_id), db.session.get(Accommodation, accommodation_id)

    def act(signup, place):
        housing.assign_stay(db.session, signup=signup, accommodation=place, check_in=d(21),
                            check_out=d(24), actor=None)
    return load, act


def _stays(app):
    with app.app_context():
        return db.session.execute(select(Stay.signup_id, Stay.accommodation_id)).all()


def test_two_organisers_assigning_the_last_bed_one_wins_one_is_told(app, monkeypatch):
    ids = _one_bed(app)
    stop = _overlap_at_the_locks(app, monkeypatch, racers=2)
    try:
        results = _race(app, [_assign(ids["signup_ids"][0], ids["hotel_id"]),
                              _assign(ids["signup_ids"][1], ids["hotel_id"])])
    finally:
        stop()
    assert sorted(map(str, results)).count("ok") == 1, results
    refused = next(r for r in results if r != "ok")
    assert isinstance(refused, DomainError), refused
    assert "Midtown Hotel has no free bed on 2024-10-21" in refused.message
    assert len(_stays(app)) == 1


def test_many_organisers_at_once_never_overfill_a_place(app, monkeypatch):
    ids = _one_bed(app)
    with app.app_context():
        db.session.get(Accommodation, ids["hotel_id"]).beds = 2
        db.session.commit()
    stop = _overlap_at_the_locks(app, monkeypatch, racers=len(ids["signup_ids"]))
    try:
        results = _race(app, [_assign(s, ids["hotel_id"]) for s in ids["signup_ids"]])
    finally:
        stop()
    assert results.count("ok") == 2, results
    assert len(_stays(app)) == 2


def test_one_volunteer_put_in_two_places_at_once_lands_in_one(app, monkeypatch):
    ids = _one_bed(app)
    with app.app_context():
        from app.models import CostSplit
        from app.services import ledger
        deployment = db.session.get(Accommodation, ids["hotel_id"]).deployment
        other = housing.add_accommodation(
            db.session, deployment=deployment, actor=None, name="Other hotel", kind="hotel",
            state_code="NC", beds=5, nightly_cost="10.00", cost_split=CostSplit.PER_BED,
            payer_id=ledger.payers_for(db.session, deployment)[0].id)
        db.session.commit()
        other_id = other.id
    signup_id = ids["signup_ids"][0]
    stop = _overlap_at_the_locks(app, monkeypatch, racers=2)
    try:
        results = _race(app, [_assign(signup_id, ids["hotel_id"]), _assign(signup_id, other_id)])
    finally:
        stop()
    assert results.count("ok") == 1, results
    refused = next(r for r in results if r != "ok")
    assert "already sleeps at" in str(refused)
    assert len(_stays(app)) == 1


def test_without_the_lock_the_race_double_books(app, monkeypatch):
    """The control: two threads that both count the free bed before either inserts both get
    it. So the bed count alone cannot refuse the second organiser; the locks above do."""
    ids = _one_bed(app)
    monkeypatch.setattr(housing, "_lock_volunteer", lambda session, volunteer_id: None)
    monkeypatch.setattr(housing, "_lock_accommodation",
                        lambda session, place: session.refresh(place))
    stop = _all_count_before_any_writes(app, racers=2)
    try:
        results = _race(app, [_assign(ids["signup_ids"][0], ids["hotel_id"]),
                              _assign(ids["signup_ids"][1], ids["hotel_id"])])
    finally:
        stop()
    assert results == ["ok", "ok"], "the race did not happen, so the tests above prove nothing"
    assert len(_stays(app)) == 2  # one bed, two people: what the lock prevents


@pytest.fixture(autouse=True)
def _no_leftover_threads():
    yield
    assert threading.active_count() < 50
