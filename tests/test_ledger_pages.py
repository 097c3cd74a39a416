"""The ledger from the browser's side: lines, payers, rates, totals; auditors only read."""
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import Accommodation, Cost, ExchangeRate, Payer, Role, Signup
from app.services import housing

from .builders import add_rate, d, small_world
from .conftest import count_rows, csrf_token


def _world(app):
    with app.app_context():
        ids = small_world("lp")
        add_rate("GBP", d(1), "1.25")
        db.session.commit()
        return ids


def _base(ids):
    return f"/organiser/deployments/{ids['slug']}/ledger"


def _line_form(ids, **over):
    return {"volunteer_email": ids["emails"][0], "category": "TRAVEL",
            "description": "Flight", "amount": "640.00", "currency": "GBP",
            "incurred_on": "2024-10-18", "payer_id": str(ids["party_id"]),
            "arranged_by_id": str(ids["party_id"]), "paid_to": "Atlantic Air",
            "evidence_ref": "PARTY-INV-7",
            # the party pays: the rules warn, and these tests are about saving anyway
            "save_anyway": "y", **over}


def test_organisers_record_a_line_and_see_both_amounts(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    path = _base(ids) + "/costs/new"
    token = csrf_token(client, path)
    # A flight paid by a foreign party: the form warns, citing the rule, before saving.
    warned = client.post(path, data={"csrf_token": token, **_line_form(ids, save_anyway="")})
    text = warned.get_data(as_text=True)
    assert warned.status_code == 200 and "PROHIBITED_FOREIGN_INKIND" in text
    assert "52 U.S.C. 30121" in text and "Save anyway" in text
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Cost)) == 0
    response = client.post(path, data={"csrf_token": token, **_line_form(ids)})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.location).get_data(as_text=True)
    assert "Line recorded: £640.00 GBP ($800.00 USD), with 1 finding(s) for the auditors." in page
    assert "£640.00 GBP" in page and "800.00" in page and "at 1.25" in page
    assert "Northbridge Labour Party" in page and "FOREIGN_PARTY" in page
    assert "PARTY-INV-7" in page and "Atlantic Air" in page
    with app.app_context():
        line = db.session.scalar(select(Cost))
        assert (line.amount, line.amount_usd, line.origin.value) == (
            Decimal("640.00"), Decimal("800.00"), "manual")


def test_bad_line_input_is_shown_beside_its_field_and_nothing_is_written(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    path = _base(ids) + "/costs/new"
    cases = [({"amount": "-5"}, "An amount cannot be negative."),
             ({"amount": "twelve"}, "is not an amount"),
             ({"currency": "ZZZ"}, "is not an ISO 4217 currency code"),
             ({"currency": "EUR"},
              "No EUR exchange rate on or before 2024-10-18; enter one first."),
             ({"volunteer_email": "nobody@example.org"}, "No volunteer has the email"),
             ({"category": "BRIBE"}, "Not a valid choice"),
             ({"payer_id": "999999"}, "Not a valid choice"),
             ({"incurred_on": "yesterday"}, "Not a valid date value")]
    for change, message in cases:
        response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                           **_line_form(ids, **change)})
        assert response.status_code == 422, change
        assert message in response.get_data(as_text=True), change
    assert count_rows(app, Cost) == 0


def test_a_line_is_corrected_and_deleted_but_a_stay_line_is_not(app, client, login_as):
    ids = _world(app)
    with app.app_context():
        housing.assign_stay(db.session, signup=db.session.get(Signup, ids["signup_ids"][0]),
                            accommodation=db.session.get(Accommodation, ids["hotel_id"]),
                            check_in=d(21), check_out=d(23), actor=None)
        db.session.commit()
        stay_line = db.session.scalar(select(Cost.id))
    login_as(Role.ORGANISER)
    new = _base(ids) + "/costs/new"
    client.post(new, data={"csrf_token": csrf_token(client, new), **_line_form(ids)})
    with app.app_context():
        manual = db.session.scalar(select(Cost.id).where(Cost.id != stay_line))
    edit = f"{_base(ids)}/costs/{manual}"
    form = client.get(edit).get_data(as_text=True)
    assert 'value="640.00"' in form and ids["emails"][0] in form
    saved = client.post(edit, data={"csrf_token": csrf_token(client, edit),
                                    **_line_form(ids, amount="600.00", reimbursed="y",
                                                 reimbursed_on="2024-11-10")})
    assert saved.status_code == 302
    with app.app_context():
        line = db.session.get(Cost, manual)
        assert (line.amount_usd, line.reimbursed, line.reimbursed_on) == (
            Decimal("750.00"), True, date_(2024, 11, 10))
    derived = f"{_base(ids)}/costs/{stay_line}"
    page = client.get(derived).get_data(as_text=True)
    assert "cannot be edited by hand" in page and 'name="amount"' not in page
    refused = client.post(derived, data={"csrf_token": csrf_token(client, edit),
                                         **_line_form(ids, amount="1.00")})
    assert refused.status_code == 409
    assert "worked out from a stay" in refused.get_data(as_text=True)
    refused = client.post(derived + "/delete", data={"csrf_token": csrf_token(client, edit)})
    assert refused.status_code == 302
    assert "worked out from a stay" in client.get(refused.location).get_data(as_text=True)
    deleted = client.post(edit + "/delete", data={"csrf_token": csrf_token(client, edit)})
    assert deleted.status_code == 302
    with app.app_context():
        assert db.session.get(Cost, manual) is None
        assert db.session.get(Cost, stay_line).amount == Decimal("200.00")


def date_(*args):
    from datetime import date
    return date(*args)


def test_the_payer_registry_adds_and_corrects_payers(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    path = _base(ids) + "/payers"
    added = client.post(path, data={"csrf_token": csrf_token(client, path),
                                     "name": "Carolina Volunteers PAC", "kind": "US_ORGANISATION",
                                     "country": "us", "organisation_type": "political_committee"})
    assert added.status_code == 302
    for bad, message in (({"kind": "MARTIAN"}, "Not a valid choice"),
                         ({"name": "Self", "kind": "SELF"}, "already in the registry"),
                         ({"country": "Narnia"}, "Field cannot be longer than 2 characters"),
                         ({"country": "QQ"}, "not an ISO 3166 country code")):
        response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                           "name": "Other", "kind": "SELF", **bad})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    page = client.get(path).get_data(as_text=True)
    assert "Carolina Volunteers PAC" in page and "Political committee" in page
    edit = f"{path}/{ids['party_id']}"
    assert client.post(edit, data={"csrf_token": csrf_token(client, edit), "name": "NLP",
                                   "kind": "FOREIGN_PARTY", "country": "GB"}).status_code == 302
    with app.app_context():
        assert db.session.get(Payer, ids["party_id"]).name == "NLP"
        assert count_rows(app, Payer) == 4


def test_exchange_rates_are_entered_with_their_source(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    path = _base(ids) + "/rates"
    ok = client.post(path, data={"csrf_token": csrf_token(client, path), "currency": "eur",
                                 "rate_on": "2024-10-02", "usd_per_unit": "1.0921",
                                 "source": "ECB reference rate"})
    assert ok.status_code == 302
    assert "1 EUR = 1.09210000 USD on 2024-10-02 recorded." in client.get(path).get_data(
        as_text=True)
    for bad, message in (({"usd_per_unit": "0"}, "above zero"),
                         ({"currency": "GBP", "rate_on": "2024-10-01"}, "already has a rate"),
                         ({"currency": "QQQ"}, "ISO 4217")):
        response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                           "currency": "EUR", "rate_on": "2024-10-03",
                                           "usd_per_unit": "1.1", "source": "ECB", **bad})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert count_rows(app, ExchangeRate) == 2


def test_the_totals_page_sums_per_payer_kind_state_category_and_volunteer(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    new = _base(ids) + "/costs/new"
    for email, amount in ((ids["emails"][0], "100.00"), (ids["emails"][1], "20.00")):
        client.post(new, data={"csrf_token": csrf_token(client, new),
                               **_line_form(ids, volunteer_email=email, amount=amount)})
    page = client.get(_base(ids) + "/totals").get_data(as_text=True)
    assert "<strong>150.00 USD</strong> in 2 lines" in page
    for text in ("FOREIGN_PARTY", "Northbridge Labour Party", "TRAVEL", ">NC<", "125.00",
                 "25.00"):
        assert text in page, text


def test_auditors_read_the_ledger_but_cannot_change_it(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    new = _base(ids) + "/costs/new"
    client.post(new, data={"csrf_token": csrf_token(client, new), **_line_form(ids)})
    client.get("/logout")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    login_as(Role.AUDITOR)
    with app.app_context():
        line = db.session.scalar(select(Cost.id))
    for path in ("/", "/totals", "/payers", "/rates", "/import", "/exports",
                 f"/costs/{line}", "/exports/ledger.csv"):
        assert client.get(_base(ids) + path).status_code == 200, path
    page = client.get(_base(ids) + "/").get_data(as_text=True)
    assert "Record a cost" not in page and "· edit" not in page
    assert 'name="file"' not in client.get(_base(ids) + "/import").get_data(as_text=True)
    token = csrf_token(client, "/login")
    for path in ("/costs/new", f"/costs/{line}", f"/costs/{line}/delete", "/payers",
                 f"/payers/{ids['party_id']}", "/rates", "/import", "/import/tok",
                 "/import/tok/discard"):
        response = client.post(_base(ids) + path, data={"csrf_token": token,
                                                         **_line_form(ids, amount="1.00")})
        assert response.status_code == 403, path
    with app.app_context():
        assert db.session.get(Cost, line).amount == Decimal("640.00")
    assert count_rows(app, Cost) == 1


def test_volunteers_and_strangers_cannot_see_the_ledger(app, client, login_as):
    ids = _world(app)
    assert client.get(_base(ids) + "/").status_code == 302
    login_as(Role.VOLUNTEER)
    assert client.get(_base(ids) + "/").status_code == 403
    assert client.get(_base(ids) + "/exports/roster.csv").status_code == 403


def test_a_line_without_warnings_saves_at_once(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    path = _base(ids) + "/costs/new"
    response = client.post(path, data={"csrf_token": csrf_token(client, path), **_line_form(
        ids, payer_id=str(ids["campaign_id"]), arranged_by_id="", category="MEALS",
        currency="USD", amount="40.00", save_anyway="")})
    assert response.status_code == 302
    assert "Save anyway" not in client.get(path).get_data(as_text=True)
