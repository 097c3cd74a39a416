"""Spreadsheets out: ledger, roster and housing list; contact data optional; no formulas."""
import csv
import io

from sqlalchemy import select

from app.extensions import db
from app.models import Accommodation, Cost, CostCategory, Payer, Role, Signup
from app.services import costs_import, deployments, exports, housing, ledger, totals

from .builders import add_rate, d, small_world


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _world(app):
    """Two housed volunteers, one with a name and a line that try to be formulas."""
    with app.app_context():
        ids = small_world("ex")
        deployment = deployments.get_deployment(db.session, "ex")
        add_rate("GBP", d(1), "1.25")
        first, second = (db.session.get(Signup, i) for i in ids["signup_ids"][:2])
        first.volunteer.user.full_name = "=HYPERLINK(\"http://evil.example\",\"Jo\")"
        first.volunteer.phone = "+44 7700 900123"
        hotel = db.session.get(Accommodation, ids["hotel_id"])
        for signup in (first, second):
            housing.assign_stay(db.session, signup=signup, accommodation=hotel, check_in=d(21),
                                check_out=d(23), actor=None)
        ledger.record_cost(db.session, deployment=deployment, volunteer=second.volunteer,
                           category=CostCategory.TRAVEL, amount="640.00", currency="GBP",
                           incurred_on=d(18), payer=db.session.get(Payer, ids["party_id"]),
                           actor=None, description="-flight +bag @gate", paid_to="@airline",
                           arranged_by_id=ids["party_id"], evidence_ref="=1+1")
        db.session.commit()
        return ids


def _get(client, kind, contact=True):
    path = f"/organiser/deployments/ex/ledger/exports/{kind}.csv" + ("" if contact else
                                                                     "?contact=no")
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_the_ledger_export_starts_with_the_import_columns_and_shows_both_amounts(app, client,
                                                                                  login_as):
    ids = _world(app)
    login_as(Role.AUDITOR)
    response = _get(client, "ledger")
    assert response.content_type == "text/csv; charset=utf-8"
    assert 'attachment; filename="ex-ledger.csv"' == response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    header = next(csv.reader(io.StringIO(text)))
    assert header[:13] == list(costs_import.COLUMNS)
    rows = _rows(text)
    flight = next(r for r in rows if r["category"] == "TRAVEL")
    assert (flight["amount"], flight["currency"], flight["amount_usd"], flight["usd_per_unit"],
            flight["rate_on"]) == ("640.00", "GBP", "800.00", "1.25000000", "2024-10-01")
    assert (flight["payer_name"], flight["payer_kind"], flight["arranged_by"], flight["state"]) \
        == ("Northbridge Labour Party", "FOREIGN_PARTY", "Northbridge Labour Party", "NC")
    assert flight["volunteer_email"] == ids["emails"][1]
    stays = [r for r in rows if r["origin"] == "stay"]
    assert len(stays) == 2 and {r["amount"] for r in stays} == {"200.00"}


def test_cells_that_look_like_formulas_are_neutralised(app, client, login_as):
    _world(app)
    login_as(Role.ORGANISER)
    flight = next(r for r in _rows(_get(client, "ledger").get_data(as_text=True))
                  if r["category"] == "TRAVEL")
    assert flight["description"] == "'-flight +bag @gate"
    assert flight["paid_to"] == "'@airline" and flight["evidence_ref"] == "'=1+1"
    for kind in exports.KINDS:
        text = _get(client, kind).get_data(as_text=True)
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@")), (kind, cell)
    roster = _rows(_get(client, "roster").get_data(as_text=True))
    assert "'=HYPERLINK(\"http://evil.example\",\"Jo\")" in {r["full_name"] for r in roster}
    assert "'+44 7700 900123" in {r["phone"] for r in roster}


def test_without_contact_data_no_email_phone_or_address_leaves(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    for kind in exports.KINDS:
        full = _get(client, kind).get_data(as_text=True)
        bare = _get(client, kind, contact=False)
        assert bare.headers["Content-Disposition"].endswith(f'ex-{kind}-no-contact.csv"')
        text = bare.get_data(as_text=True)
        header = next(csv.reader(io.StringIO(text)))
        assert not {"email", "volunteer_email", "phone", "address"} & set(header), kind
        assert "@example.org" in full and "@example.org" not in text, kind
        assert "7700 900123" not in text and "1 Main St" not in text, kind
        assert len(_rows(text)) == len(_rows(full)) > 0
    housing_rows = _rows(_get(client, "housing", contact=False).get_data(as_text=True))
    assert {(r["accommodation"], r["check_in"], r["nights"], r["payer_name"])
            for r in housing_rows} == {("Midtown Hotel", "2024-10-21", "2", "Harper for America")}
    roster = _rows(_get(client, "roster", contact=False).get_data(as_text=True))
    assert {r["state"] for r in roster} == {"NC"} and len(roster) == len(ids["signup_ids"])


def test_the_roster_export_lists_every_signup_with_the_volunteers_details(app, client, login_as):
    _world(app)
    login_as(Role.ORGANISER)
    roster = _rows(_get(client, "roster").get_data(as_text=True))
    assert len(roster) == 3
    assert {r["status"] for r in roster} == {"confirmed"}
    assert {r["citizenship"] for r in roster} == {"FOREIGN_NATIONAL"}
    assert {r["email"] for r in roster} == {f"p{i}-ex@example.org" for i in range(3)}


def test_a_full_ledger_export_imports_again(app, login_as):
    _world(app)
    with app.app_context():
        source = deployments.get_deployment(db.session, "ex")
        text = exports.ledger_csv(db.session, source)
        target = deployments.create_deployment(db.session, slug="ex-copy", name="Copy",
                                               actor=None)
        result = costs_import.import_costs(db.session, target, text.encode(), actor=None,
                                           filename="ex-ledger.csv")
        db.session.commit()
        assert result.written == 3
        assert totals.grand_total(db.session, target).usd == \
            totals.grand_total(db.session, source).usd
        assert {p.name for p in ledger.payers_for(db.session, target)} == {
            "Harper for America", "Northbridge Labour Party"}
        copied = db.session.scalar(select(Cost).where(Cost.deployment_id == target.id,
                                                      Cost.category == CostCategory.TRAVEL))
        assert copied.description == "'-flight +bag @gate"  # neutralised text stays text


def test_an_unknown_export_is_a_404(app, client, login_as):
    _world(app)
    login_as(Role.ORGANISER)
    response = client.get("/organiser/deployments/ex/ledger/exports/passwords.csv")
    assert response.status_code == 404
    assert "There is no passwords export" in response.get_data(as_text=True)

