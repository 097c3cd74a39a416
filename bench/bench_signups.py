"""Sign-up throughput: gunicorn with 2 workers on SQLite, 16 concurrent clients (wrk).

Measures in one run: /healthz (the baseline), the public spots page, and claims by new
volunteers (each request a different volunteer's token). Targets (issue 3): spots page >= 1/3
of /healthz's requests per second; claims >= 15% of it with p95 < 250 ms.

    .venv/bin/python bench/bench_signups.py [--seconds 10] [--connections 16]

Needs wrk (apt-get install wrk). Builds its own database in a temporary folder.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _env(db_url: str) -> dict:
    return {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "bench-" + "b" * 40,
            "TRIPLEDGER_ENV": "production", "TRIPLEDGER_LOG_LEVEL": "WARNING"}


def demo_slug(db_url: str) -> str:
    """The demo's slug: its season follows the clock (us-2028-general in 2026)."""
    import sqlite3
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        return conn.execute("SELECT slug FROM deployments WHERE slug LIKE 'us-%-general'"
                            ).fetchone()[0]


def build_database(folder: Path, volunteers: int) -> tuple[str, Path]:
    """Migrate, load the demo, add a roomy bench placement and ``volunteers`` token holders."""
    db_url = f"sqlite:///{folder / 'bench.sqlite3'}"
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for args in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run(flask + args, cwd=ROOT, env=_env(db_url), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ.update(_env(db_url))
    from sqlalchemy import insert

    from app import create_app
    from app.extensions import db
    from app.models import ApiToken, User, Volunteer
    from app.services import deployments

    app = create_app()
    tokens_file = folder / "tokens.txt"
    with app.app_context():
        # As many spots as a state may hold; open now (a deployment past its end is closed).
        today = date.today()
        deployments.create_deployment(db.session, slug="bench", name="Bench", actor=None,
                                      spots={"NC": deployments.MAX_CAPACITY},
                                      starts_on=today + timedelta(days=7),
                                      ends_on=today + timedelta(days=25))
        db.session.commit()
        now = datetime.now(timezone.utc)
        # Bulk rows straight into the tables: set-up speed, not part of what is measured.
        users = [{"email": f"bench{i}@example.org", "full_name": f"Bench {i}", "role": "volunteer",
                  "is_active": True, "session_nonce": secrets.token_hex(16), "created_at": now}
                 for i in range(volunteers)]
        db.session.execute(insert(User), users)
        ids = dict(db.session.execute(db.select(User.email, User.id)
                                      .where(User.email.like("bench%"))).all())
        db.session.execute(insert(Volunteer), [
            {"user_id": ids[u["email"]], "citizenship": "FOREIGN_NATIONAL", "country": "GB",
             "home_organisation": "", "phone": "", "attestation_text": "bench",
             "declared_at": now, "attested_at": now, "created_at": now} for u in users])
        raw = [f"tl_{secrets.token_urlsafe(32)}" for _ in users]
        db.session.execute(insert(ApiToken), [
            {"user_id": ids[u["email"]], "token_hash": hashlib.sha256(t.encode()).hexdigest(),
             "prefix": t[:10], "created_at": now} for u, t in zip(users, raw)])
        db.session.commit()
        db.engine.dispose()
    tokens_file.write_text("\n".join(raw) + "\n")
    return db_url, tokens_file


def wrk(url: str, seconds: int, connections: int, script: Path | None = None,
        script_args: tuple = ()) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p95 = re.search(r"p95_ms=([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)", out, re.M)
    return {"rps": rps, "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "p95_ms": float(p95.group(1)) if p95 else None, "raw": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--volunteers", type=int, default=12000)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    folder = Path(tempfile.mkdtemp(prefix="tripledger-bench-"))
    started = time.monotonic()
    db_url, tokens = build_database(folder, args.volunteers)
    print(f"set-up: {time.monotonic() - started:.1f}s ({args.volunteers} volunteers with tokens)")
    port = 5481
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
                               f"127.0.0.1:{port}", "--backlog", "2048", "wsgi:app"], cwd=ROOT,
                              env=_env(db_url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        time.sleep(3)
        healthz = wrk(base + "/healthz", args.seconds, args.connections)
        spots = wrk(base + "/deployments/" + demo_slug(db_url), args.seconds, args.connections)
        claims = wrk(base + "/", args.seconds, args.connections, ROOT / "bench/claims.lua",
                     (str(tokens), "2", "/api/v1/deployments/bench/placements/NC/claims"))
    finally:
        server.terminate()
        server.wait(15)
    spots_ratio = spots["rps"] / healthz["rps"]
    claims_ratio = claims["rps"] / healthz["rps"]
    print(f"machine: {os.cpu_count()} cores; gunicorn 2 workers; SQLite; wrk -t2 -c{args.connections} "
          f"-d{args.seconds}s")
    print(f"/healthz        {healthz['rps']:8.1f} req/s")
    print(f"spots page      {spots['rps']:8.1f} req/s  = {spots_ratio:.2f} of /healthz "
          f"(target >= 0.33: {'met' if spots_ratio >= 1 / 3 else 'MISSED'})")
    print(f"claims          {claims['rps']:8.1f} req/s  = {claims_ratio:.2f} of /healthz "
          f"(target >= 0.15: {'met' if claims_ratio >= 0.15 else 'MISSED'}); "
          f"p95 {claims['p95_ms']:.1f} ms (target < 250: "
          f"{'met' if claims['p95_ms'] < 250 else 'MISSED'}); non-2xx {claims['non2xx']}")
    if claims["non2xx"] or healthz["non2xx"] or spots["non2xx"]:
        print("WARNING: some responses were not 2xx; see the raw wrk output below")
        print(claims["raw"])
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
