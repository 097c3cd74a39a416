"""Benchmark of the compliance engine. Run: ``.venv/bin/python bench/bench_compliance.py``

Measures, on a throw-away SQLite file (or ``BENCH_DATABASE_URL``, e.g. a PostgreSQL database
you may wipe):
1. classifying 20,000 cost lines in memory under the default rule set (2024.2) — the engine
   alone; issue 11's target is < 1 s — with 2024.2's hard cases in the mix (reimbursement
   pairs, gifts above the nominal value, earned leave, a host's room without cash outlay,
   a payer whose country disagrees with its kind);
2. the commit that imports 20,000 lines in bulk and writes every finding (read, classify,
   write ~30,000 findings);
3. a full recompute with nothing changed (read, classify, compare, write nothing);
4. one edited line committed (the incremental path every form takes);
5. ``build_disclosure`` and the FEC CSV over 20,000 lines, then the disclosure over 50,000
   (issue 11's target: < 5 s on SQLite).

Prints one line per measurement (best and median of the repeats). Numbers are wall-clock on
whatever else the machine is doing.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (Citizenship, Cost, CostCategory, CostOrigin,  # noqa: E402
                        Deployment, Finding, LeaveType, OrganisationType, Payer, PayerKind,
                        Placement, Role, Signup, SignupRole, SignupStatus, User, Volunteer)
from app.models.types import utcnow  # noqa: E402
from app.services.compliance import engine, rules, sync  # noqa: E402
from app.services.compliance.disclosure import build_disclosure  # noqa: E402
from app.services.compliance.fec import fec_csv  # noqa: E402

LINES = 20_000
BIG = 50_000
PER_VOLUNTEER = 10
REPEATS = 3


def timed(label: str, func, repeats: int = REPEATS):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    print(f"{label:<62} best {min(times):7.3f} s   median {statistics.median(times):7.3f} s"
          f"   (n={repeats})")
    return result


# -- 1. the engine alone ---------------------------------------------------------------------
_MIX = [  # (category, payer kind, organisation type, in residence, description)
    ("TRAVEL", "SELF", None, False, "Flight"), ("TRAVEL", "SELF", None, False, "Train"),
    ("HOUSING", "CAMPAIGN", None, False, "Hotel"), ("MEALS", "SELF", None, False, "Meals"),
    ("STIPEND", "FOREIGN_PARTY", None, False, "Stipend"),
    ("MEALS", "US_INDIVIDUAL", None, True, "Dinner at home"),
    ("HOUSING", "UNKNOWN", None, False, "Rooms"),
    ("LOCAL_TRANSPORT", "US_ORGANISATION", "political_committee", False, "Car"),
    ("HOUSING", "US_ORGANISATION", "corporation", False, "Suites"),
    ("GIFT", "CAMPAIGN", None, False, "Campaign t-shirt"),
    ("PER_DIEM", "CAMPAIGN", None, False, "Per diem"),
    ("SALARY_CONTINUED", "FOREIGN_PARTY", None, False, "Salary"),
    # rule set 2024.2's hard cases
    ("GIFT", "CAMPAIGN", None, False, "Designer watch with campaign pin"),
    ("SALARY_CONTINUED", "US_ORGANISATION", "corporation", False, "Salary, earned leave"),
    ("HOUSING", "US_INDIVIDUAL", None, True, "Spare room (no cash outlay)"),
    ("GIFT", "US_ORGANISATION", "corporation", False, "Wedding present"),
    ("TRAVEL", "SELF", None, False, "Own flight, repaid by the next line"),
    ("TRAVEL", "CAMPAIGN", None, False, "Reimbursement of the flight"),
]
#: Index in _MIX of a line that repays the line before it (R18).
_REPAYS = len(_MIX) - 1
_CITIZENSHIPS = ["FOREIGN_NATIONAL"] * 6 + ["US_CITIZEN", "LPR", None]


def synthetic_lines(n: int) -> list[engine.LineFacts]:
    rng = random.Random(7)
    lines = []
    for i in range(n):
        category, kind, org, home, description = _MIX[i % len(_MIX)]
        volunteer = i // PER_VOLUNTEER
        lines.append(engine.LineFacts(
            line_id=i + 1, volunteer_id=volunteer, election_key="G2024",
            citizenship=_CITIZENSHIPS[volunteer % len(_CITIZENSHIPS)],
            leave_type="WORKING_TIME" if volunteer % 3 else "BONA_FIDE_EARNED_LEAVE",
            category=category, description=description,
            amount_usd=Decimal(rng.randrange(0, 150_000)) / 100,
            incurred_on=date(2024, 10, 1) + timedelta(days=i % 30), payer_id=hash(kind) % 100,
            payer_kind=kind, payer_name=f"host {volunteer % 40}" if home else kind,
            organisation_type=org, arranged_by_id=7 if i % 17 == 0 else None,
            arranged_by_kind="FOREIGN_PARTY" if i % 17 == 0 else None, in_residence=home,
            reimbursed=False, cash_outlay=not (home and category == "HOUSING"),
            payer_country="GB" if kind == "US_INDIVIDUAL" and i % 7 == 0 else None,
            reimburses_id=i if _repays(i) else None))
    return lines


def _repays(i: int) -> bool:
    """Line i (0-based) repays line i - 1: the mix says so and both are one volunteer's."""
    return i % len(_MIX) == _REPAYS and (i - 1) // PER_VOLUNTEER == i // PER_VOLUNTEER


def bench_engine() -> None:
    rule_set = rules.default_rule_set()
    lines = synthetic_lines(LINES)
    results = timed(f"1. classify {LINES:,} lines in memory (rule set {rule_set.version})",
                    lambda: engine.classify_lines(rule_set, lines))
    print(f"   -> {sum(len(v) for v in results.values()):,} outcomes")


# -- 2-5. through the database ---------------------------------------------------------------
def make_app(url: str):
    config = {"TESTING": True, "SECRET_KEY": "bench-" + "x" * 40, "SQLALCHEMY_DATABASE_URI": url,
              "RATELIMIT_ENABLED": False}
    app = create_app(config, instance_path=tempfile.mkdtemp(prefix="bench-instance-"))
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))
    return app


def seed(n_lines: int, slug: str) -> int:
    """A deployment with n_lines / 10 volunteers and n_lines lines, inserted in bulk."""
    s = db.session
    dep = Deployment(slug=slug, name=f"Bench {slug}", election_code="G2024",
                     starts_on=date(2024, 10, 1), ends_on=date(2024, 11, 6))
    s.add(dep)
    s.flush()
    placement = Placement(deployment_id=dep.id, state_code="NC", capacity=100_000,
                          arrive_from=dep.starts_on, depart_by=dep.ends_on)
    s.add(placement)
    payers = {}
    for category, kind, org, home, _d in _MIX:
        name = f"host {slug}" if home else f"{kind} {org or ''}".strip()
        if name not in payers:
            payers[name] = Payer(deployment_id=dep.id, name=name, kind=PayerKind(kind),
                                 organisation_type=OrganisationType(org) if org else None)
            s.add(payers[name])
    s.flush()
    n_people = n_lines // PER_VOLUNTEER
    now = utcnow()
    users = s.execute(insert(User).returning(User.id), [
        {"email": f"{slug}-{i}@bench.example", "full_name": f"Bench Person {i}",
         "role": Role.VOLUNTEER, "session_nonce": f"{i:032d}", "created_at": now}
        for i in range(n_people)]).scalars().all()
    volunteer_ids = s.execute(insert(Volunteer).returning(Volunteer.id), [
        {"user_id": uid, "created_at": now,
         "citizenship": (Citizenship(_CITIZENSHIPS[i % len(_CITIZENSHIPS)])
                         if _CITIZENSHIPS[i % len(_CITIZENSHIPS)] else None),
         "leave_type": LeaveType.WORKING_TIME} for i, uid in enumerate(users)]).scalars().all()
    s.execute(insert(Signup), [
        {"deployment_id": dep.id, "placement_id": placement.id, "volunteer_id": vid,
         "role": SignupRole.MANAGER if i % 50 == 0 else SignupRole.CANVASSER,
         "arrive_on": dep.starts_on, "depart_on": dep.ends_on, "status": SignupStatus.CONFIRMED,
         "created_at": now, "updated_at": now} for i, vid in enumerate(volunteer_ids)])
    rng = random.Random(11)
    rows = []
    for i in range(n_lines):
        category, kind, org, home, description = _MIX[i % len(_MIX)]
        name = f"host {slug}" if home else f"{kind} {org or ''}".strip()
        amount = Decimal(rng.randrange(0, 150_000)) / 100
        if _repays(i):
            amount = rows[i - 1]["amount"]  # repaid in full
        rows.append({"deployment_id": dep.id, "volunteer_id": volunteer_ids[i // PER_VOLUNTEER],
                     "category": CostCategory(category), "description": description,
                     "amount": amount, "currency": "USD", "amount_usd": amount,
                     "incurred_on": date(2024, 10, 1) + timedelta(days=i % 30),
                     "payer_id": payers[name].id, "in_residence": home,
                     "cash_outlay": not (home and category == "HOUSING"),
                     "origin": CostOrigin.IMPORT, "created_at": now, "updated_at": now})
    ids = s.execute(insert(Cost).returning(Cost.id, sort_by_parameter_order=True),
                    [row for i, row in enumerate(rows) if not _repays(i)]).scalars().all()
    by_line = dict(zip((i for i in range(n_lines) if not _repays(i)), ids))
    s.execute(insert(Cost), [{**row, "reimburses_id": by_line[i - 1]}
                             for i, row in enumerate(rows) if _repays(i)])
    return dep.id


def bench_database(url: str) -> None:
    app = make_app(url)
    with app.app_context():
        s = db.session
        dep_id = seed(LINES, "bench20k")
        start = time.perf_counter()
        s.commit()  # the commit hook classifies and writes every finding
        elapsed = time.perf_counter() - start
        count = s.scalar(select(func.count()).select_from(Finding))
        print(f"{f'2. commit of a {LINES:,}-line bulk import (writes findings)':<62} "
              f"once {elapsed:7.3f} s   -> {count:,} findings")
        deployment = s.get(Deployment, dep_id)

        def full_recompute():
            written = sync.recompute_deployment(s, deployment)
            s.commit()
            return written
        written = timed(f"3. recompute all {LINES:,} lines, nothing changed", full_recompute)
        print(f"   -> {written} rows written")

        line = s.scalars(select(Cost).where(Cost.deployment_id == dep_id).limit(1)).one()

        def one_edit():
            line.amount_usd = line.amount = line.amount + Decimal("1.00")
            s.commit()
        timed("4. edit one line and commit (incremental)", one_edit, repeats=5)

        data = timed(f"5a. build_disclosure over {LINES:,} lines",
                     lambda: build_disclosure(s, deployment))
        print(f"   -> {len(data['items']):,} items, fingerprint {data['fingerprint'][:12]}")
        csv_text = timed(f"5b. FEC-style CSV over {LINES:,} lines", lambda: fec_csv(s, deployment))
        print(f"   -> {csv_text.count(chr(10)) - 1:,} rows")
        s.rollback()

        big_id = seed(BIG, "bench50k")
        start = time.perf_counter()
        s.commit()
        print(f"{f'   (setup: commit of a {BIG:,}-line bulk import)':<62} once "
              f"{time.perf_counter() - start:7.3f} s")
        big = s.get(Deployment, big_id)
        data = timed(f"5c. build_disclosure over {BIG:,} lines", lambda: build_disclosure(s, big))
        print(f"   -> {len(data['items']):,} items")
        s.rollback()
        db.engine.dispose()


def main() -> None:
    print(f"compliance benchmark · python {sys.version.split()[0]} · {os.cpu_count()} CPUs")
    bench_engine()
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        bench_database(url)
        return
    with tempfile.TemporaryDirectory(prefix="bench-compliance-") as folder:
        bench_database(f"sqlite:///{folder}/bench.sqlite3")


if __name__ == "__main__":
    main()
