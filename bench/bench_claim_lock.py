"""Where a claim's time goes, in one process: the whole request, and how long it holds SQLite's
write turn (the part no other worker can overlap). Complements bench_signups.py, which
measures throughput over HTTP.

    .venv/bin/python bench/bench_claim_lock.py [--claims 2000]

Builds its own database in a temporary folder (SQLite).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_signups import build_database  # noqa: E402  (also puts the app on sys.path)

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=2000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tripledger-bench-"))
    warm = 200
    build_database(folder, args.claims + warm)
    tokens = (folder / "tokens.txt").read_text().split()

    import fcntl

    from sqlalchemy import event

    from app import create_app, sqlite_writers
    from app.extensions import db

    turn, holds, statements = {}, [], [0]

    class TimedFlock:
        """sqlite_writers' view of fcntl, timing each turn from taken to given back."""
        LOCK_EX, LOCK_UN = fcntl.LOCK_EX, fcntl.LOCK_UN

        @staticmethod
        def flock(fd, operation):
            fcntl.flock(fd, operation)
            if operation == fcntl.LOCK_EX:
                turn["start"] = time.perf_counter()
            elif "start" in turn:
                holds.append(time.perf_counter() - turn.pop("start"))

    sqlite_writers.fcntl = TimedFlock
    app = create_app()
    client = app.test_client()
    with app.app_context():
        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*args):
            statements[0] += 1

    def claim(token: str) -> float:
        started = time.perf_counter()
        response = client.post("/api/v1/deployments/bench/placements/NC/claims",
                               json={"role": "canvasser"},
                               headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.get_data(as_text=True)
        return time.perf_counter() - started

    for token in tokens[:warm]:
        claim(token)
    holds.clear()
    statements[0] = 0
    took = [claim(token) for token in tokens[warm:warm + args.claims]]
    holds.sort()
    ms = 1000
    print(f"claims in process: {args.claims} (each a new volunteer, SQLite)")
    print(f"whole claim       median {statistics.median(took) * ms:.2f} ms, "
          f"mean {statistics.mean(took) * ms:.2f} ms")
    print(f"write turn held   median {statistics.median(holds) * ms:.2f} ms, "
          f"mean {statistics.mean(holds) * ms:.2f} ms, "
          f"p99 {holds[int(len(holds) * 0.99)] * ms:.2f} ms, max {holds[-1] * ms:.2f} ms")
    print(f"statements        {statements[0] / args.claims:.1f} per claim")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
