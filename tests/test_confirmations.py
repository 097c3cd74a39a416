"""Every destructive action asks first (issue 13), on a page that works without JavaScript
and says what will happen; asking changes nothing."""
from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Cost, Role, Signup, SignupStatus, Stay
from app.services import housing, housing_reads

from .browser import PHONE, chromium, live_server, log_in_page
from .builders import small_world
from .conftest import PASSWORD, count_rows, csrf_token


def _world(app):
    with app.app_context():
        ids = small_world("ask")
        signup = db.session.get(Signup, ids["signup_ids"][0])
        place = housing_reads.get_accommodation(db.session, signup.placement.deployment,
                                                ids["hotel_id"])
        stay = housing.assign_stay(db.session, signup=signup, accommodation=place,
                                   check_in=date(2024, 10, 21), check_out=date(2024, 10, 24),
                                   actor=None)
        db.session.commit()
        ids["stay_id"] = stay.id
        ids["cost_id"] = db.session.scalar(select(Cost.id).where(Cost.stay_id == stay.id))
        return ids


def _is_a_plain_form_page(text: str, action: str, button: str) -> None:
    assert f'<form method="post" action="{action}"' in text
    assert f">{button}</button>" in text and "No, go back" in text


def test_removing_a_stay_and_deleting_a_line_ask_first(app, client, login_as):
    ids = _world(app)
    base = f"/organiser/deployments/{ids['slug']}"
    login_as(Role.AUDITOR)
    assert client.get(f"{base}/housing/stays/{ids['stay_id']}/remove").status_code == 403
    login_as(Role.ORGANISER)
    page = client.get(f"{base}/housing/stays/{ids['stay_id']}").get_data(as_text=True)
    assert f'href="{base}/housing/stays/{ids["stay_id"]}/remove">Remove this stay…</a>' in page
    asked = client.get(f"{base}/housing/stays/{ids['stay_id']}/remove")
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Remove this stay?" in text
    assert "3 night(s) from 21 Oct to 24 Oct, is free again." in text
    _is_a_plain_form_page(text, f"{base}/housing/stays/{ids['stay_id']}/remove",
                          "Yes, remove the stay")
    assert count_rows(app, Stay) == 1  # asking changed nothing
    line = client.get(f"{base}/ledger/costs/{ids['cost_id']}/delete")
    assert line.status_code == 200 and f"Delete line #{ids['cost_id']}?" in \
        line.get_data(as_text=True)
    done = client.post(f"{base}/housing/stays/{ids['stay_id']}/remove",
                       data={"csrf_token": csrf_token(client, f"{base}/housing/")})
    assert done.status_code == 302
    assert count_rows(app, Stay) == 0


def test_a_bed_to_come_is_named_among_what_withdrawing_gives_back(app):
    ids = _world(app)
    with app.app_context():
        signup = db.session.get(Signup, ids["signup_ids"][0])
        assert [s.id for s in housing_reads.future_stays(db.session, signup,
                                                         today=date(2024, 10, 1))] \
            == [ids["stay_id"]]
        assert housing_reads.future_stays(db.session, signup, today=date(2024, 10, 24)) == []


@pytest.mark.browser
def test_withdrawing_asks_first_and_works_without_javascript(app):
    ids = _world(app)
    email = ids["emails"][1]
    with app.app_context():
        from app.services import accounts
        user = accounts.find_user(db.session, email)
        accounts.set_password(db.session, user, PASSWORD, actor=None)
        db.session.commit()
    with live_server(app) as site, chromium() as browser:
        page = browser.new_context(java_script_enabled=False, **PHONE).new_page()
        log_in_page(page, site, email, PASSWORD, lands_on="**/me/**")
        page.get_by_role("link", name="Withdraw…").click()
        assert page.get_by_role("heading", name="Withdraw from NC?").is_visible()
        assert page.get_by_text("You may claim again later").is_visible()
        with app.app_context():
            assert db.session.get(Signup, ids["signup_ids"][1]).status is SignupStatus.CONFIRMED
        page.get_by_role("button", name="Yes, withdraw").click()
        page.wait_for_url("**/me/**")
        assert page.get_by_text("You have withdrawn.").is_visible()
    with app.app_context():
        assert db.session.get(Signup, ids["signup_ids"][1]).status is SignupStatus.WITHDRAWN


@pytest.mark.browser
def test_an_organisers_cancel_and_role_change_ask_first_without_javascript(app, create_user):
    ids = _world(app)
    create_user(role=Role.ORGANISER, email="org-ask@example.org")
    with live_server(app) as site, chromium() as browser:
        page = browser.new_context(java_script_enabled=False, **PHONE).new_page()
        log_in_page(page, site, "org-ask@example.org", PASSWORD, lands_on="**/organiser/**")
        page.goto(f"{site}/organiser/deployments/{ids['slug']}/states/NC")
        row = page.locator("tbody tr", has=page.locator("summary", has_text="Cancel")).first
        row.locator("summary", has_text="Cancel").click()
        row.locator("textarea[name=reason]").fill("Duplicate registration.")
        row.locator("form[action$='/cancel'] button").click()
        assert page.get_by_role("heading", name="Cancel").first.is_visible()
        assert page.get_by_text("with your reason: “Duplicate registration.”").is_visible()
        with app.app_context():
            assert all(db.session.get(Signup, i).status is SignupStatus.CONFIRMED
                       for i in ids["signup_ids"])
        page.get_by_role("link", name="No, go back").click()
        row = page.locator("tbody tr", has=page.locator("summary", has_text="Role")).first
        row.locator("summary", has_text="Role").click()
        row.locator("select[name=role]").select_option("team_lead")
        row.locator("form[action$='/role'] button").click()
        assert page.get_by_text("changes from canvasser to team lead").is_visible()
        page.get_by_role("button", name="Yes, change the role").click()
        page.wait_for_url("**/states/NC**")
        assert page.get_by_text("role was changed").is_visible()
