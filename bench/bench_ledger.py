"""Ledger at scale: importing 20,000 cost lines (target < 30 s), and the ledger, housing board
and roster pages with 1,000 volunteers, 200 places and 20,000 lines.

    .venv/bin/python bench/bench_ledger.py [--rows 20000] [--postgres URL]

Builds its own database: a SQLite file in a temporary folder, or, with --postgres, a new
temporary database next to the one in URL (dropped afterwards). The import runs through the
real command line (``flask --app wsgi import costs …``, a separate process, start-up included),
first with --dry-run, then for real (including the audit chain's 20,000+ events), then
``audit verify``. Pages are timed in-process with the test client, each one five times.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLUG = "bench-ledger"
START, END = date(2024, 10, 20), date(2024, 11, 6)
PASSWORD = "harbour lights at dawn"


def _env(db_url: str) -> dict:
    return {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "bench-" + "b" * 40,
            "TRIPLEDGER_ENV": "production", "TRIPLEDGER_LOG_LEVEL": "WARNING",
            "TRIPLEDGER_ARGON2_TIME_COST": "1",
            "TRIPLEDGER_ARGON2_MEMORY_COST": "8192", "TRIPLEDGER_ARGON2_PARALLELISM": "1"}


def _flask(db_url: str, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=_env(db_url), capture_output=True, text=True)
    return time.perf_counter() - started, done


def build(db_url: str, volunteers: int, places: int) -> list[str]:
    """Migrate; a deployment with ``volunteers`` signed up, ``places`` places with stays, rates."""
    took, done = _flask(db_url, "db", "upgrade")
    if done.returncode:
        sys.exit(done.stderr)
    os.environ.update(_env(db_url))
    from sqlalchemy import insert

    from app import create_app
    from app.extensions import db
    from app.models import (Accommodation, AccommodationKind, CostSplit, ExchangeRate, Role,
                            Signup, SignupRole, SignupStatus, Stay, User, Volunteer)
    from app.services import accounts, deployments, ledger

    app = create_app()
    now = datetime.now(timezone.utc)
    with app.app_context():
        dep = deployments.create_deployment(db.session, slug=SLUG, name="Bench ledger",
                                            actor=None, spots={"NC": volunteers, "PA": volunteers},
                                            starts_on=START, ends_on=END)
        accounts.create_user(db.session, email="organiser@bench.example", full_name="Org",
                             role=Role.ORGANISER, password=PASSWORD, actor=None)
        payer = ledger.add_payer(db.session, dep, name="Harper for America", kind="CAMPAIGN",
                                 actor=None)
        ledger.add_payer(db.session, dep, name="Northbridge Labour Party", kind="FOREIGN_PARTY",
                         country="GB", actor=None)
        db.session.flush()
        placements = {p.state_code: p.id for p in dep.placements}
        # Bulk rows straight into the tables: set-up speed, not part of what is measured.
        emails = [f"bench{i}@example.org" for i in range(volunteers)]
        db.session.execute(insert(User), [
            {"email": e, "full_name": f"Bench Person {i:04d}", "role": Role.VOLUNTEER,
             "password_hash": None, "is_active": True, "session_nonce": uuid4().hex,
             "created_at": now} for i, e in enumerate(emails)])
        user_ids = dict(db.session.execute(db.select(User.email, User.id)
                                           .where(User.email.in_(emails))).tuples().all())
        db.session.execute(insert(Volunteer), [
            {"user_id": user_ids[e], "home_organisation": "", "phone": "", "attestation_text": "",
             "created_at": now} for e in emails])
        vol_ids = dict(db.session.execute(db.select(Volunteer.user_id, Volunteer.id))
                       .tuples().all())
        db.session.execute(insert(Signup), [
            {"deployment_id": dep.id, "placement_id": placements["NC" if i % 2 else "PA"],
             "volunteer_id": vol_ids[user_ids[e]], "role": SignupRole.CANVASSER,
             "arrive_on": START, "depart_on": END, "status": SignupStatus.CONFIRMED,
             "created_at": now, "updated_at": now} for i, e in enumerate(emails)])
        db.session.execute(insert(Accommodation), [
            {"deployment_id": dep.id, "name": f"Place {i:03d}", "kind": AccommodationKind.HOTEL,
             "address": f"{i} Main St", "city": "Raleigh", "state_code": "NC" if i % 2 else "PA",
             "beds": 6, "nightly_cost": Decimal("80.00"), "currency": "USD",
             "cost_split": CostSplit.PER_BED, "payer_id": payer.id, "arranged_by_id": None,
             "is_host_residence": False, "notes": "", "created_at": now} for i in range(places)])
        place_ids = db.session.scalars(db.select(Accommodation.id).order_by(Accommodation.id)).all()
        signup_ids = db.session.scalars(db.select(Signup.id).order_by(Signup.id)).all()
        db.session.execute(insert(Stay), [
            {"signup_id": sid, "accommodation_id": place_ids[(n // 5) % len(place_ids)],
             "check_in": START, "check_out": START + timedelta(days=7), "created_at": now}
            for n, sid in enumerate(signup_ids)])
        day = date(2024, 9, 1)
        rates = []
        while day <= END:
            rates += [{"currency": "GBP", "rate_on": day, "usd_per_unit": Decimal("1.3050"),
                       "source": "bench", "created_at": now},
                      {"currency": "EUR", "rate_on": day, "usd_per_unit": Decimal("1.0900"),
                       "source": "bench", "created_at": now}]
            day += timedelta(days=1)
        db.session.execute(insert(ExchangeRate), rates)
        db.session.commit()
        db.engine.dispose()
    return emails


def write_costs(path: Path, emails: list[str], rows: int) -> None:
    from app.services.costs_import import COLUMNS
    rng = random.Random(20)
    payers = [("Self", "SELF", ""), ("Harper for America", "", ""),
              ("Northbridge Labour Party", "", ""), ("Ben Carver", "US_INDIVIDUAL", "US")]
    categories = ["TRAVEL", "MEALS", "LOCAL_TRANSPORT", "PER_DIEM", "STIPEND", "GIFT", "OTHER"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        for i in range(rows):
            name, kind, country = payers[i % len(payers)]
            currency = ("USD", "GBP", "EUR")[i % 3]
            out.writerow([emails[i % len(emails)], categories[i % len(categories)],
                          f"Bench line {i}", f"{rng.randrange(100, 200000) / 100:.2f}", currency,
                          (START - timedelta(days=i % 40)).isoformat(), name, kind, country,
                          "Northbridge Labour Party" if i % 5 == 0 else "", "Vendor",
                          "no", ""])


def time_pages(db_url: str) -> list[str]:
    os.environ.update(_env(db_url))
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db

    app = create_app({"WTF_CSRF_ENABLED": False})  # the bench logs in by posting the form
    client = app.test_client()
    client.post("/login", data={"email": "organiser@bench.example", "password": PASSWORD})
    base = f"/organiser/deployments/{SLUG}"
    pages = ["/ledger/", "/ledger/?page=200", "/ledger/totals", "/housing/",
             "/housing/?state=NC&page=5", "/housing/roster", "/housing/roster?page=15",
             "/ledger/exports/ledger.csv"]
    lines = []
    with app.app_context():
        engine = db.engine
    for page in pages:
        counted = []
        listener = lambda *args: counted.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        times = []
        for _ in range(5):
            counted.clear()
            started = time.perf_counter()
            response = client.get(base + page)
            response.get_data()
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (page, response.status_code)
        event.remove(engine, "before_cursor_execute", listener)
        median, worst = statistics.median(times) * 1000, max(times) * 1000
        lines.append(f"  {page:<28} {len(counted):3d} queries   median {median:7.1f} ms"
                     f"   max {worst:7.1f} ms")
    with app.app_context():
        db.engine.dispose()
    return lines


def time_browser_import(db_url: str, path: Path) -> list[str]:
    """The browser's import of the same file again: upload (checked), preview, confirm."""
    os.environ.update(_env(db_url))
    from app import create_app
    from app.extensions import db

    app = create_app({"WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/login", data={"email": "organiser@bench.example", "password": PASSWORD})
    base = f"/organiser/deployments/{SLUG}/ledger/import"
    started = time.perf_counter()
    with path.open("rb") as handle:
        uploaded = client.post(base, data={"file": (handle, "costs.csv")})
    upload = time.perf_counter() - started
    assert uploaded.status_code == 302, uploaded.status_code
    started = time.perf_counter()
    preview = client.get(uploaded.location)
    shown = time.perf_counter() - started
    assert preview.status_code == 200, preview.status_code
    started = time.perf_counter()
    confirmed = client.post(uploaded.location + "?again=1")
    confirm = time.perf_counter() - started
    assert confirmed.status_code == 302, confirmed.status_code
    with app.app_context():
        db.engine.dispose()
    return [f"  upload (checked)   {upload:6.2f} s", f"  preview            {shown:6.2f} s",
            f"  confirm (written)  {confirm:6.2f} s",
            f"  in all             {upload + shown + confirm:6.2f} s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--volunteers", type=int, default=1000)
    parser.add_argument("--places", type=int, default=200)
    parser.add_argument("--postgres", metavar="URL",
                        help="make a temporary database on this PostgreSQL server")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    admin = temp_db = None
    if args.postgres:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url
        temp_db = f"{make_url(args.postgres).database}_bench_{uuid4().hex[:6]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{temp_db}"'))
        db_url = make_url(args.postgres).set(database=temp_db).render_as_string(
            hide_password=False)
    else:
        db_url = f"sqlite:///{folder / 'bench.sqlite3'}"
    try:
        print(f"database: {'PostgreSQL' if args.postgres else 'SQLite (WAL)'}; "
              f"{os.cpu_count()} CPUs; {args.volunteers} volunteers, {args.places} places, "
              f"{args.rows} cost lines")
        emails = build(db_url, args.volunteers, args.places)
        path = folder / "costs.csv"
        write_costs(path, emails, args.rows)
        print(f"costs.csv: {path.stat().st_size / 1024 / 1024:.1f} MB")
        for label, extra in (("import --dry-run", ["--dry-run"]), ("import", [])):
            took, done = _flask(db_url, "import", "costs", SLUG, str(path), *extra)
            status = "ok" if done.returncode == 0 else f"FAILED: {done.stderr[:500]}"
            first = (done.stdout.strip().splitlines() or [""])[0]
            print(f"{label:<18} {took:6.2f} s   {status}   {first}")
        took, done = _flask(db_url, "audit", "verify")
        events = re.search(r"(\d+) events", done.stdout)
        said = done.stdout.strip() or done.stderr.strip()[:200]
        print(f"{'audit verify':<18} {took:6.2f} s   {said}" if events
              else f"audit verify FAILED: {done.stdout}{done.stderr}")
        if args.postgres:
            # Autovacuum analyses freshly loaded tables within a minute or so; do it now so
            # the pages are timed with the planner's steady-state statistics.
            from sqlalchemy import create_engine, text
            engine = create_engine(db_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text("ANALYZE"))
            engine.dispose()
        print("pages (5 requests each, in-process test client):")
        print("\n".join(time_pages(db_url)))
        print("the same file imported in the browser (in-process test client):")
        print("\n".join(time_browser_import(db_url, path)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if admin is not None:
            from sqlalchemy import text
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{temp_db}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
