"""Housing from the browser's side: the board, the roster, the forms, and who may do what."""
from flask import render_template
from sqlalchemy import select

from app.extensions import db
from app.models import Accommodation, Cost, Role, Signup, Stay, Volunteer
from app.services import housing, housing_reads

from .builders import d, make_deployment, small_world
from .conftest import count_rows, csrf_token


def _world(app):
    with app.app_context():
        return small_world("hp")


def _base(ids):
    return f"/organiser/deployments/{ids['slug']}/housing"


def _assign(app, ids, signup_index, check_in=d(21), check_out=d(24), place=None):
    with app.app_context():
        stay = housing.assign_stay(
            db.session, signup=db.session.get(Signup, ids["signup_ids"][signup_index]),
            accommodation=db.session.get(Accommodation, place or ids["hotel_id"]),
            check_in=check_in, check_out=check_out, actor=None)
        db.session.commit()
        return stay.id


def test_the_board_shows_each_night_who_sleeps_there_and_the_free_beds(app, client, login_as):
    ids = _world(app)
    _assign(app, ids, 0, d(20), d(22))
    _assign(app, ids, 1, d(21), d(23))
    login_as(Role.ORGANISER)
    page = client.get(_base(ids) + "/").get_data(as_text=True)
    assert 'data-night="2024-10-21" data-taken="2" data-free="0"' in page
    assert 'data-night="2024-10-20" data-taken="1" data-free="1"' in page
    assert 'data-night="2024-10-23" data-taken="0" data-free="2"' in page
    assert "full" in page and "Vol Unteer" in page
    assert "Paid by Harper for America (CAMPAIGN); arranged by Northbridge Labour Party" in page
    assert '<div class="table-wrap">' in page
    assert 'href="/organiser/deployments/hp/housing/accommodations/new"' in page
    later = client.get(_base(ids) + "/?from=2024-11-03").get_data(as_text=True)
    assert 'data-night="2024-11-03"' in later and 'data-night="2024-10-21"' not in later
    other_state = client.get(_base(ids) + "/?state=PA").get_data(as_text=True)
    assert "Midtown Hotel" not in other_state and "No places to stay in PA yet." in other_state


def test_organisers_add_a_place_with_its_payer_and_arranger_kept_apart(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    path = _base(ids) + "/accommodations/new"
    response = client.post(path, data={
        "csrf_token": csrf_token(client, path), "name": "Oak Street short let",
        "kind": "short_let", "address": "5 Oak St", "city": "Durham", "state_code": "nc",
        "beds": "3", "nightly_cost": "75.50", "currency": "usd", "cost_split": "shared",
        "payer_id": str(ids["self_id"]), "arranged_by_id": str(ids["party_id"])})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location == "/organiser/deployments/hp/housing/?state=NC"
    with app.app_context():
        place = db.session.scalar(select(Accommodation).where(Accommodation.name.like("Oak%")))
        assert (place.state_code, place.beds, str(place.nightly_cost), place.currency) == (
            "NC", 3, "75.50", "USD")
        assert (place.payer_id, place.arranged_by_id) == (ids["self_id"], ids["party_id"])
    assert "Oak Street short let added with 3 beds." in client.get(response.location).get_data(
        as_text=True)


def test_zero_beds_on_the_form_is_refused_and_nothing_is_written(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    path = _base(ids) + "/accommodations/new"
    for beds, message in (("0", "at least one bed"), ("-2", "at least one bed"),
                          ("two", "Not a valid integer")):
        response = client.post(path, data={
            "csrf_token": csrf_token(client, path), "name": "Nowhere", "kind": "hotel",
            "state_code": "NC", "beds": beds, "nightly_cost": "10", "currency": "USD",
            "cost_split": "per_bed", "payer_id": str(ids["campaign_id"])})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    response = client.post(path, data={
        "csrf_token": csrf_token(client, path), "name": "Nowhere", "kind": "hotel",
        "state_code": "NC", "beds": "2", "nightly_cost": "-10", "currency": "XXQ",
        "cost_split": "per_bed", "payer_id": str(ids["campaign_id"])})
    assert response.status_code == 422
    assert "An amount cannot be negative." in response.get_data(as_text=True)
    assert count_rows(app, Accommodation) == 1


def test_organisers_give_a_bed_from_the_roster(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    roster = client.get(_base(ids) + "/roster").get_data(as_text=True)
    new_stay = f"{_base(ids)}/signups/{ids['signup_ids'][0]}/stays/new"
    assert f'href="{new_stay}"' in roster and "no bed yet" in roster
    page = client.get(new_stay).get_data(as_text=True)
    assert 'value="2024-10-20"' in page and 'value="2024-11-06"' in page  # the volunteer's dates
    response = client.post(new_stay, data={"csrf_token": csrf_token(client, new_stay),
                                           "accommodation_id": str(ids["hotel_id"]),
                                           "check_in": "2024-10-21", "check_out": "2024-10-25"})
    assert response.status_code == 302
    shown = client.get(response.location).get_data(as_text=True)
    assert "sleeps at Midtown Hotel from 2024-10-21 to 2024-10-25" in shown
    assert "4 / 17" in shown  # nights housed of nights needed
    with app.app_context():
        line = db.session.scalar(select(Cost))
        assert (str(line.amount), line.origin.value) == ("400.00", "stay")


def test_a_full_night_or_bad_dates_on_the_form_say_what_is_wrong(app, client, login_as):
    ids = _world(app)
    _assign(app, ids, 0)
    _assign(app, ids, 1)
    login_as(Role.ORGANISER)
    new_stay = f"{_base(ids)}/signups/{ids['signup_ids'][2]}/stays/new"
    cases = [({"check_in": "2024-10-23", "check_out": "2024-10-26"},
              "Midtown Hotel has no free bed on 2024-10-23: all 2 are taken."),
             ({"check_in": "2024-10-26", "check_out": "2024-10-25"},
              "Check-out must be after check-in"),
             ({"check_in": "2024-10-10", "check_out": "2024-10-12"},
              "within the volunteer&#39;s dates (2024-10-20 to 2024-11-06)")]
    for dates, message in cases:
        response = client.post(new_stay, data={"csrf_token": csrf_token(client, new_stay),
                                               "accommodation_id": str(ids["hotel_id"]), **dates})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert count_rows(app, Stay) == 2


def test_move_split_end_and_remove_a_stay_from_its_page(app, client, login_as):
    ids = _world(app)
    stay_id = _assign(app, ids, 0, d(21), d(27))
    login_as(Role.ORGANISER)
    page_path = f"{_base(ids)}/stays/{stay_id}"
    page = client.get(page_path).get_data(as_text=True)
    assert "cannot be edited by hand" in page and "600.00 USD" in page
    token = csrf_token(client, page_path)
    moved = client.post(page_path + "/move", data={
        "csrf_token": token, "move-accommodation_id": str(ids["hotel_id"]),
        "move-check_in": "2024-10-22", "move-check_out": "2024-10-28"})
    assert moved.status_code == 302
    split = client.post(page_path + "/split", data={
        "csrf_token": token, "split-on": "2024-10-25",
        "split-accommodation_id": str(ids["hotel_id"])})
    assert split.status_code == 302
    second_id = int(split.location.rsplit("/", 1)[1])
    ended = client.post(f"{_base(ids)}/stays/{second_id}/end",
                        data={"csrf_token": token, "end-check_out": "2024-10-26"})
    assert ended.status_code == 302
    with app.app_context():
        stays = db.session.execute(select(Stay.check_in, Stay.check_out)
                                   .order_by(Stay.check_in)).all()
        assert stays == [(d(22), d(25)), (d(25), d(26))]
        assert sorted(str(c.amount) for c in db.session.scalars(select(Cost))) == [
            "100.00", "300.00"]
    bad_end = client.post(f"{_base(ids)}/stays/{second_id}/end",
                          data={"csrf_token": token, "end-check_out": "2024-10-29"})
    assert bad_end.status_code == 422
    assert "Ending early means a check-out before 2024-10-26" in bad_end.get_data(as_text=True)
    removed = client.post(f"{_base(ids)}/stays/{second_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 302
    assert count_rows(app, Stay) == 1 and count_rows(app, Cost) == 1


def test_auditors_read_housing_but_every_change_is_refused(app, client, login_as):
    ids = _world(app)
    stay_id = _assign(app, ids, 0)
    login_as(Role.AUDITOR)
    board = client.get(_base(ids) + "/")
    assert board.status_code == 200
    assert "Add a place to stay" not in board.get_data(as_text=True)
    stay_page = client.get(f"{_base(ids)}/stays/{stay_id}").get_data(as_text=True)
    assert "Move the stay" not in stay_page and "Remove this stay" not in stay_page
    roster = client.get(_base(ids) + "/roster").get_data(as_text=True)
    assert "Give a bed" not in roster
    token = csrf_token(client, "/login")
    writes = ["/accommodations/new", f"/accommodations/{ids['hotel_id']}",
              f"/signups/{ids['signup_ids'][1]}/stays/new", f"/stays/{stay_id}/move",
              f"/stays/{stay_id}/split", f"/stays/{stay_id}/end", f"/stays/{stay_id}/remove"]
    for path in writes:
        response = client.post(_base(ids) + path, data={
            "csrf_token": token, "name": "X", "kind": "hotel", "state_code": "NC", "beds": "9",
            "nightly_cost": "1", "currency": "USD", "payer_id": str(ids["campaign_id"]),
            "accommodation_id": str(ids["hotel_id"]), "check_in": "2024-10-21",
            "check_out": "2024-10-22", "end-check_out": "2024-10-22"})
        assert response.status_code == 403, path
        assert "may look but not change" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Accommodation, ids["hotel_id"]).beds == 2
        assert db.session.execute(select(Stay.check_in, Stay.check_out)).all() == [(d(21), d(24))]


def test_a_stay_from_another_deployment_is_not_found(app, client, login_as):
    ids = _world(app)
    stay_id = _assign(app, ids, 0)
    with app.app_context():
        make_deployment(slug="other")
        db.session.commit()
    login_as(Role.ORGANISER)
    assert client.get(f"/organiser/deployments/other/housing/stays/{stay_id}").status_code == 404
    assert client.get("/organiser/deployments/nope/housing/").status_code == 404


def test_the_my_stays_partial_shows_the_address_and_who_pays(app):
    ids = _world(app)
    _assign(app, ids, 0)
    with app.app_context(), app.test_request_context():
        volunteer = db.session.get(Volunteer, ids["volunteer_ids"][0])
        html = render_template("housing/_my_stays.html",
                               stays=housing_reads.my_stays(db.session, volunteer))
        nobody = render_template("housing/_my_stays.html", stays=[])
    assert "Midtown Hotel" in html and "1 Main St, Raleigh, NC" in html
    assert "Harper for America" in html and "CAMPAIGN" in html
    assert "Northbridge Labour Party" in html and "3 nights" in html
    assert "No bed has been arranged for you yet." in nobody
