"""With 1,000 volunteers, 200 places and 20,000 cost lines the pages paginate and send as many
SQL statements as with a handful: the count does not grow with the data."""
import re
import time

import pytest

from app.extensions import db
from app.models import Role

from .builders import count_queries

# builders.scale_worlds, built once (in one xdist worker: the group keeps these together)
pytestmark = [pytest.mark.starts_from("world"), pytest.mark.xdist_group("world"),
              pytest.mark.slow]

PAGES = [
    ("ledger", "/"), ("ledger", "/?page=3"), ("ledger", "/?category=MEALS&page=2"),
    ("ledger", "/totals"), ("ledger", "/totals?page=4"), ("ledger", "/payers"),
    ("housing", "/"), ("housing", "/?state=NC&page=2"), ("housing", "/?from=2024-10-25"),
    ("housing", "/roster"), ("housing", "/roster?state=PA&page=5"),
    ("housing", "/roster?unhoused=1"),
]


@pytest.fixture
def worlds():
    return "small", "large"


def _statements(app, client, url) -> tuple[int, str, float]:
    with app.app_context():
        engine = db.engine
    started = time.perf_counter()
    with count_queries(engine) as statements:
        response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return len(statements), response.get_data(as_text=True), elapsed


def test_pages_send_the_same_number_of_queries_for_small_and_large_data(app, client, login_as,
                                                                        worlds):
    login_as(Role.AUDITOR)
    report = []
    for area, path in PAGES:
        counts = []
        for slug in worlds:
            url = f"/organiser/deployments/{slug}/{area}{path}"
            count, _body, elapsed = _statements(app, client, url)
            counts.append(count)
            report.append(f"{slug:>5} {count:3d} queries {elapsed * 1000:7.1f} ms  {area}{path}")
        assert counts[0] == counts[1], f"{area}{path}: {counts} queries (small, large)"
        assert counts[1] <= 12, f"{area}{path}: {counts[1]} queries"
    print("\n".join(report))


def test_large_pages_show_one_page_at_a_time_and_exports_everything(app, client, login_as, worlds):
    login_as(Role.ORGANISER)
    base = "/organiser/deployments/large"
    _n, ledger_page, _t = _statements(app, client, base + "/ledger/?page=2")
    assert ledger_page.count('<th scope="row"><a href=') == 50
    assert "Page 2 of 400 · 51–100 of 20000" in ledger_page
    _n, board, _t = _statements(app, client, base + "/housing/")
    assert board.count('<th scope="row">') == 20 and "Page 1 of 10" in board
    assert len(re.findall(r'data-night="2024-10-2[0-4]" data-taken="5"', board)) == 20 * 5
    _n, roster, _t = _statements(app, client, base + "/housing/roster")
    assert roster.count('<th scope="row">') == 50 and "of 1000" in roster
    _n, totals, _t = _statements(app, client, base + "/ledger/totals")
    assert "<strong>250000.00 USD</strong> in 20000 lines" in totals
    # The exports have every row, read in batches rather than a query per line.
    base += "/ledger/exports"
    with app.app_context():
        engine = db.engine
    with count_queries(engine) as statements:
        ledger_csv = client.get(base + "/ledger.csv").get_data(as_text=True)
    assert ledger_csv.count("\r\n") == 20001
    assert len(statements) < 10  # streamed in batches, not a query per line
    assert client.get(base + "/roster.csv").get_data(as_text=True).count("\r\n") == 1001
    assert client.get(base + "/housing.csv").get_data(as_text=True).count("\r\n") == 1001
