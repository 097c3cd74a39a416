"""Reimbursements (R18): a line that repays the volunteer's own expense names it; the pair is
counted once (findings, running totals, totals); the ledger refuses a link that cannot be
right, and keeps a repaid line repayable. From the services and from the cost form."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Citizenship, Cost, CostCategory, PayerKind, Role
from app.services import compliance, ledger, totals
from app.services.errors import Conflict, ValidationFailed

from .builders import (current_findings, make_cost, make_election_deployment, make_payer_of_kind,
                       make_signup, make_volunteer)
from .conftest import csrf_token

US, FN = Citizenship.US_CITIZEN, Citizenship.FOREIGN_NATIONAL
DAY, LATER = date(2024, 10, 10), date(2024, 11, 10)


def _world(citizenship=US):
    """Deployment "reim" with a volunteer, another volunteer, and payers of several kinds."""
    dep = make_election_deployment(slug="reim")
    ana = make_volunteer(email="ana@example.org", citizenship=citizenship)
    bo = make_volunteer(email="bo@example.org", citizenship=US)
    make_signup(dep, ana, "NC")
    make_signup(dep, bo, "PA")
    payers = {"self": make_payer_of_kind(dep, PayerKind.SELF, name="Self"),
              "campaign": make_payer_of_kind(dep, PayerKind.CAMPAIGN, name="Harper for America",
                                             country="US"),
              "party": make_payer_of_kind(dep, PayerKind.FOREIGN_PARTY,
                                          name="Northbridge Labour Party", country="GB"),
              "friend": make_payer_of_kind(dep, PayerKind.US_INDIVIDUAL, name="Dana Whitfield",
                                           country="US")}
    return dep, ana, bo, payers


def _repay(dep, person, target, amount, payer, **details):
    """A line paid by ``payer`` that repays ``target`` (same category, a month later)."""
    return make_cost(dep, person, target.category, amount, payer, day=LATER,
                     description=f"Reimbursement of #{target.id}", reimburses_id=target.id,
                     **details)


def _edit(line, **over):
    """``ledger.update_cost`` with the line's own values, except ``over``."""
    fields = dict(volunteer=line.volunteer, category=line.category, amount=line.amount,
                  currency=line.currency, incurred_on=line.incurred_on, payer=line.payer)
    return ledger.update_cost(db.session, line, actor=None, **{**fields, **over})


def _costs() -> int:
    return db.session.scalar(select(func.count()).select_from(Cost))


# -- counted once -----------------------------------------------------------------------------
@pytest.mark.parametrize(("payer", "citizenship", "codes"), [
    ("campaign", US, {("R7", "CAMPAIGN_EXP")}),
    ("campaign", FN, {("R7", "CAMPAIGN_EXP"), ("R7", "REVIEW_CONTESTED")}),
    ("party", FN, {("R10", "PROHIBITED_FOREIGN_INKIND")}),
    ("friend", US, {("R16", "INKIND_REPORTABLE")}),
])
def test_a_full_reimbursement_leaves_nothing_on_the_own_line(app_ctx, payer, citizenship, codes):
    dep, ana, _, payers = _world(citizenship)
    own = make_cost(dep, ana, CostCategory.TRAVEL, "640.00", description="Flight")
    repaying = _repay(dep, ana, own, "640.00", payers[payer])
    db.session.commit()
    assert repaying.reimburses_id == own.id
    assert current_findings(cost_id=own.id) == {("R18", "VOL_OK", "0.00")}
    assert current_findings(cost_id=repaying.id) == {(rule, code, "640.00") for rule, code in codes}
    assert [line.id for line in ledger.repaid_by(db.session, own)] == [repaying.id]
    assert [(line.id, left) for line, left in ledger.reimbursable_lines(db.session, dep, ana)] \
        == [(own.id, Decimal("0.00"))]


def test_totals_count_the_pair_once(app_ctx):
    dep, ana, bo, payers = _world()
    own = make_cost(dep, ana, CostCategory.TRAVEL, "640.00")
    _repay(dep, ana, own, "640.00", payers["campaign"])
    part = make_cost(dep, ana, CostCategory.MEALS, "100.00")
    _repay(dep, ana, part, "40.00", payers["campaign"])
    make_cost(dep, bo, CostCategory.TRAVEL, "300.00")
    db.session.commit()
    grand = totals.grand_total(db.session, dep)
    assert (grand.lines, grand.usd) == (5, Decimal("1040.00"))
    by_volunteer = {email: total.usd
                    for total, email in totals.by_volunteer(db.session, dep).items}
    assert by_volunteer == {"ana@example.org": Decimal("740.00"),
                            "bo@example.org": Decimal("300.00")}
    assert {t.key: t.usd for t in totals.by_payer_kind(db.session, dep)} == {
        "SELF": Decimal("360.00"), "CAMPAIGN": Decimal("680.00")}
    assert {t.key: t.usd for t in totals.by_category(db.session, dep)} == {
        "TRAVEL": Decimal("940.00"), "MEALS": Decimal("100.00")}
    assert {t.key: t.usd for t in totals.by_state(db.session, dep)} == {
        "NC": Decimal("740.00"), "PA": Decimal("300.00")}
    assert {t.label: t.usd for t in totals.by_payer(db.session, dep)} == {
        "Self": Decimal("360.00"), "Harper for America": Decimal("680.00")}


def test_a_partial_reimbursement_leaves_the_rest_as_own_spending(app_ctx):
    """$1,200 of own travel is over the $1,000 exemption; $500 of it repaid leaves $700 of
    own spending, under it: the repaid part no longer counts in the running total."""
    dep, ana, _, payers = _world()
    own = make_cost(dep, ana, CostCategory.TRAVEL, "1200.00", description="Long flight")
    db.session.commit()
    assert current_findings(cost_id=own.id) == {("R3", "VOL_OK", "1000.00"),
                                                ("R4", "INKIND_REPORTABLE", "200.00")}
    repaying = _repay(dep, ana, own, "500.00", payers["campaign"])
    db.session.commit()
    assert current_findings(cost_id=own.id) == {("R3", "VOL_OK", "700.00")}
    assert current_findings(cost_id=repaying.id) == {("R7", "CAMPAIGN_EXP", "500.00")}
    later = make_cost(dep, ana, CostCategory.TRAVEL, "400.00", day=date(2024, 10, 20))
    db.session.commit()
    assert current_findings(cost_id=later.id) == {("R3", "VOL_OK", "300.00"),
                                                  ("R4", "INKIND_REPORTABLE", "100.00")}
    assert totals.grand_total(db.session, dep).usd == Decimal("1600.00")
    assert dict((line.id, left) for line, left in
                ledger.reimbursable_lines(db.session, dep, ana))[own.id] == Decimal("700.00")


def test_two_reimbursements_may_repay_one_line_up_to_its_cost(app_ctx):
    dep, ana, _, payers = _world()
    own = make_cost(dep, ana, CostCategory.TRAVEL, "640.00")
    first = _repay(dep, ana, own, "400.00", payers["campaign"])
    second = _repay(dep, ana, own, "240.00", payers["friend"])
    db.session.commit()
    assert current_findings(cost_id=own.id) == {("R18", "VOL_OK", "0.00")}
    assert current_findings(cost_id=second.id) == {("R16", "INKIND_REPORTABLE", "240.00")}
    assert [line.id for line in ledger.repaid_by(db.session, own)] == [first.id, second.id]
    # editing a reimbursement does not count its own amount twice
    _edit(first, amount="400.00", reimburses_id=own.id, description="Corrected")
    db.session.commit()
    assert first.description == "Corrected" and first.reimburses_id == own.id


def test_unlinking_and_deleting_a_reimbursement_gives_the_own_line_back(app_ctx):
    dep, ana, _, payers = _world()
    own = make_cost(dep, ana, CostCategory.TRAVEL, "640.00")
    repaying = _repay(dep, ana, own, "640.00", payers["campaign"])
    db.session.commit()
    _edit(repaying, reimburses_id=None)
    db.session.commit()
    assert repaying.reimburses_id is None
    assert current_findings(cost_id=own.id) == {("R3", "VOL_OK", "640.00")}
    _edit(repaying, reimburses_id=own.id)
    db.session.commit()
    assert current_findings(cost_id=own.id) == {("R18", "VOL_OK", "0.00")}
    ledger.delete_cost(db.session, repaying, actor=None)
    db.session.commit()
    assert current_findings(cost_id=own.id) == {("R3", "VOL_OK", "640.00")}
    assert totals.grand_total(db.session, dep).usd == Decimal("640.00")


# -- refused ----------------------------------------------------------------------------------
def _bad_target(case, dep, ana, bo, payers, own):
    """(the line a new reimbursement names, its payer, its amount) for each refused case."""
    if case == "no such line":
        return 999999, payers["campaign"], "10.00"
    if case == "another deployment's line":
        elsewhere = make_election_deployment(slug="elsewhere")
        return make_cost(elsewhere, ana, CostCategory.TRAVEL, "640.00").id, \
            payers["campaign"], "10.00"
    if case == "another volunteer's line":
        return make_cost(dep, bo, CostCategory.TRAVEL, "640.00").id, payers["campaign"], "10.00"
    if case == "a line not paid by the volunteer":
        return make_cost(dep, ana, CostCategory.TRAVEL, "640.00", payers["friend"]).id, \
            payers["campaign"], "10.00"
    if case == "repaid by the volunteer themself":
        return own.id, payers["self"], "10.00"
    if case == "more than the line cost":
        return own.id, payers["campaign"], "640.01"
    if case == "with an earlier one, more than the line cost":
        _repay(dep, ana, own, "400.00", payers["campaign"])
        return own.id, payers["friend"], "240.01"
    if case == "not a number":
        return "abc", payers["campaign"], "10.00"
    raise AssertionError(case)


@pytest.mark.parametrize(("case", "field", "words"), [
    ("no such line", "reimburses_id", "not a line of this deployment"),
    ("another deployment's line", "reimburses_id", "not a line of this deployment"),
    ("another volunteer's line", "reimburses_id", "is another volunteer's"),
    ("a line not paid by the volunteer", "reimburses_id", "only an own expense can be reimbursed"),
    ("repaid by the volunteer themself", "payer_id", "paid by someone other than the volunteer"),
    ("more than the line cost", "reimburses_id", "cannot repay more than the line"),
    ("with an earlier one, more than the line cost", "reimburses_id",
     "640.01 would be repaid"),
    ("not a number", "reimburses_id", "not a line of this deployment"),
])
def test_a_reimbursement_that_cannot_be_right_is_refused_and_nothing_is_written(
        app_ctx, case, field, words):
    dep, ana, bo, payers = _world()
    own = make_cost(dep, ana, CostCategory.TRAVEL, "640.00")
    target, payer, amount = _bad_target(case, dep, ana, bo, payers, own)
    db.session.commit()
    before = _costs()
    with pytest.raises(ValidationFailed) as caught:
        make_cost(dep, ana, CostCategory.TRAVEL, amount, payer, day=LATER, reimburses_id=target)
    db.session.rollback()
    assert caught.value.field == field
    assert words in caught.value.message
    assert _costs() == before


@pytest.mark.parametrize(("case", "field", "words"), [
    ("no such line", "reimburses_id", "not a line of this deployment"),
    ("another volunteer's line", "reimburses_id", "is another volunteer's"),
    ("more than the line cost", "reimburses_id", "cannot repay more than the line"),
    ("with an earlier one, more than the line cost", "reimburses_id", "would be repaid"),
])
def test_an_edit_cannot_make_a_bad_reimbursement_either(app_ctx, case, field, words):
    dep, ana, bo, payers = _world()
    own = make_cost(dep, ana, CostCategory.TRAVEL, "640.00")
    target, payer, amount = _bad_target(case, dep, ana, bo, payers, own)
    line = make_cost(dep, ana, CostCategory.TRAVEL, "5.00", payer, day=LATER)
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        _edit(line, amount=amount, reimburses_id=target)
    db.session.rollback()
    assert (caught.value.field, words in caught.value.message) == (field, True)
    db.session.refresh(line)
    assert (line.amount, line.reimburses_id) == (Decimal("5.00"), None)


def test_a_line_cannot_repay_itself(app_ctx):
    dep, ana, _, payers = _world()
    own = make_cost(dep, ana, CostCategory.TRAVEL, "640.00")
    repaying = _repay(dep, ana, own, "100.00", payers["campaign"])
    db.session.commit()
    for line in (own, repaying):
        with pytest.raises(ValidationFailed, match="cannot repay itself") as caught:
            _edit(line, reimburses_id=line.id)
        db.session.rollback()
        assert caught.value.field == "reimburses_id"
    db.session.refresh(own)
    db.session.refresh(repaying)
    assert (own.reimburses_id, repaying.reimburses_id) == (None, own.id)


def test_a_repaid_line_cannot_be_deleted_shrunk_or_given_another_payer(app_ctx):
    dep, ana, bo, payers = _world()
    own = make_cost(dep, ana, CostCategory.TRAVEL, "640.00")
    repaying = _repay(dep, ana, own, "400.00", payers["campaign"])
    db.session.commit()
    with pytest.raises(Conflict, match=f"#{repaying.id} repay this line"):
        ledger.delete_cost(db.session, own, actor=None)
    db.session.rollback()
    for change, field in (({"amount": "399.99"}, "amount"),
                          ({"payer": payers["friend"]}, "payer_id"),
                          ({"payer": payers["campaign"]}, "payer_id"),
                          ({"volunteer": bo}, "payer_id")):
        with pytest.raises(Conflict) as caught:
            _edit(own, **change)
        db.session.rollback()
        assert caught.value.field == field, change
    db.session.refresh(own)
    assert (own.amount, own.payer_id, own.volunteer_id) == (Decimal("640.00"),
                                                            payers["self"].id, ana.id)
    assert _costs() == 2
    # down to exactly what was repaid is fine
    _edit(own, amount="400.00")
    db.session.commit()
    assert current_findings(cost_id=own.id) == {("R18", "VOL_OK", "0.00")}


# -- the cost form ----------------------------------------------------------------------------
@pytest.fixture
def web(app):
    """The world above, committed, with a partly repaid own expense; returns plain ids."""
    with app.app_context():
        dep, ana, bo, payers = _world()
        own = make_cost(dep, ana, CostCategory.TRAVEL, "640.00", description="Flight home")
        repaying = _repay(dep, ana, own, "400.00", payers["campaign"])
        others = make_cost(dep, ana, CostCategory.HOUSING, "90.00", payers["campaign"])
        bos = make_cost(dep, bo, CostCategory.MEALS, "30.00")
        db.session.commit()
        return {"own": own.id, "repaying": repaying.id, "campaign": payers["campaign"].id,
                "party": payers["party"].id, "self": payers["self"].id, "others": others.id,
                "bos": bos.id}


BASE = "/organiser/deployments/reim/ledger"


def _form(ids, **over) -> dict:
    return {"volunteer_email": "ana@example.org", "category": "TRAVEL",
            "description": "Reimbursed flight", "amount": "240.00", "currency": "USD",
            "incurred_on": "2024-11-10", "payer_id": str(ids["campaign"]),
            "arranged_by_id": "", "reimburses_id": str(ids["own"]), **over}


def _options(page: str) -> dict[str, str]:
    """The "repays" picker's options: {value: label}."""
    select_ = re.search(r'<select[^>]*name="reimburses_id"[^>]*>(.*?)</select>', page, re.S)
    assert select_, "no repays picker"
    return dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select_.group(1)))


def _selected(page: str) -> str | None:
    select_ = re.search(r'<select[^>]*name="reimburses_id"[^>]*>(.*?)</select>', page, re.S)
    found = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"'
                      r'[^>]*selected', select_.group(1))
    return next(g for g in found.groups() if g is not None) if found else None


def _lines(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(select(Cost.id, Cost.amount, Cost.reimburses_id)
                                  .order_by(Cost.id)).all()


def test_listing_their_own_expenses_fills_the_picker_with_what_is_left(app, client, login_as,
                                                                       web):
    login_as(Role.ORGANISER)
    path = BASE + "/costs/new"
    empty = _options(client.get(path).get_data(as_text=True))
    assert list(empty) == [""]
    before = _lines(app)
    listed = client.post(path, data={"csrf_token": csrf_token(client, path), "list_expenses": "y",
                                     "volunteer_email": "ana@example.org"})
    assert listed.status_code == 200
    options = _options(listed.get_data(as_text=True))
    assert set(options) == {"", str(web["own"])}   # not the campaign's line, not Bo's
    assert options[str(web["own"])].startswith(f"#{web['own']} 2024-10-10 TRAVEL Flight home")
    assert "640.00 USD, 240.00 USD left to repay" in options[str(web["own"])]
    assert _lines(app) == before  # listing saves nothing


def test_saving_a_reimbursement_from_the_form_links_it(app, client, login_as, web):
    login_as(Role.ORGANISER)
    path = BASE + "/costs/new"
    saved = client.post(path, data={"csrf_token": csrf_token(client, path), **_form(web)})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with app.app_context():
        line = db.session.scalar(select(Cost).order_by(Cost.id.desc()))
        assert (line.amount_usd, line.reimburses_id, line.payer_id) == (
            Decimal("240.00"), web["own"], web["campaign"])
        assert current_findings(cost_id=web["own"]) == {("R18", "VOL_OK", "0.00")}


def test_a_reimbursement_link_prefills_volunteer_amount_left_and_picker(app, client, login_as,
                                                                        web):
    login_as(Role.ORGANISER)
    page = client.get(f"{BASE}/costs/new?reimburses={web['own']}").get_data(as_text=True)
    assert re.search(r'name="volunteer_email"[^>]*value="ana@example.org"', page)
    assert re.search(r'name="amount"[^>]*value="240.00"', page)
    assert _selected(page) == str(web["own"])
    assert "240.00 USD left to repay" in _options(page)[str(web["own"])]


@pytest.mark.parametrize(("change", "words"), [
    ({"amount": "240.01"}, "cannot repay more than the line"),
    ({"reimburses_id": "{others}"}, "only an own expense can be reimbursed"),
    ({"reimburses_id": "{bos}"}, "is another volunteer&#39;s"),
    ({"reimburses_id": "999999"}, "not a line of this deployment"),
    ({"payer_id": "{self}"}, "paid by someone other than the volunteer"),
])
def test_a_bad_reimbursement_in_the_form_shows_a_field_error_and_saves_nothing(
        app, client, login_as, web, change, words):
    login_as(Role.ORGANISER)
    path = BASE + "/costs/new"
    before = _lines(app)
    change = {key: value.format(**web) for key, value in change.items()}
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       **_form(web, **change)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert words in page
    assert _lines(app) == before


def test_an_own_expense_page_offers_a_reimbursement_and_names_what_repaid_it(app, client,
                                                                             login_as, web):
    login_as(Role.ORGANISER)
    page = client.get(f"{BASE}/costs/{web['own']}").get_data(as_text=True)
    assert "Record a reimbursement of this line" in page
    assert f'href="{BASE}/costs/new?reimburses={web["own"]}"' in page
    assert "240.00 USD left to repay" in page
    text = re.sub(r"<[^>]+>", "", page)
    assert f"Repaid by line #{web['repaying']} (400.00 USD): the pair is counted once." in text
    # a line paid by someone else offers no reimbursement
    assert "Record a reimbursement" not in client.get(
        f"{BASE}/costs/{web['others']}").get_data(as_text=True)


def test_deleting_a_repaid_line_from_its_page_is_refused(app, client, login_as, web):
    login_as(Role.ORGANISER)
    path = f"{BASE}/costs/{web['own']}"
    refused = client.post(path + "/delete", data={"csrf_token": csrf_token(client, path)})
    assert refused.status_code == 302
    assert f"#{web['repaying']} repay this line" in client.get(refused.location).get_data(
        as_text=True)
    assert len(_lines(app)) == 4


# -- the link cannot be broken from the other side -------------------------------------------
@pytest.mark.parametrize(("change", "field"), [
    pytest.param("amount", "reimburses_id", id="more than the line"),
    pytest.param("payer", "payer_id", id="paid by the volunteer"),
    pytest.param("volunteer", "reimburses_id", id="another volunteer"),
])
def test_editing_a_reimbursement_without_restating_its_link_keeps_it_checked(app_ctx, change,
                                                                            field):
    """``update_cost`` called with the line's facts only (no ``reimburses_id``) keeps the link:
    it must not let the reimbursement repay more than the line, be paid by the volunteer, or
    move to another volunteer."""
    dep, ana, bo, payers = _world()
    own = make_cost(dep, ana, CostCategory.TRAVEL, "640.00")
    repaying = _repay(dep, ana, own, "400.00", payers["campaign"])
    db.session.commit()
    over = {"amount": "640.01", "payer": payers["self"], "volunteer": bo}
    with pytest.raises((ValidationFailed, Conflict)) as caught:
        _edit(repaying, **{change: over[change]})
    db.session.rollback()
    assert caught.value.field == field
    db.session.refresh(repaying)
    assert (repaying.amount, repaying.payer_id, repaying.volunteer_id, repaying.reimburses_id) \
        == (Decimal("400.00"), payers["campaign"].id, ana.id, own.id)


@pytest.mark.parametrize(("payer", "kind"), [("self", PayerKind.CAMPAIGN),
                                             ("campaign", PayerKind.SELF)])
def test_the_registry_cannot_change_the_kind_of_a_payer_on_either_side_of_a_pair(app_ctx, payer,
                                                                                 kind):
    """Re-kinding "Self" (the own expense's payer) or the campaign (the reimbursement's) in the
    payer registry would leave a reimbursement of a line nobody paid themself, or paid by the
    volunteer: refused like the same change on the line."""
    dep, ana, _, payers = _world()
    own = make_cost(dep, ana, CostCategory.TRAVEL, "640.00")
    _repay(dep, ana, own, "640.00", payers["campaign"])
    db.session.commit()
    target = payers[payer]
    with pytest.raises((Conflict, ValidationFailed)):
        ledger.update_payer(db.session, target, name=target.name, kind=kind, actor=None,
                            country=target.country)
    db.session.rollback()
    db.session.refresh(target)
    assert target.kind is not kind


def test_the_forms_warnings_count_a_repaid_line_once(app_ctx):
    """Ana (a foreign national) paid $900 of travel herself, $600 of it repaid by the campaign:
    $300 of own travel counts toward the $1,000. Another $300 flight stays under it; the form
    must not warn of R5."""
    dep, ana, _, payers = _world(FN)
    own = make_cost(dep, ana, CostCategory.TRAVEL, "900.00", day=date(2024, 10, 1))
    _repay(dep, ana, own, "600.00", payers["campaign"])
    db.session.commit()
    fields = dict(deployment=dep, volunteer=ana, category="TRAVEL", currency="USD",
                  incurred_on=date(2024, 10, 20), payer=payers["self"], cash_outlay=None)
    assert compliance.cost_entry_warnings(db.session, amount="300.00", **fields) == []
    warned = compliance.cost_entry_warnings(db.session, amount="800.00", **fields)
    assert [(code, rule) for code, rule, *_ in warned] == [("PROHIBITED_FOREIGN_INKIND", "R5")]
    # and the line, once saved, is what the form said
    line = make_cost(dep, ana, CostCategory.TRAVEL, "300.00", day=date(2024, 10, 20))
    db.session.commit()
    assert current_findings(cost_id=line.id) == {("R3", "VOL_OK", "300.00")}
