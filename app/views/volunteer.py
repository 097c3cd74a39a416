"""The volunteer's own area: declaration, claims, offers, withdrawal."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..forms import ConfirmForm
from ..forms.signups import ClaimForm, DeclarationForm
from ..models import Role, SignupStatus
from .common import confirm_page, show_error
from ..security import gate, safe_next
from ..services import deployment_status, deployments, housing_reads, paging, rosters, signups
from ..services.errors import DomainError

bp = Blueprint("volunteer", __name__, url_prefix="/me")
gate(bp, Role.VOLUNTEER)


def _volunteer():
    return current_user.volunteer


@bp.get("/")
def home():
    volunteer = _volunteer()
    mine = rosters.own_signups(db.session, volunteer)
    return render_template("volunteer/home.html", volunteer=volunteer, signups=mine.signups,
                           positions=mine.positions, form=ConfirmForm(),
                           stays=housing_reads.my_stays(db.session, volunteer))


@bp.route("/declaration", methods=["GET", "POST"])
def declaration():
    volunteer = _volunteer()
    form = DeclarationForm(obj=volunteer)
    if request.method == "GET":
        form.citizenship.data = volunteer.citizenship.value if volunteer.citizenship else ""
        form.affiliation.data = volunteer.affiliation.value if volunteer.affiliation else ""
        form.leave_type.data = volunteer.leave_type.value if volunteer.leave_type else ""
        form.attest.data = volunteer.attested_at is not None
    if form.validate_on_submit():
        try:
            signups.declare(db.session, volunteer, citizenship=form.citizenship.data,
                            country=form.country.data,
                            home_organisation=form.home_organisation.data or "",
                            affiliation=form.affiliation.data, leave_type=form.leave_type.data,
                            attest=form.attest.data, actor=current_user)
        except DomainError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash("Your declaration is saved.", "success")
            return redirect(safe_next(paging.text_arg(request.args.get("next"), "next",
                                                      max_length=2000),
                                      url_for("volunteer.home")))
    return render_template("volunteer/declaration.html", form=form), 200 if not form.errors else 422


@bp.route("/deployments/<slug>/claim", methods=["GET", "POST"])
def claim(slug: str):
    deployment = deployment_status.check_visible(deployments.get_current(db.session, slug),
                                                 current_user)
    volunteer = _volunteer()
    if volunteer.citizenship is None or volunteer.attested_at is None:
        flash("First tell us about yourself and sign the attestation.", "info")
        return redirect(url_for("volunteer.declaration", next=request.full_path.rstrip("?")))
    stats = deployments.placement_stats(db.session, deployment)
    form = ClaimForm()
    form.state.choices = [(p.state_code, f"{p.state_code} — {p.remaining} of {p.capacity} left"
                           + (f", waitlist {p.waitlisted}" if not p.remaining else ""))
                          for p in stats]
    if request.method == "GET" and request.args.get("state"):
        form.state.data = paging.choice_arg(request.args["state"].upper(),
                                            {code for code, _ in form.state.choices}, "state")
    refusal = deployment_status.why_no_claims(deployment)
    if refusal is None and form.validate_on_submit():
        try:
            result = signups.claim_spot(db.session, deployment=deployment, volunteer=volunteer,
                                        state=form.state.data, role=form.role.data,
                                        arrive_on=form.arrive_on.data,
                                        depart_on=form.depart_on.data, actor=current_user)
        except DomainError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_claim_message(result), "success")
            return redirect(url_for("volunteer.home"))
    status = 422 if form.errors else 409 if refusal and request.method == "POST" else 200
    return render_template("volunteer/claim.html", form=form, deployment=deployment,
                           placements=stats, refusal=refusal), status


def _claim_message(result) -> str:
    signup = result.signup
    state = signup.placement.state_code
    if result.position is not None:
        return f"{state} is full: you are number {result.position} on its waitlist."
    if signup.status is SignupStatus.PENDING_APPROVAL:
        return f"Your claim for {state} holds a spot until an organiser approves it."
    return f"Your spot in {state} is confirmed."


def _own_signup_action(signup_id: int, action, done: str):
    try:
        signup = signups.signup_for_volunteer(db.session, signup_id, _volunteer())
        action(db.session, signup, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("volunteer.home"))


@bp.get("/signups/<int:signup_id>/withdraw")
def confirm_withdraw(signup_id: int):
    """What withdrawing does, before it is done."""
    signup = signups.signup_for_volunteer(db.session, signup_id, _volunteer())
    placement = signup.placement
    consequences = [f"Your place in {placement.state_code} for {placement.deployment.name} "
                    f"({signup.status.label.lower()}) ends; the next person waiting is offered "
                    "it."]
    for stay in housing_reads.future_stays(db.session, signup):
        nights = (stay.check_out - stay.check_in).days
        consequences.append(f"Your bed at {stay.accommodation.name} for {nights} night(s), "
                            f"{stay.check_in:%-d %b} to {stay.check_out:%-d %b}, is given back.")
    consequences.append("You may claim again later, by the same rules, while spots remain.")
    return confirm_page(title=f"Withdraw from {placement.state_code}?",
                        consequences=consequences,
                        action=url_for("volunteer.withdraw", signup_id=signup.id),
                        button="Yes, withdraw", back=url_for("volunteer.home"))


@bp.post("/signups/<int:signup_id>/withdraw")
def withdraw(signup_id: int):
    return _own_signup_action(signup_id, signups.withdraw, "You have withdrawn.")


@bp.post("/signups/<int:signup_id>/accept")
def accept_offer(signup_id: int):
    return _own_signup_action(signup_id, signups.accept_offer, "You accepted the offer.")


@bp.post("/signups/<int:signup_id>/decline")
def decline_offer(signup_id: int):
    return _own_signup_action(signup_id, signups.decline_offer,
                              "You declined the offer; it goes to the next person.")
