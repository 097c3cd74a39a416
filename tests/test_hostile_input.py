"""Input an attacker chooses: query strings, API bodies and uploaded CSVs get a clear 4xx,
never a 500, and a refused upload writes nothing."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from app.extensions import db
from app.models import Citizenship, Cost, Role
from app.models.ledger import ImportUpload
from app.services import accounts, costs_import, csv_import, paging
from app.services.compliance.review import QueueFilters

from .builders import add_rate, d, register_volunteer, small_world
from .conftest import count_rows, csrf_token
from .test_access_matrix import ROUTES, world  # noqa: F401  (the matrix's records)

APP = Path(__file__).resolve().parent.parent / "app"
#: Values that once reached int(), the database or date arithmetic unchecked.
HOSTILE = ["99999999999999999999", "²", "0001-01-01", "\x00", "x" * 3000]


def _query_names() -> set[str]:
    """Every query parameter a view or service reads (``args.get("name")``/``args["name"]``)."""
    names = set()
    for path in APP.rglob("*.py"):
        names |= set(re.findall(r"args(?:\.get\(|\[)\"(\w+)\"", path.read_text()))
    return names


def test_the_sweep_knows_the_parameters_the_issue_names():
    assert {"page", "from", "min_severity", "payer_id", "volunteer_id", "state",
            "contact", "fec_form"} <= _query_names()


@pytest.mark.slow
@pytest.mark.parametrize("role", [Role.ORGANISER, Role.VOLUNTEER])
def test_no_query_value_makes_any_page_fail(app, client, login_as, world, role):  # noqa: F811
    email = login_as(role)
    with app.app_context():
        token = accounts.issue_token(db.session, accounts.get_user(db.session, email),
                                     actor=None)
        db.session.commit()
    failures, refused = [], 0
    for endpoint, (method, path, _expected) in ROUTES.items():
        if method != "GET" or endpoint == "auth.logout":
            continue
        url = path.format(**world)
        headers = {"Authorization": f"Bearer {token}"} if endpoint.startswith("api") else {}
        for name in sorted(_query_names()):
            for value in HOSTILE:
                sep = "&" if "?" in url else "?"
                response = client.get(url + sep + urlencode({name: value}), headers=headers)
                response.close()
                if response.status_code >= 500:
                    failures.append(f"{endpoint} ?{name}={value[:20]!r}: "
                                    f"{response.status_code}")
                refused += response.status_code == 400
    assert not failures, "\n".join(failures)
    assert refused > 50


@pytest.fixture
def listed(app):
    with app.app_context():
        ids = small_world("q")
        db.session.commit()
        return ids


@pytest.mark.parametrize(("path", "needle"), [
    ("/ledger/?page=99999999999999999999", "page must be a page number from 1 to 999999"),
    ("/ledger/?page=%C2%B2", "page must be a page number"),
    ("/ledger/?volunteer=99999999999999999999", "volunteer must be a record number"),
    ("/ledger/?category=BRIBES", "category must be one of"),
    ("/ledger/exports/ledger.csv?contact=maybe", "contact must be yes or no"),
    ("/housing/?from=0001-01-01", "from must be a date written YYYY-MM-DD between 1900-01-01"),
    ("/housing/?from=9999-12-31", "from must be a date"),
    ("/housing/roster?unhoused=2", "unhoused must be 1 or 0"),
    ("/signups?status=lost", "status must be one of"),
])
def test_organiser_lists_answer_400_naming_the_parameter(client, login_as, listed, path, needle):
    login_as(Role.ORGANISER)
    base = "/organiser/deployments/q" + ("/ledger" if path.startswith("/ledger") else
                                        "/housing" if path.startswith("/housing") else "")
    url = base + path.removeprefix("/ledger").removeprefix("/housing") \
        if base.endswith(("ledger", "housing")) else base + path
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert needle in response.get_data(as_text=True)


def test_the_findings_queue_refuses_an_out_of_range_severity(client, login_as, listed):
    login_as(Role.AUDITOR)
    for query in ("min_severity=99999999999999999999", "min_severity=%C2%B2",
                  "sort=random", "code=DROP%20TABLE"):
        response = client.get(f"/deployments/q/findings/?{query}")
        assert response.status_code == 400, query
        assert query.split("=")[0] + " must be" in response.get_data(as_text=True)
    assert client.get("/deployments/q/findings/?min_severity=3&status=all").status_code == 200


def test_the_api_answers_a_bad_query_value_with_a_json_400(app, client, listed):
    with app.app_context():
        auditor = accounts.create_user(db.session, email="aud@example.org", full_name="A",
                                       role=Role.AUDITOR, password=None, actor=None)
        headers = {"Authorization": "Bearer " + accounts.issue_token(db.session, auditor,
                                                                     actor=None)}
        db.session.commit()
    for query in ("volunteer_id=99999999999999999999", "payer_id=%C2%B2", "state=N%00C"):
        response = client.get(f"/api/v1/deployments/q/disclosure?{query}", headers=headers)
        assert response.status_code == 400, query
        assert response.get_json()["error"] == "bad_query"
        assert query.split("=")[0] in response.get_json()["message"]


def test_query_validators_accept_sense_and_name_what_they_refuse():
    assert paging.page_number(None) == 1 and paging.page_number("7") == 7
    assert paging.id_arg("") is None and paging.id_arg("42", "payer") == 42
    assert paging.date_arg("2024-10-21", "from").isoformat() == "2024-10-21"
    assert paging.flag_arg("no", "contact", yes="yes", no="no", default=True) is False
    for call in (lambda: paging.page_number("0"), lambda: paging.page_number("٣"),
                 lambda: paging.id_arg(str(2**31), "payer"),
                 lambda: paging.date_arg("2024-1-1", "from"),
                 lambda: paging.text_arg("a\x00b", "next")):
        with pytest.raises(paging.BadQuery):
            call()
    with pytest.raises(paging.BadQuery, match="min_severity"):
        QueueFilters.from_args({"min_severity": "99999999999999999999"})


# -- JSON bodies ----------------------------------------------------------------------------
@pytest.fixture
def volunteer_token(app):
    with app.app_context():
        ids = small_world("api")
        person = register_volunteer(Citizenship.US_CITIZEN, email="api-vol@example.org")
        token = accounts.issue_token(db.session, person.user, actor=None)
        db.session.commit()
        return {"Authorization": f"Bearer {token}", **ids}


CLAIM = "/api/v1/deployments/api/placements/NC/claims"


def test_a_deeply_nested_json_body_is_a_json_400(client, volunteer_token):
    auth = {"Authorization": volunteer_token["Authorization"]}
    for depth, status, error in ((100_000, 413, "too_large"), (30_000, 400, "bad_json")):
        deep = "[" * depth + "]" * depth
        response = client.post(CLAIM, data=deep, content_type="application/json", headers=auth)
        assert response.status_code == status and response.get_json()["error"] == error
    assert "nested more than 20 levels" in response.get_json()["message"]
    nested_in_a_field = json.dumps({"role": json.loads("[" * 30 + "]" * 30)})
    response = client.post(CLAIM, data=nested_in_a_field, content_type="application/json",
                           headers={"Authorization": volunteer_token["Authorization"]})
    assert response.status_code == 400 and response.get_json()["error"] == "bad_json"


def test_a_large_json_body_is_a_json_413_and_malformed_json_a_400(client, volunteer_token):
    auth = {"Authorization": volunteer_token["Authorization"]}
    big = json.dumps({"role": "canvasser", "note": "x" * (1024 * 1024)})
    response = client.post(CLAIM, data=big, content_type="application/json", headers=auth)
    assert response.status_code == 413 and response.get_json()["error"] == "too_large"
    response = client.post(CLAIM, data='{"role": ', content_type="application/json",
                           headers=auth)
    assert response.status_code == 400 and response.get_json()["error"] == "bad_json"
    # strings that look like nesting are not nesting
    fine = json.dumps({"role": "canvasser", "note": "[" * 100})
    assert client.post(CLAIM, data=fine, content_type="application/json",
                       headers=auth).status_code in (201, 202, 409)


# -- uploaded CSVs --------------------------------------------------------------------------
IMPORT = "/organiser/deployments/imp/ledger/import"


@pytest.fixture
def costs_world(app):
    with app.app_context():
        ids = small_world("imp")
        add_rate("GBP", d(1), "1.25")
        db.session.commit()
        return ids


def _costs_file(email: str, rows: int, poisoned_line: int, char: str = "\x00") -> bytes:
    lines = [",".join(costs_import.COLUMNS)]
    for n in range(2, rows + 2):
        description = f"Lunch {n}" + (char if n == poisoned_line else "")
        lines.append(f"{email},MEALS,{description},12.00,USD,2024-10-21,Self,,,,Cafe,,")
    return ("\n".join(lines) + "\n").encode()


def test_a_nul_byte_past_the_first_64_kb_is_refused_at_the_preview(app, client, login_as,
                                                                    costs_world):
    """On PostgreSQL the import used to fail with a 500 after a clean preview."""
    login_as(Role.ORGANISER)
    data = _costs_file(costs_world["emails"][0], 2000, poisoned_line=1500)
    assert data.index(b"\x00") > 65536
    response = client.post(IMPORT, data={"csrf_token": csrf_token(client, IMPORT),
                                         "file": (io.BytesIO(data), "costs.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[:500]
    assert "line 1500: a NUL byte (0x00)" in page
    assert count_rows(app, ImportUpload) == 0 and count_rows(app, Cost) == 0


def test_control_characters_are_listed_by_line_and_nothing_is_written(app, costs_world):
    data = _costs_file(costs_world["emails"][0], 30, poisoned_line=12, char="\x1b")
    with app.app_context():
        from app.services import deployments
        with pytest.raises(csv_import.FileRejected, match=r"line 12: a control character "
                                                          r"\(0x1b\)"):
            costs_import.import_costs(db.session, deployments.get_deployment(db.session, "imp"),
                                      data, actor=None)
    assert count_rows(app, Cost) == 0
    many = b"".join(b"a,b\x07\n" for _ in range(15))
    with pytest.raises(csv_import.FileRejected, match="line 10: .*; and 5 more"):
        csv_import.decode(many)
    # tabs, CRLF line ends and non-ASCII letters are text
    assert csv_import.decode("a\tb\r\nJosé,Zoë\r\n".encode()) == "a\tb\r\nJosé,Zoë\r\n"


def test_the_cli_import_refuses_a_late_nul_byte_too(app, runner, costs_world, tmp_path):
    path = tmp_path / "costs.csv"
    path.write_bytes(_costs_file(costs_world["emails"][0], 2000, poisoned_line=1999))
    result = runner.invoke(args=["import", "costs", "imp", str(path)])
    assert result.exit_code != 0 and "line 1999: a NUL byte" in result.output
    assert count_rows(app, Cost) == 0


def test_an_ordinary_claim_still_goes_through_the_api(client, volunteer_token):
    """The limits leave ordinary bodies alone."""
    response = client.post(CLAIM, json={"role": "canvasser", "attestation": True},
                           headers={"Authorization": volunteer_token["Authorization"]})
    assert response.status_code in (201, 202), response.get_json()
