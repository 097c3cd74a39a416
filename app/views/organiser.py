"""The organisers' area: deployments and their spots."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from ..extensions import db
from ..forms import CapacityForm, DeploymentForm
from ..models import Deployment, Role
from ..security import gate
from ..services import deployments
from ..services.errors import DomainError

bp = Blueprint("organiser", __name__, url_prefix="/organiser")
gate(bp, Role.ORGANISER, Role.ADMIN, read_only=(Role.AUDITOR,))


@bp.get("/")
def dashboard():
    rows = db.session.scalars(db.select(Deployment).order_by(Deployment.starts_on.desc())).all()
    stats = {d.id: deployments.placement_stats(db.session, d) for d in rows}
    return render_template("organiser/dashboard.html", deployments=rows, stats=stats)


@bp.route("/deployments/new", methods=["GET", "POST"])
def new_deployment():
    form = DeploymentForm()
    if form.validate_on_submit():
        try:
            spots = deployments.parse_state_spots((form.spots.data or "").split())
            created = deployments.create_deployment(
                db.session, slug=form.slug.data, name=form.name.data, actor=current_user,
                spots=spots, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                requires_approval=form.requires_approval.data,
                keeps_waitlist=form.keeps_waitlist.data,
                sending_organisation=form.sending_organisation.data or "",
                receiving_committee=form.receiving_committee.data or "",
                election=form.election.data or "")
        except DomainError as exc:
            db.session.rollback()
            if exc.field == "state":
                exc.field = "spots"
            if not form.apply_domain_error(exc):
                flash(exc.message, "error")
        else:
            db.session.commit()
            flash(f"Deployment {created.name} created.", "success")
            return redirect(url_for("organiser.deployment", slug=created.slug))
    return render_template("organiser/new_deployment.html", form=form), \
        200 if not form.errors else 422


@bp.get("/deployments/<slug>")
def deployment(slug: str):
    found = deployments.get_deployment(db.session, slug)
    return render_template("organiser/deployment.html", deployment=found,
                           placements=deployments.placement_stats(db.session, found),
                           form=CapacityForm())


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
