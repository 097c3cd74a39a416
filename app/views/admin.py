"""The administrators' area: users, roles and who is on each deployment's staff."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..forms import ConfirmForm, NewUserForm, RoleForm, StaffForm
from ..models import Role
from ..security import gate
from ..services import accounts, deployments, password_links, staff
from ..services.errors import DomainError
from .common import already_saved, commit_once, confirm_page, show_error

bp = Blueprint("admin", __name__, url_prefix="/admin")
gate(bp, Role.ADMIN)


@bp.get("/users")
def users():
    return render_template("admin/users.html", users=accounts.all_users(db.session),
                           form=RoleForm(), invite_form=ConfirmForm())


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    user = accounts.get_user_by_id(db.session, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose one of the roles.", "error")
        return redirect(url_for("admin.users"))
    if request.form.get("confirmed") != "yes":
        role = Role(form.role.data)
        power = {Role.ADMIN: "They will manage every account and role, and see everything.",
                 Role.ORGANISER: "They will change deployments, sign-ups, housing and the "
                                 "ledger.",
                 Role.AUDITOR: "They will read everything and review findings, and change "
                               "nothing else.",
                 Role.VOLUNTEER: "They will see only their own trip and statements."}[role]
        return confirm_page(
            title=f"Make {user.email} {role.label.lower()}?",
            consequences=[f"{user.full_name} is {user.role.label.lower()} now and becomes "
                          f"{role.label.lower()}. {power}",
                          "Their other sessions stay signed in; the change is in the audit "
                          "trail."],
            action=url_for("admin.change_role", user_id=user.id),
            button=f"Yes, make them {role.label.lower()}", back=url_for("admin.users"),
            fields={"role": role.value, "confirmed": "yes"})
    try:
        accounts.set_role(db.session, user, form.role.data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"{user.email} is now {user.role.label.lower()}.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/invite")
def invite(user_id: int):
    """Send (again) the link to choose a password, e.g. after the first one expired."""
    user = accounts.get_user_by_id(db.session, user_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("admin.users"))
    password_links.invite(db.session, user, actor=current_user)
    db.session.commit()
    flash(f"An invitation to choose a password is in the outbox for {user.email}.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    """An account for someone (no password): they choose one from the invitation's link."""
    form = NewUserForm().with_token()

    def shown(user_id: int, again: bool):
        user = accounts.get_user_by_id(db.session, user_id)
        if again:
            flash(f"This form was already saved: {user.email} was added then (the form was sent "
                  "twice); nothing new was added.", "info")
        else:
            flash(f"{user.email} was added as {user.role.label.lower()}; the invitation to "
                  "choose a password is in the outbox.", "success")
        return redirect(url_for("admin.users", _anchor=f"user-{user.id}"))
    if form.is_submitted() and (made := already_saved(form, "user")) is not None:
        return shown(made, again=True)
    if form.validate_on_submit():
        try:
            user = accounts.create_user(db.session, email=form.email.data,
                                        full_name=form.full_name.data,
                                        role=Role(form.role.data), password=None,
                                        actor=current_user)
            password_links.invite(db.session, user, actor=current_user)
        except DomainError as exc:
            show_error(form, exc)
        else:
            return commit_once(form, "user", user, shown=shown)
    return render_template("admin/new_user.html", form=form), 422 if form.errors else 200


@bp.get("/users/<int:user_id>/disable")
def confirm_disable(user_id: int):
    user = accounts.get_user_by_id(db.session, user_id)
    return confirm_page(
        title=f"Disable {user.email}?",
        consequences=[f"{user.full_name} can no longer log in; every session of theirs ends now "
                      "and their API tokens stop working.",
                      "Nothing they recorded is removed; the audit trail keeps it all.",
                      "You can enable the account again later."],
        action=url_for("admin.disable", user_id=user.id), button="Yes, disable the account",
        back=url_for("admin.users"))


@bp.post("/users/<int:user_id>/disable")
def disable(user_id: int):
    return _set_active(user_id, False, "{email} is disabled.")


@bp.post("/users/<int:user_id>/enable")
def enable(user_id: int):
    return _set_active(user_id, True, "{email} can log in again.")


def _set_active(user_id: int, active: bool, done: str):
    user = accounts.get_user_by_id(db.session, user_id)
    return _confirmed_change(lambda: accounts.set_active(db.session, user, active,
                                                         actor=current_user),
                             done.format(email=user.email), url_for("admin.users"))


def _confirmed_change(act, done: str, back: str):
    """Run ``act`` for a confirmation button's POST (one transaction), then go ``back``."""
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(back)
    try:
        act()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(back)


# -- deployment staff ----------------------------------------------------------------------
@bp.get("/deployments")
def deployment_staff_index():
    found = deployments.all_deployments(db.session)
    return render_template("admin/deployments.html", deployments=found,
                           staff=staff.members_by_deployment(db.session, found))


def _staff_page(deployment, form, status=200):
    return render_template("admin/staff.html", deployment=deployment,
                           members=staff.members(db.session, deployment), form=form,
                           remove_form=ConfirmForm()), status


@bp.route("/deployments/<slug>/staff", methods=["GET", "POST"])
def deployment_staff(slug: str):
    """Who runs this deployment; add an organiser to it."""
    deployment = deployments.get_deployment(db.session, slug)
    form = StaffForm().set_candidates(staff.candidates(db.session, deployment))
    if not form.validate_on_submit():
        return _staff_page(deployment, form, 422 if form.errors else 200)
    try:
        user = accounts.get_user_by_id(db.session, form.user_id.data)
        staff.add_member(db.session, deployment, user, actor=current_user)
    except DomainError as exc:
        exc.field = "user_id"
        show_error(form, exc)
        return _staff_page(deployment, form, 422)
    db.session.commit()
    flash(f"{user.email} is now on the staff of {deployment.name}.", "success")
    return redirect(url_for("admin.deployment_staff", slug=slug))


@bp.post("/deployments/<slug>/staff/<int:user_id>/remove")
def remove_staff(slug: str, user_id: int):
    deployment = deployments.get_deployment(db.session, slug)
    user = accounts.get_user_by_id(db.session, user_id)
    return _confirmed_change(
        lambda: staff.remove_member(db.session, deployment, user, actor=current_user),
        f"{user.email} is no longer on the staff of {deployment.name}.",
        url_for("admin.deployment_staff", slug=slug))
