"""Housing: accommodations, stays and the night-by-night board (organisers; auditors read)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from ..extensions import db
from ..forms import ConfirmForm
from ..forms.housing import AccommodationForm, EndStayForm, MoveStayForm, SplitStayForm, StayForm
from ..models import Role, Stay
from ..security import gate
from .common import already_saved, commit_once, confirm_page, show_error
from ..forms.ledger import set_payer_choices
from ..services import deployments, housing, housing_reads, ledger, paging, signups
from ..services.errors import DomainError
from ..services.validation import US_STATES

bp = Blueprint("housing", __name__, url_prefix="/organiser/deployments/<slug>/housing")
gate(bp, Role.ORGANISER, Role.ADMIN, read_only=(Role.AUDITOR,))

_ACCOMMODATION_FIELDS = ("name", "kind", "address", "city", "state_code", "beds", "nightly_cost",
                         "currency", "cost_split", "payer_id", "arranged_by_id",
                         "is_host_residence", "notes")


def _state_arg() -> str | None:
    return paging.choice_arg((request.args.get("state") or "").strip().upper(), US_STATES,
                             "state")


@bp.get("/")
def board(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    grid = housing_reads.board(db.session, deployment, state=_state_arg(),
                               start=paging.date_arg(request.args.get("from"), "from"),
                               page=paging.page_number(request.args.get("page")))
    return render_template("housing/board.html", deployment=deployment, board=grid)


@bp.get("/roster")
def roster(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    unhoused = paging.flag_arg(request.args.get("unhoused"), "unhoused")
    found = housing_reads.roster_page(db.session, deployment, state=_state_arg(),
                                      unhoused_only=unhoused,
                                      page=paging.page_number(request.args.get("page")))
    states = [p.state_code for p in deployment.placements]
    return render_template("housing/roster.html", deployment=deployment, roster=found,
                           states=states, state=_state_arg(), unhoused=unhoused)


def _payer_choices(form, deployment) -> None:
    set_payer_choices(form, ledger.payers_for(db.session, deployment))


@bp.route("/accommodations/new", methods=["GET", "POST"])
def new_accommodation(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    form = AccommodationForm().with_token()
    _payer_choices(form, deployment)

    def shown(place_id: int, again: bool):
        place = housing_reads.get_accommodation(db.session, deployment, place_id)
        if again:
            flash(f"This form was already saved: {place.name} was added then (the form was "
                  "sent twice); nothing new was added.", "info")
            return redirect(url_for("housing.edit_accommodation", slug=slug,
                                    accommodation_id=place.id))
        flash(f"{place.name} added with {place.beds} beds.", "success")
        return redirect(url_for("housing.board", slug=slug, state=place.state_code))
    if form.validate_on_submit():
        made = already_saved(form, "accommodation")
        if made is not None:
            return shown(made, again=True)
        try:
            added = housing.add_accommodation(
                db.session, deployment=deployment, actor=current_user,
                **{name: getattr(form, name).data for name in _ACCOMMODATION_FIELDS})
        except DomainError as exc:
            show_error(form, exc)
        else:
            return commit_once(form, "accommodation", added, shown=shown)
    return render_template("housing/accommodation_form.html", deployment=deployment, form=form,
                           accommodation=None), 422 if form.errors else 200


@bp.route("/accommodations/<int:accommodation_id>", methods=["GET", "POST"])
def edit_accommodation(slug: str, accommodation_id: int):
    deployment = deployments.get_deployment(db.session, slug)
    place = housing_reads.get_accommodation(db.session, deployment, accommodation_id)
    form = AccommodationForm(obj=place if request.method == "GET" else None)
    _payer_choices(form, deployment)
    if request.method == "GET":
        form.kind.data, form.cost_split.data = place.kind.value, place.cost_split.value
        form.payer_id.data = str(place.payer_id)
        form.arranged_by_id.data = str(place.arranged_by_id or "")
    if form.validate_on_submit():
        try:
            housing.update_accommodation(
                db.session, place, actor=current_user,
                **{name: getattr(form, name).data for name in _ACCOMMODATION_FIELDS})
        except DomainError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(f"{place.name} saved; its stays' cost lines follow.", "success")
            return redirect(url_for("housing.edit_accommodation", slug=slug,
                                    accommodation_id=place.id))
    stays = housing_reads.stays_in(db.session, place)
    return render_template("housing/accommodation_form.html", deployment=deployment, form=form,
                           accommodation=place, stays=stays), 422 if form.errors else 200


def _place_choices(form_field, deployment, *, signup=None, check_in=None, check_out=None,
                   exclude: tuple[int, ...] = ()) -> None:
    """The places to choose from; given the nights, each says how many beds are free on all of
    them (full places are marked), and places in another state than the sign-up's say so."""
    places = housing_reads.accommodations_for(db.session, deployment)
    free = housing_reads.free_beds(db.session, places, check_in, check_out,
                                   exclude=exclude) if check_in and check_out else {}
    state = signup.placement.state_code if signup is not None else None

    def label(a) -> str:
        text = f"{a.state_code} · {a.name}"
        if a.id in free:
            left = free[a.id]
            text += (f" — full on some of {check_in:%-d %b}–{check_out:%-d %b}" if left <= 0
                     else f" — {left} of {a.beds} beds free {check_in:%-d %b}–{check_out:%-d %b}")
        else:
            text += f" ({a.beds} beds)"
        if state and a.state_code != state:
            text += f" · another state than {state}: needs a reason"
        return text
    # The sign-up's own state first, then the places with the most free beds.
    places.sort(key=lambda a: (state is not None and a.state_code != state,
                               -free.get(a.id, a.beds), a.name))
    form_field.choices = [SelectChoice("", "— choose —")] + [
        SelectChoice(str(a.id), label(a)) for a in places]


@bp.route("/signups/<int:signup_id>/stays/new", methods=["GET", "POST"])
def new_stay(slug: str, signup_id: int):
    deployment = deployments.get_deployment(db.session, slug)
    signup = signups.signup_in_deployment(db.session, signup_id, deployment)
    form = StayForm().with_token()
    if request.method == "GET":
        form.check_in.data, form.check_out.data = signup.arrive_on, signup.depart_on
    _place_choices(form.accommodation_id, deployment, signup=signup,
                   check_in=form.check_in.data, check_out=form.check_out.data)

    def shown(stay_id: int, again: bool):
        stay = db.session.get(Stay, stay_id)
        if again:
            flash(f"This form was already saved: {signup.volunteer.full_name}'s stay at "
                  f"{stay.accommodation.name} was added then (the form was sent twice); nothing "
                  "new was added.", "info")
            return redirect(url_for("housing.edit_stay", slug=slug, stay_id=stay.id))
        flash(f"{signup.volunteer.full_name} sleeps at {stay.accommodation.name} from "
              f"{stay.check_in.isoformat()} to {stay.check_out.isoformat()}.", "success")
        return redirect(url_for("housing.roster", slug=slug, state=signup.placement.state_code))
    if form.is_submitted() and (made := already_saved(form, "stay")) is not None:
        return shown(made, again=True)
    if form.validate_on_submit():
        try:
            place = housing_reads.get_accommodation(db.session, deployment,
                                                    form.accommodation_id.data)
            stay = housing.assign_stay(db.session, signup=signup, accommodation=place,
                                       check_in=form.check_in.data,
                                       check_out=form.check_out.data, actor=current_user,
                                       other_state_reason=form.other_state_reason.data)
        except DomainError as exc:
            show_error(form, exc)
        else:
            return commit_once(form, "stay", stay, shown=shown)
    return render_template("housing/stay_new.html", deployment=deployment, signup=signup,
                           stays=housing_reads.stays_of(db.session, signup), form=form), \
        422 if form.errors else 200


def _stay_page(deployment, stay, *, move=None, split=None, end=None, status=200):
    move = move or MoveStayForm(prefix="move", obj=stay)
    split = split or SplitStayForm(prefix="split")
    end = end or EndStayForm(prefix="end")
    for field in (move.accommodation_id, split.accommodation_id):
        _place_choices(field, deployment)
    for field in (move.accommodation_id, split.accommodation_id):
        field.data = field.data or str(stay.accommodation_id)
    line = housing_reads.stay_cost_line(db.session, stay)
    return render_template("housing/stay.html", deployment=deployment, stay=stay, line=line,
                           move=move, split=split, end=end, remove=ConfirmForm()), status


@bp.get("/stays/<int:stay_id>")
def edit_stay(slug: str, stay_id: int):
    deployment = deployments.get_deployment(db.session, slug)
    return _stay_page(deployment, housing_reads.get_stay(db.session, deployment, stay_id))


def _back_to_stay(slug: str, stay_id: int):
    return redirect(url_for("housing.edit_stay", slug=slug, stay_id=stay_id))


@bp.post("/stays/<int:stay_id>/move")
def move_stay(slug: str, stay_id: int):
    deployment = deployments.get_deployment(db.session, slug)
    stay = housing_reads.get_stay(db.session, deployment, stay_id)
    form = MoveStayForm(prefix="move")
    _place_choices(form.accommodation_id, deployment)
    if form.validate_on_submit():
        try:
            place = housing_reads.get_accommodation(db.session, deployment,
                                                    form.accommodation_id.data)
            housing.move_stay(db.session, stay, accommodation=place, check_in=form.check_in.data,
                              check_out=form.check_out.data, actor=current_user,
                              other_state_reason=form.other_state_reason.data)
        except DomainError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Stay moved to {place.name}, {stay.check_in.isoformat()} to "
                  f"{stay.check_out.isoformat()}.", "success")
            return _back_to_stay(slug, stay.id)
    stay = housing_reads.get_stay(db.session, deployment, stay_id)  # re-read after a rollback
    return _stay_page(deployment, stay, move=form, status=422)


@bp.post("/stays/<int:stay_id>/split")
def split_stay(slug: str, stay_id: int):
    deployment = deployments.get_deployment(db.session, slug)
    stay = housing_reads.get_stay(db.session, deployment, stay_id)
    form = SplitStayForm(prefix="split")
    _place_choices(form.accommodation_id, deployment)
    if form.validate_on_submit():
        try:
            place = housing_reads.get_accommodation(db.session, deployment,
                                                    form.accommodation_id.data)
            second = housing.split_stay(db.session, stay, on=form.on.data, accommodation=place,
                                        actor=current_user)
        except DomainError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Stay split: from {second.check_in.isoformat()} at {place.name}.", "success")
            return _back_to_stay(slug, second.id)
    stay = housing_reads.get_stay(db.session, deployment, stay_id)
    return _stay_page(deployment, stay, split=form, status=422)


@bp.post("/stays/<int:stay_id>/end")
def end_stay(slug: str, stay_id: int):
    deployment = deployments.get_deployment(db.session, slug)
    stay = housing_reads.get_stay(db.session, deployment, stay_id)
    form = EndStayForm(prefix="end")
    if form.validate_on_submit():
        try:
            housing.end_stay_early(db.session, stay, check_out=form.check_out.data,
                                   actor=current_user)
        except DomainError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Stay now ends on {stay.check_out.isoformat()}.", "success")
            return _back_to_stay(slug, stay.id)
    stay = housing_reads.get_stay(db.session, deployment, stay_id)
    return _stay_page(deployment, stay, end=form, status=422)


@bp.get("/stays/<int:stay_id>/remove")
def confirm_remove_stay(slug: str, stay_id: int):
    deployment = deployments.get_deployment(db.session, slug)
    stay = housing_reads.get_stay(db.session, deployment, stay_id)
    nights = (stay.check_out - stay.check_in).days
    return confirm_page(
        title="Remove this stay?",
        consequences=[f"{stay.signup.volunteer.full_name}'s bed at {stay.accommodation.name}, "
                      f"{nights} night(s) from {stay.check_in:%-d %b} to "
                      f"{stay.check_out:%-d %b}, is free again.",
                      "Its housing cost line is deleted with it (the audit trail keeps both).",
                      "To shorten a stay that has begun, end it early instead."],
        action=url_for("housing.remove_stay", slug=slug, stay_id=stay.id),
        button="Yes, remove the stay",
        back=url_for("housing.edit_stay", slug=slug, stay_id=stay.id))


@bp.post("/stays/<int:stay_id>/remove")
def remove_stay(slug: str, stay_id: int):
    deployment = deployments.get_deployment(db.session, slug)
    stay = housing_reads.get_stay(db.session, deployment, stay_id)
    state = stay.signup.placement.state_code
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return _back_to_stay(slug, stay.id)
    try:
        housing.remove_stay(db.session, stay, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back_to_stay(slug, stay_id)
    db.session.commit()
    flash("Stay removed, with its cost line.", "success")
    return redirect(url_for("housing.roster", slug=slug, state=state))
