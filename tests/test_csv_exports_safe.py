"""Every CSV the app writes, fed formula payloads in every text field: none survives live.

The exports are found, not listed by hand: every route that answers ``text/csv`` is fetched,
the CLI's FEC file is written, and the report's embedded CSVs are made; a writer anywhere but
``app/services/csv_cells.py`` fails ``test_every_csv_writer_is_the_shared_one``.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Citizenship, CostCategory, OrganisationType, PayerKind, Role
from app.services import housing
from app.services.compliance import fec_facts
from app.services.compliance.disclosure import build_disclosure
from app.services.csv_cells import FORMULA_START, safe_cell
from app.services.reports import pdfa

from .builders import (make_cost, make_election_deployment, make_payer_of_kind, make_place,
                       make_signup, make_volunteer)

APP = Path(__file__).resolve().parent.parent / "app"
#: What an attacker types into names, notes and addresses.
#: (Short enough for the FEC's 20-character first names and 30-character cities.)
PAYLOADS = ['=HYPERLINK("//e.x")', "+cmd|'/C calc'!A0", "-2+3+cmd|'/C x'!A0",
            "@SUM(1+1)*cmd|'/C x'", "\t=1+1", "\r=2+2"]
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _poison(n: int) -> str:
    return PAYLOADS[n % len(PAYLOADS)]


@pytest.fixture
def poisoned(app):
    """A deployment whose every free-text field starts with a formula, with an FEC-complete
    in-kind receipt from a person and from a PAC, a stay and a signed-up volunteer."""
    with app.app_context():
        dep = make_election_deployment(slug="poison")
        fec_facts.set_committee_fec_id(db.session, dep, "C00123456", actor=None)
        person = make_volunteer(citizenship=Citizenship.US_CITIZEN, email="p@example.org")
        person.user.full_name = "=HYPERLINK(0) Smith"
        person.home_organisation, person.phone = PAYLOADS[1], PAYLOADS[2]
        signup = make_signup(dep, person)
        host = make_payer_of_kind(dep, PayerKind.US_INDIVIDUAL, name="Host Person",
                                  country="US")
        pac = make_payer_of_kind(dep, PayerKind.US_ORGANISATION, name="PAC",
                                 org=OrganisationType.POLITICAL_COMMITTEE, country="US")
        for n, payer in enumerate((host, pac)):
            fec_facts.set_payer_fec_facts(db.session, payer, actor=None, street_1="1 Main St",
                                          city="Durham", state_code="NC", zip_="27701",
                                          fec_committee_id="C00000007" if n else None)
            # Written as an import or a form could leave them: the export must not trust them.
            payer.name = (PAYLOADS[3] + " Jones") if n == 0 else PAYLOADS[0]
            payer.street_1, payer.city = _poison(n + 4), _poison(n + 5)
        n = 0
        for payer, category, amount in ((host, CostCategory.HOUSING, "450.00"),
                                        (pac, CostCategory.LOCAL_TRANSPORT, "80.00")):
            make_cost(dep, person, category, amount, payer, description=_poison(n),
                      paid_to=_poison(n + 1), evidence_ref=_poison(n + 2),
                      line_ref=f"{_poison(n + 3)}{n}")
            n += 1
        hotel = make_place(dep, host, name=_poison(1), address=_poison(2))
        hotel.city = _poison(3)
        housing.assign_stay(db.session, signup=signup, accommodation=hotel,
                            check_in=dep.starts_on, check_out=dep.starts_on.replace(day=22),
                            actor=None)
        db.session.commit()
        return dep.slug


def _csv_routes(app) -> list[str]:
    """Every URL rule that serves a CSV (a ``.csv`` path), filled in for the poisoned world."""
    found = []
    for rule in app.url_map.iter_rules():
        if ".csv" not in rule.rule or "GET" not in rule.methods:
            continue
        kinds = ["ledger", "roster", "housing"] if "<kind>" in rule.rule else [None]
        for kind in kinds:
            path = rule.rule.replace("<slug>", "poison")
            path = path.replace("<kind>", kind) if kind else path
            found.append(path)
    assert found, "no CSV routes found"
    return found


def _live_cells(text: str) -> list[str]:
    """Cells a spreadsheet would run as formulas."""
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row
            if cell.startswith(FORMULA_START) and not _NUMBER.fullmatch(cell)]


def _neutralised(text: str) -> set[str]:
    """Which payloads arrived in the file (neutralised): proof the fields were exported."""
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    return {p for p in PAYLOADS if any(c.startswith("'") and p.strip() in c for c in cells)}


def test_every_csv_route_neutralises_formulas_in_every_field(app, client, login_as, poisoned):
    login_as(Role.ORGANISER)
    fetched = 0
    for path in _csv_routes(app):
        for query in ("", "?contact=no"):
            response = client.get(path + query)
            assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
            assert response.mimetype == "text/csv"
            text = response.get_data(as_text=True)
            assert not _live_cells(text), (path + query, _live_cells(text))
            assert _neutralised(text), f"{path}: no payload reached the file"
            fetched += 1
    assert fetched >= 8  # ledger, roster, housing (× contact) and the FEC file


def test_the_fec_file_writes_names_and_organisations_as_text(app, client, login_as, poisoned):
    login_as(Role.AUDITOR)
    text = client.get("/deployments/poison/findings/fec.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows, "the poisoned world has complete in-kind receipts"
    pac = next(r for r in rows if r["contributor_organization_name"])
    assert pac["contributor_organization_name"].startswith("'=HYPERLINK")
    person = next(r for r in rows if r["contributor_first_name"])
    assert person["contributor_first_name"].startswith("'@SUM")
    assert not _live_cells(text)


def test_the_cli_fec_file_is_neutralised_too(app, runner, poisoned, tmp_path):
    out = tmp_path / "fec.csv"
    result = runner.invoke(args=["report", "fec", "poison", "-o", str(out)])
    assert result.exit_code in (0, 2), result.output
    text = out.read_text(encoding="ascii")
    assert not _live_cells(text) and _neutralised(text)


def test_the_reports_embedded_csvs_are_neutralised(app, poisoned):
    from app.services import deployments
    with app.app_context():
        disclosure = build_disclosure(db.session, deployments.get_deployment(db.session,
                                                                             "poison"))
    for made in (pdfa.ledger_csv(disclosure), pdfa.parts_csv(disclosure)):
        text = made.decode("utf-8")
        assert not _live_cells(text) and _neutralised(text)


def test_every_csv_writer_is_the_shared_one():
    """A new export cannot bypass the neutraliser: csv.writer lives in csv_cells only."""
    writers = [f"{path.relative_to(APP)}:{n}" for path in APP.rglob("*.py")
               for n, line in enumerate(path.read_text().splitlines(), 1)
               if re.search(r"csv\.(writer|DictWriter)\(", line)]
    assert writers == ["services/csv_cells.py:" + str(next(
        n for n, line in enumerate((APP / "services/csv_cells.py").read_text().splitlines(), 1)
        if "csv.writer(" in line))]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_safe_cell_neutralises_each_payload_and_leaves_numbers(payload):
    assert safe_cell(payload) == "'" + payload
    assert safe_cell("-12.50") == "-12.50" and safe_cell("Jo") == "Jo"
