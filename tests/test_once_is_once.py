"""Once is once (issue 13): the same rendered cost form submitted twice — back button, double
click, a retried request, or ten copies at the same moment — records one line, and the second
submission is told so and shown that line."""
import re
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Cost, FormSubmission, Role
from app.services import accounts

from .browser import PHONE, chromium, live_server, log_in_page
from .builders import add_rate, d, small_world
from .conftest import PASSWORD, count_rows, csrf_token, make_staff
from .live import BrowserSession, gunicorn

ONCE = re.compile(r'<input [^>]*name="once"[^>]*value="([^"]+)"')


def _world(app):
    with app.app_context():
        ids = small_world("once")
        add_rate("GBP", d(1), "1.25")
        db.session.commit()
        return ids


def _path(ids):
    return f"/organiser/deployments/{ids['slug']}/ledger/costs/new"


def _form(ids, **over):
    return {"volunteer_email": ids["emails"][0], "category": "MEALS", "description": "Dinner",
            "amount": "42.00", "currency": "USD", "incurred_on": "2024-10-22",
            "payer_id": str(ids["self_id"]), "arranged_by_id": "", "paid_to": "Diner",
            "evidence_ref": "", "save_anyway": "y", **over}


def _token(html: str) -> str:
    match = ONCE.search(html)
    assert match, "the form carries no one-time token"
    return match.group(1)


def test_the_same_form_sent_twice_records_one_line_and_says_so(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    page = client.get(_path(ids)).get_data(as_text=True)
    token = _token(page)
    form = {"csrf_token": csrf_token(client, _path(ids)), "once": token, **_form(ids)}
    first = client.post(_path(ids), data=form)
    assert first.status_code == 302 and first.location.endswith("/ledger/")
    again = client.post(_path(ids), data=form)
    assert again.status_code == 302
    with app.app_context():
        line = db.session.scalar(select(Cost))
        assert count_rows(app, Cost) == 1
        assert again.location.endswith(f"/ledger/costs/{line.id}")
    shown = client.get(again.location).get_data(as_text=True)
    assert f"This form was already saved as line #{line.id} (it was sent twice)" in shown
    # A new rendering with the same values (the back button brings the values, not the
    # token): nothing is saved, the page says which line it is the same as.
    other = {**form, "once": _token(client.get(_path(ids)).get_data(as_text=True))}
    assert other["once"] != token
    asked = client.post(_path(ids), data=other)
    assert asked.status_code == 409
    text = asked.get_data(as_text=True)
    assert "Nothing was saved: this is the same line as" in text
    assert f'/ledger/costs/{line.id}">line #{line.id}</a>' in text
    assert "Record another identical line" in text
    assert count_rows(app, Cost) == 1
    # A second, real expense of the same amount is recorded when the organiser says so.
    assert client.post(_path(ids), data={**other, "save_duplicate": "y"}).status_code == 302
    assert count_rows(app, Cost) == 2
    # A different line is not asked about.
    third = {**form, "once": _token(client.get(_path(ids)).get_data(as_text=True)),
             "amount": "43.00"}
    assert client.post(_path(ids), data=third).status_code == 302
    assert count_rows(app, Cost) == 3


def test_a_form_shown_again_with_an_error_keeps_its_token_and_saves_once(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    token = _token(client.get(_path(ids)).get_data(as_text=True))
    base = {"csrf_token": csrf_token(client, _path(ids)), "once": token}
    refused = client.post(_path(ids), data={**base, **_form(ids, amount="12,50")})
    assert refused.status_code == 422
    assert _token(refused.get_data(as_text=True)) == token
    assert client.post(_path(ids), data={**base, **_form(ids)}).status_code == 302
    assert client.post(_path(ids), data={**base, **_form(ids)}).status_code == 302
    assert count_rows(app, Cost) == 1


@pytest.mark.slow
def test_ten_copies_of_one_form_at_the_same_moment_record_one_line(app, database_url):
    ids = _world(app)
    with app.app_context():
        accounts.create_user(db.session, email="race-org@example.org", full_name="Race Org",
                             role=Role.ORGANISER, password=PASSWORD, actor=None)
        db.session.commit()
    make_staff(app, "race-org@example.org")
    with gunicorn(database_url, workers=4) as (host, port):
        session = BrowserSession(host, port)
        session.log_in("race-org@example.org", PASSWORD)
        status, page = session.get(_path(ids))
        assert status == 200
        form = {"once": _token(page), **_form(ids)}
        barrier = threading.Barrier(10)
        statuses = [None] * 10

        def send(i):
            barrier.wait(timeout=30)
            statuses[i] = session.post(_path(ids), form)[0]
        threads = [threading.Thread(target=send, args=(i,)) for i in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert statuses == [302] * 10, statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cost)) == 1
        assert db.session.scalar(select(Cost.amount)) == Decimal("42.00")
        assert db.session.scalar(select(func.count()).select_from(FormSubmission)) == 1


@pytest.mark.browser
def test_back_and_submit_again_in_chromium_records_one_line(app, create_user):
    ids = _world(app)
    create_user(Role.ORGANISER, email="back-org@example.org")
    with live_server(app) as site, chromium() as browser:
        page = browser.new_page(**PHONE)
        log_in_page(page, site, "back-org@example.org", PASSWORD, lands_on="**/organiser/")
        page.goto(site + _path(ids))
        page.get_by_label("Volunteer's email").fill(ids["emails"][0])
        page.get_by_label("Category").select_option("MEALS")
        page.get_by_label("Amount").fill("42.00")
        page.get_by_label("Currency").fill("USD")
        page.get_by_label("Date").fill("2024-10-22")
        page.get_by_label("Paid by").select_option(label="Self (SELF)")
        page.get_by_role("button", name="Save line").click()
        page.wait_for_load_state()
        if page.get_by_role("button", name="Save anyway").count():
            page.get_by_role("button", name="Save anyway").click()
            page.wait_for_load_state()
        assert count_rows(app, Cost) == 1, page.locator("main").inner_text()[:1500]
        page.go_back()  # the filled form, as the browser kept it
        page.wait_for_load_state()
        if page.get_by_role("button", name="Save anyway").count():
            page.get_by_role("button", name="Save anyway").click()
        else:
            page.get_by_role("button", name="Save line").click()
        page.wait_for_load_state()
        assert "Nothing was saved: this is the same line as" in page.content()
        assert count_rows(app, Cost) == 1
        # A double click on the very same rendered form is answered by its token.
        page.goto(site + _path(ids))
        page.get_by_label("Volunteer's email").fill(ids["emails"][1])
        page.get_by_label("Amount").fill("17.00")
        page.get_by_label("Currency").fill("USD")
        page.get_by_label("Date").fill("2024-10-23")
        page.get_by_label("Paid by").select_option(label="Self (SELF)")
        page.get_by_role("button", name="Save line").dblclick()
        page.wait_for_load_state("networkidle")
        assert count_rows(app, Cost) == 2


def test_a_new_place_sent_twice_is_added_once(app, client, login_as):
    from app.models import Accommodation
    ids = _world(app)
    login_as(Role.ORGANISER)
    path = f"/organiser/deployments/{ids['slug']}/housing/accommodations/new"
    form = {"csrf_token": csrf_token(client, path),
            "once": _token(client.get(path).get_data(as_text=True)),
            "name": "Oak Street flat", "kind": "short_let", "address": "5 Oak St",
            "city": "Durham", "state_code": "NC", "beds": "3", "nightly_cost": "75.50",
            "currency": "USD", "cost_split": "shared", "payer_id": str(ids["campaign_id"]),
            "arranged_by_id": ""}
    before = count_rows(app, Accommodation)
    assert client.post(path, data=form).status_code == 302
    again = client.post(path, data=form)
    assert again.status_code == 302 and "/housing/accommodations/" in again.location
    assert "This form was already saved: Oak Street flat was added then" in \
        client.get(again.location).get_data(as_text=True)
    assert count_rows(app, Accommodation) == before + 1


def test_a_new_user_sent_twice_is_added_once(app, client, login_as):
    from app.models import User
    login_as(Role.ADMIN)
    path = "/admin/users/new"
    form = {"csrf_token": csrf_token(client, path),
            "once": _token(client.get(path).get_data(as_text=True)),
            "full_name": "Nia Rahman", "email": "nia@example.org", "role": "organiser"}
    before = count_rows(app, User)
    assert client.post(path, data=form).status_code == 302
    again = client.post(path, data=form)
    assert again.status_code == 302 and again.location.startswith("/admin/users#user-")
    assert "This form was already saved: nia@example.org was added then" in \
        client.get("/admin/users").get_data(as_text=True)
    assert count_rows(app, User) == before + 1


def test_a_new_stay_sent_twice_is_added_once(app, client, login_as):
    from app.models import Stay
    ids = _world(app)
    login_as(Role.ORGANISER)
    path = f"/organiser/deployments/{ids['slug']}/housing/signups/{ids['signup_ids'][0]}/stays/new"
    form = {"csrf_token": csrf_token(client, path),
            "once": _token(client.get(path).get_data(as_text=True)),
            "accommodation_id": str(ids["hotel_id"]), "check_in": "2024-10-21",
            "check_out": "2024-10-23"}
    assert client.post(path, data=form).status_code == 302
    again = client.post(path, data=form)
    assert again.status_code == 302 and "/housing/stays/" in again.location
    assert "This form was already saved" in client.get(again.location).get_data(as_text=True)
    assert count_rows(app, Stay) == 1
