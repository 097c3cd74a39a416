"""The organisers' area: deployments, spots, rosters, waitlists, approvals, moves, outbox.

Auditors may read every page here (read-only); only organisers and admins change anything.
"""
import os

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..forms import CapacityForm, ConfirmForm
from ..forms.deployments import DeploymentForm, StatesForm, fill_rows, rows_of, show_problems
from ..forms.ledger import ImportForm
from ..forms.signups import ApproveForm, MoveForm, ReasonForm, RoleForm, SettingsForm
from ..models import Deployment, DeploymentStatus, Role, SignupRole, SignupStatus
from .common import already_saved, changers_only, commit_once, confirm_page, show_error
from ..security import gate
from ..services import (csv_import, deployment_states, deployment_status, deployments,
                        housing_reads, notifications, paging, password_links, rosters,
                        signups, staff, volunteers_import)
from ..services.compliance import fec_facts
from ..services.errors import DomainError

bp = Blueprint("organiser", __name__, url_prefix="/organiser")
gate(bp, Role.ORGANISER, Role.ADMIN, read_only=(Role.AUDITOR,))


def _election(form) -> deployments.Election:
    return deployments.Election(form.election_code.data or "", form.election_office.data or "",
                                form.election_jurisdiction.data or "",
                                form.election.data or "", form.election_date.data)


@bp.get("/")
def dashboard():
    rows = staff.visible_deployments(db.session, current_user)
    for row in rows:
        deployment_status.close_if_ended_now(db.session, row)
    stats = deployments.stats_by_deployment(db.session, [d.id for d in rows])
    archived = [d for d in rows if d.status is DeploymentStatus.ARCHIVED]
    return render_template("organiser/dashboard.html", stats=stats, archived=archived,
                           deployments=[d for d in rows if d not in archived])


@bp.route("/deployments/new", methods=["GET", "POST"])
def new_deployment():
    changers_only()
    form = DeploymentForm().with_token()
    if request.method == "GET":
        fill_rows(form, [], blank=4)

    def shown(deployment_id: int, again: bool):
        made = db.session.get(Deployment, deployment_id)
        if again:
            flash(f"This form was already saved: {made.name} was created then (the form was "
                  "sent twice); nothing new was added.", "info")
        else:
            flash(f"Deployment {made.name} created"
                  + (" as a draft: open it in its settings when it is ready."
                     if made.status is DeploymentStatus.DRAFT else "."), "success")
        return redirect(url_for("organiser.deployment", slug=made.slug))
    if form.is_submitted() and (made := already_saved(form, "deployment")) is not None:
        return shown(made, again=True)
    if form.validate_on_submit() and _new_deployment_checks(form):
        try:
            created = deployments.create_deployment(
                db.session, slug=form.slug.data, name=form.name.data, actor=current_user,
                starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                requires_approval=form.requires_approval.data,
                keeps_waitlist=form.keeps_waitlist.data,
                status=DeploymentStatus(form.status.data),
                sending_organisation=form.sending_organisation.data or "",
                receiving_committee=form.receiving_committee.data or "",
                election=_election(form))
            deployment_states.save_rows(db.session, created, rows_of(form), actor=current_user)
        except DomainError as exc:
            show_error(form, exc)
        else:
            return commit_once(form, "deployment", created, shown=shown)
    return render_template("organiser/new_deployment.html", form=form), \
        200 if not form.errors and not _row_errors(form) else 422


def _new_deployment_checks(form) -> bool:
    """Check every field and every state row, and show all problems at once."""
    problems = deployments.check_new(db.session, slug=form.slug.data, name=form.name.data,
                                     starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                                     election=_election(form))
    for field, message in problems.items():
        if not form.apply_domain_error(DomainError(message, field=field)):
            flash(message, "error")
    # The rows are checked against the dates as typed (a deployment not yet saved).
    unsaved = Deployment(starts_on=form.starts_on.data, ends_on=form.ends_on.data)
    row_problems = deployment_states.check_rows(db.session, unsaved, rows_of(form))
    show_problems(form, row_problems)
    return not problems and not row_problems


def _row_errors(form) -> bool:
    return any(entry.form.errors for entry in form.rows)


@bp.route("/deployments/<slug>/states", methods=["GET", "POST"])
def states(slug: str):
    """Every state of the deployment on one form: change, add, remove; all saved or none."""
    changers_only()
    found = deployments.get_current(db.session, slug)
    form = StatesForm()
    if request.method == "GET":
        fill_rows(form, found.placements)
    if form.validate_on_submit():
        rows = rows_of(form)
        problems = deployment_states.check_rows(db.session, found, rows)
        if problems:
            show_problems(form, problems)
        else:
            try:
                changed = deployment_states.save_rows(db.session, found, rows,
                                                      actor=current_user)
            except DomainError as exc:
                show_error(form, exc)
            else:
                db.session.commit()
                flash("States saved: " + ", ".join(changed) + "." if changed
                      else "Nothing to change.", "success")
                return redirect(url_for("organiser.states", slug=slug))
    held = {p.state_code: p.held for p in deployments.placement_stats(db.session, found)}
    failed = bool(form.errors) or _row_errors(form)
    return render_template("organiser/states.html", form=form, deployment=found, failed=failed,
                           existing={p.state_code for p in found.placements}, held=held), \
        422 if failed else 200


@bp.get("/deployments/<slug>")
def deployment(slug: str):
    found = deployments.get_current(db.session, slug)
    pending = rosters.pending_claims(db.session, found)
    return render_template("organiser/deployment.html", deployment=found,
                           placements=deployments.placement_stats(db.session, found),
                           pending=pending, form=CapacityForm(), approve_form=ApproveForm(),
                           reason_form=ReasonForm(),
                           role_warnings=rosters.role_warnings(db.session, found, pending))


@bp.get("/deployments/<slug>/states/<state>")
def roster(slug: str, state: str):
    """One state's roster and waitlist, a page at a time."""
    found = deployments.get_current(db.session, slug)
    placement = signups.find_placement(db.session, found, state)
    roster = rosters.state_roster(db.session, placement,
                                  page=paging.page_number(request.args.get("page")))
    move_form = MoveForm()
    move_form.state.choices = [(p.state_code, p.state_code) for p in found.placements
                               if p.id != placement.id]
    return render_template(
        "organiser/roster.html", deployment=found, placement=placement, roster=roster,
        move_form=move_form, reason_form=ReasonForm(), approve_form=ApproveForm(),
        role_form=RoleForm(), reinstate_form=ConfirmForm(),
        earlier=rosters.earlier_signups(db.session, placement),
        role_warnings=rosters.role_warnings(db.session, found, roster.page.items),
        stats=next(p for p in deployments.placement_stats(db.session, found)
                   if p.state_code == placement.state_code))


@bp.post("/deployments/<slug>/placements/<state>")
def set_capacity(slug: str, state: str):
    found = deployments.get_deployment(db.session, slug)
    form = CapacityForm()
    if not form.validate_on_submit():
        flash("; ".join(form.capacity.errors) or "Enter a capacity.", "error")
        return redirect(url_for("organiser.deployment", slug=slug))
    try:
        deployments.set_capacity(db.session, found, state, form.capacity.data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"{state.upper()} now has {form.capacity.data} spots.", "success")
    return redirect(url_for("organiser.deployment", slug=slug))


def _signup_action(slug: str, signup_id: int, form, act, done: str):
    """Run ``act(signup, form)`` on a sign-up of this deployment, then go back where we were."""
    found = deployments.get_deployment(db.session, slug)
    signup = signups.signup_in_deployment(db.session, signup_id, found)
    back = request.form.get("back") or url_for("organiser.roster", slug=slug,
                                               state=signup.placement.state_code)
    if not back.startswith("/organiser/"):
        back = url_for("organiser.deployment", slug=slug)
    if not form.validate_on_submit():
        errors = [e for field in form for e in field.errors]
        flash("; ".join(errors) or "Check the form and try again.", "error")
        return redirect(back)
    try:
        act(signup, form)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(done.format(name=signup.volunteer.full_name), "success")
    return redirect(back)


@bp.post("/deployments/<slug>/signups/<int:signup_id>/approve")
def approve(slug: str, signup_id: int):
    return _signup_action(slug, signup_id, ApproveForm(), lambda s, f: signups.approve(
        db.session, s, actor=current_user, override_reason=f.override_reason.data),
        "{name} is confirmed.")


@bp.post("/deployments/<slug>/signups/<int:signup_id>/reject")
def reject(slug: str, signup_id: int):
    """Asked about first (with the reason typed), done once confirmed."""
    form = ReasonForm()
    if request.form.get("confirmed") != "yes" and form.validate_on_submit():
        return _confirm_ending(slug, signup_id, form, "reject")
    return _signup_action(slug, signup_id, ReasonForm(), lambda s, f: signups.reject(
        db.session, s, actor=current_user, reason=f.reason.data), "{name}'s claim was rejected.")


@bp.post("/deployments/<slug>/signups/<int:signup_id>/cancel")
def cancel(slug: str, signup_id: int):
    """Asked about first (with the reason typed), done once confirmed."""
    form = ReasonForm()
    if request.form.get("confirmed") != "yes" and form.validate_on_submit():
        return _confirm_ending(slug, signup_id, form, "cancel")
    return _signup_action(slug, signup_id, ReasonForm(), lambda s, f: signups.cancel(
        db.session, s, actor=current_user, reason=f.reason.data), "{name}'s sign-up was cancelled.")


@bp.post("/deployments/<slug>/signups/<int:signup_id>/move")
def move(slug: str, signup_id: int):
    form = MoveForm()
    form.state.choices = [(p.state_code, p.state_code)
                          for p in deployments.get_deployment(db.session, slug).placements]
    return _signup_action(slug, signup_id, form, lambda s, f: signups.move(
        db.session, s, f.state.data, actor=current_user), "{name} was moved.")


@bp.post("/deployments/<slug>/signups/<int:signup_id>/role")
def change_role(slug: str, signup_id: int):
    """Asked about first (what the new role means, what the rules will record), done once
    confirmed: the confirmation page posts the same fields back with ``confirmed=yes``."""
    form = RoleForm()
    if request.form.get("confirmed") != "yes" and form.validate_on_submit():
        return _confirm_role_change(slug, signup_id, form)
    return _signup_action(slug, signup_id, RoleForm(), lambda s, f: signups.change_role(
        db.session, s, f.role.data, actor=current_user, override_reason=f.override_reason.data),
        "{name}'s role was changed.")


def _back_to(slug: str, signup) -> str:
    back = request.form.get("back") or ""
    if not back.startswith("/organiser/"):
        back = url_for("organiser.roster", slug=slug, state=signup.placement.state_code)
    return back


def _confirm_ending(slug: str, signup_id: int, form, kind: str):
    """What rejecting or cancelling a sign-up does, before it is done."""
    found = deployments.get_deployment(db.session, slug)
    signup = signups.signup_in_deployment(db.session, signup_id, found)
    name, state = signup.volunteer.full_name, signup.placement.state_code
    back = _back_to(slug, signup)
    what = "claim" if kind == "reject" else "sign-up"
    done = "rejected" if kind == "reject" else "cancelled"
    consequences = [f"{name}'s {what} in {state} ({signup.status.label.lower()}) is {done}, "
                    f"with your reason: “{form.reason.data}”. They are told by email, and "
                    "auditors see the reason."]
    if signup.status in (SignupStatus.CONFIRMED, SignupStatus.PENDING_APPROVAL,
                         SignupStatus.OFFERED):
        consequences.append(f"Their spot in {state} is offered to the next person waiting, "
                            "if anyone is.")
    for stay in housing_reads.future_stays(db.session, signup):
        nights = (stay.check_out - stay.check_in).days
        consequences.append(f"Their bed at {stay.accommodation.name} for {nights} night(s), "
                            f"{stay.check_in:%-d %b} to {stay.check_out:%-d %b}, is given back.")
    consequences.append("They cannot claim again in this deployment until an organiser "
                        "reinstates them (from the roster).")
    return confirm_page(title=f"{'Reject' if kind == 'reject' else 'Cancel'} {name}'s {what}?",
                        consequences=consequences,
                        action=url_for(f"organiser.{kind}", slug=slug, signup_id=signup.id),
                        button=f"Yes, {kind} it", back=back,
                        fields={"reason": form.reason.data, "confirmed": "yes", "back": back})


def _confirm_role_change(slug: str, signup_id: int, form):
    found = deployments.get_deployment(db.session, slug)
    signup = signups.signup_in_deployment(db.session, signup_id, found)
    new = SignupRole(form.role.data)
    back = _back_to(slug, signup)
    name = signup.volunteer.full_name
    if new is signup.role:
        consequences = [f"{name} is {new.label.lower()} already: nothing changes."]
    else:
        consequences = [f"{name}'s role in {signup.placement.state_code} changes from "
                        f"{signup.role.label.lower()} to {new.label.lower()}; the compliance "
                        "findings about their role are recomputed, and the change is in the "
                        "audit trail."]
        consequences += [f"The rules will record: {reason} ({rule}, {code})."
                         for code, rule, reason, _citation in rosters.role_preview(
                             db.session, found, signup, new)]
        if form.override_reason.data:
            consequences.append(f"Your reason is kept with it: “{form.override_reason.data}”.")
    return confirm_page(title=f"Change {name}'s role to {new.label.lower()}?",
                        consequences=consequences,
                        action=url_for("organiser.change_role", slug=slug,
                                       signup_id=signup.id),
                        button="Yes, change the role", back=back,
                        fields={"role": new.value, "confirmed": "yes", "back": back,
                                "override_reason": form.override_reason.data or ""})


@bp.route("/deployments/<slug>/settings", methods=["GET", "POST"])
def settings(slug: str):
    changers_only()
    found = deployments.get_current(db.session, slug)
    form = SettingsForm(obj=found)
    form.status.choices = [SelectChoice(s.value, s.label)
                           for s in deployment_status.choices_for(found)]
    if request.method == "GET":
        form.status.data = found.status.value
    if form.validate_on_submit():
        steps = [
            lambda: deployments.rename_and_redate(
                db.session, found, name=form.name.data, starts_on=form.starts_on.data,
                ends_on=form.ends_on.data, actor=current_user),
            lambda: deployments.set_parties(
                db.session, found, sending=form.sending_organisation.data,
                receiving=form.receiving_committee.data, actor=current_user),
            lambda: deployments.update_settings(
                db.session, found, actor=current_user, status=DeploymentStatus(form.status.data),
                requires_approval=form.requires_approval.data,
                keeps_waitlist=form.keeps_waitlist.data, offer_hours=form.offer_hours.data),
            lambda: deployments.set_election(db.session, found, _election(form),
                                             actor=current_user),
            lambda: fec_facts.set_committee_fec_id(db.session, found, form.committee_fec_id.data,
                                                   actor=current_user)]
        # Every step runs, so every field's problem is shown at once; any problem undoes all.
        failed = []
        for step in steps:
            try:
                step()
            except DomainError as exc:
                failed.append(exc)
        if failed:
            db.session.rollback()
            for exc in failed:
                if not form.apply_domain_error(exc):
                    flash(exc.message, "error")
        else:
            db.session.commit()
            flash("Settings saved.", "success")
            return redirect(url_for("organiser.deployment", slug=slug))
    return render_template("organiser/settings.html", form=form, deployment=found), \
        200 if not form.errors else 422


@bp.get("/outbox")
def outbox():
    return render_template("organiser/outbox.html", messages=notifications.outbox(db.session,
                                                                       reader=current_user))


# -- volunteers from a spreadsheet ------------------------------------------------------------

def _volunteer_import_page(deployment, form, *, rejected=None, status=200):
    return render_template("organiser/import_volunteers.html", deployment=deployment, form=form,
                           rejected=rejected, columns=volunteers_import.COLUMNS,
                           limit=csv_import.describe_size(csv_import.max_bytes())), status


@bp.route("/deployments/<slug>/volunteers/import", methods=["GET", "POST"])
def import_volunteers(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    form = ImportForm()
    if not form.validate_on_submit():
        return _volunteer_import_page(deployment, form, status=422 if form.errors else 200)
    upload = form.file.data
    filename = os.path.basename(upload.filename or "volunteers.csv")[:255]
    content = upload.stream.read(csv_import.max_bytes() + 1)
    try:
        csv_import.check_size(len(content), csv_import.max_bytes(), filename)
        # The whole import runs, then rolls back: the preview says exactly what would happen.
        checked = volunteers_import.import_volunteers(db.session, deployment, content,
                                                      actor=current_user, filename=filename)
    except csv_import.ImportRejected as exc:
        db.session.rollback()
        return _volunteer_import_page(deployment, form, rejected=exc, status=422)
    except DomainError as exc:
        db.session.rollback()
        form.file.errors = [exc.message]
        return _volunteer_import_page(deployment, form, status=422)
    db.session.rollback()
    token = csv_import.stage_upload(db.session, deployment_id=deployment.id, kind="volunteers",
                                    content=content, parsed=checked.parsed,
                                    summary=checked.summary(), user_id=current_user.id)
    db.session.commit()
    return redirect(url_for("organiser.volunteer_import_preview", slug=slug, token=token))


@bp.get("/deployments/<slug>/volunteers/import/<token>")
def volunteer_import_preview(slug: str, token: str):
    """What the dry run on upload found (the file is not read again)."""
    deployment = deployments.get_deployment(db.session, slug)
    staged = csv_import.staged_upload(db.session, deployment_id=deployment.id,
                                      kind="volunteers", token=token)
    return render_template("organiser/import_volunteers_preview.html", deployment=deployment,
                           token=token, staged=staged, preview=staged.summary,
                           form=ConfirmForm())


@bp.post("/deployments/<slug>/volunteers/import/<token>")
def confirm_volunteer_import(slug: str, token: str):
    deployment = deployments.get_deployment(db.session, slug)
    try:
        staged = csv_import.staged_upload(db.session, deployment_id=deployment.id,
                                          kind="volunteers", token=token, with_rows=True)
        done = volunteers_import.import_parsed(db.session, deployment, staged.parsed,
                                               actor=current_user)
        csv_import.drop_upload(db.session, staged.id)
    except csv_import.ImportRejected as exc:
        # Spots or accounts changed since the upload: say what is wrong now.
        db.session.rollback()
        return render_template("organiser/import_volunteers_preview.html",
                               deployment=deployment, token=token, staged=staged,
                               preview=staged.summary, rejected=exc, form=ConfirmForm()), 409
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message.splitlines()[0], "error")
        return redirect(url_for("organiser.import_volunteers", slug=slug))
    db.session.commit()
    flash(f"Imported {done.filename}: {done.describe()}.", "success")
    return redirect(url_for("organiser.deployment", slug=slug))


@bp.post("/deployments/<slug>/volunteers/import/<token>/discard")
def discard_volunteer_import(slug: str, token: str):
    deployment = deployments.get_deployment(db.session, slug)
    try:
        csv_import.drop_upload(db.session, csv_import.staged_upload(
            db.session, deployment_id=deployment.id, kind="volunteers", token=token).id)
    except DomainError:
        pass
    else:
        db.session.commit()
        flash("Upload discarded; nothing was imported.", "info")
    return redirect(url_for("organiser.import_volunteers", slug=slug))


@bp.post("/deployments/<slug>/signups/<int:signup_id>/reinstate")
def reinstate(slug: str, signup_id: int):
    """Take a withdrawn, rejected or cancelled volunteer back, through the claim path."""
    return _signup_action(slug, signup_id, ConfirmForm(),
                          lambda s, f: signups.reinstate(db.session, s, actor=current_user),
                          "{name} is back: a new claim was made (it holds a spot, waits for "
                          "approval or joins the waitlist, as any claim would).")


@bp.post("/deployments/<slug>/signups/<int:signup_id>/invite")
def invite(slug: str, signup_id: int):
    """Send a volunteer without a password (an imported one) the link to choose it, again."""
    return _signup_action(slug, signup_id, ConfirmForm(),
                          lambda s, f: password_links.invite(db.session, s.volunteer.user,
                                                             actor=current_user),
                          "An invitation to choose a password is in the outbox for {name}.")


@bp.get("/deployments/<slug>/signups")
def all_signups(slug: str):
    """Every sign-up, all states on one page, filtered by status and state."""
    found = deployments.get_current(db.session, slug)
    status = paging.choice_arg(request.args.get("status"), [s.value for s in SignupStatus],
                               "status")
    states = [p.state_code for p in found.placements]
    state = paging.choice_arg((request.args.get("state") or "").upper(), states, "state")
    found_page = rosters.all_signups(db.session, found,
                                     status=SignupStatus(status) if status else None,
                                     state=state,
                                     page=paging.page_number(request.args.get("page")))
    return render_template("organiser/signups.html", deployment=found, page=found_page,
                           statuses=list(SignupStatus), states=states, status=status,
                           state=state)
