"""Findings and their review (auditors and admins review; organisers read).

The queue of a deployment's findings with filters and sorts, one finding with its facts, rule
and citation, the verdict per volunteer, the rule set in force, and the FEC-style CSV.
"""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..forms.compliance import QueueFilterForm, ReviewForm
from ..models import Role
from ..security import gate
from ..services import deployments, paging
from ..services.compliance import fec, review
from ..services.compliance import verdicts as verdicts_service
from ..services.compliance.store import active_activation, active_rule_set
from ..services.errors import DomainError

bp = Blueprint("compliance", __name__, url_prefix="/deployments/<slug>/findings")
gate(bp, Role.AUDITOR, Role.ADMIN, read_only=(Role.ORGANISER,))


_DONE = {"acknowledge": "acknowledged", "clear": "cleared", "escalate": "escalated"}


@bp.get("/")
def queue(slug: str):
    found = deployments.get_deployment(db.session, slug)
    filters = review.QueueFilters.from_args(request.args)
    form = QueueFilterForm(request.args, meta={"csrf": False})
    form.set_states([p.state_code for p in found.placements])
    page = review.queue(db.session, found, filters)
    counts = review.counts_by_code(db.session, [found.id]).get(found.id)
    return render_template("compliance/queue.html", deployment=found, page=page,
                           filters=filters, form=form, counts=counts,
                           rule_set=active_rule_set(db.session))


def _finding_page(found, finding, form, status: int = 200):
    state, latest = review.review_state(finding)
    rs = active_rule_set(db.session)
    return render_template("compliance/finding.html", deployment=found, finding=finding,
                           rule=rs.by_id.get(finding.rule_id), rule_set=rs, state=state,
                           latest=latest, volunteer=finding.volunteer,
                           siblings=review.siblings(db.session, finding), form=form), status


@bp.get("/<int:finding_id>")
def finding(slug: str, finding_id: int):
    found = deployments.get_deployment(db.session, slug)
    item = review.get_finding(db.session, found, finding_id)
    return _finding_page(found, item, ReviewForm())


@bp.post("/<int:finding_id>/review")
def review_finding(slug: str, finding_id: int):
    found = deployments.get_deployment(db.session, slug)
    item = review.get_finding(db.session, found, finding_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            done = review.review_finding(db.session, deployment=found, finding_id=item.id,
                                         action=form.action.data, reason=form.reason.data,
                                         actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            if not form.apply_domain_error(exc):
                flash(exc.message, "error")
            item = review.get_finding(db.session, found, finding_id)
        else:
            db.session.commit()
            flash(f"Finding #{item.id} {_DONE[done.action.value]}.", "success")
            return redirect(url_for("compliance.queue", slug=slug))
    return _finding_page(found, item, form, 422)


@bp.get("/volunteers")
def verdicts(slug: str):
    found = deployments.get_deployment(db.session, slug)
    rs = active_rule_set(db.session)
    rows = verdicts_service.volunteer_verdicts(db.session, rs, found)
    tally = {level.key: 0 for level in verdicts_service.levels(rs)}
    for row in rows:
        tally[row["verdict"].key] += 1
    return render_template("compliance/volunteers.html", deployment=found, rows=rows,
                           tally=tally, levels=verdicts_service.levels(rs))


@bp.get("/rules")
def rules(slug: str):
    found = deployments.get_deployment(db.session, slug)
    return render_template("compliance/rules.html", deployment=found,
                           rule_set=active_rule_set(db.session),
                           activation=active_activation(db.session))


@bp.get("/fec.csv")
def fec_export(slug: str):
    """The FEC export (Schedule A/B in-kind) as CSV: complete rows only; the reports page
    lists what was left out and why."""
    found = deployments.get_deployment(db.session, slug)
    # an unknown form is fec.build's to explain (on the reports page, where the link is)
    form = (paging.text_arg(request.args.get("form"), "form", max_length=10) or "").upper() \
        or None
    try:
        export = fec.build(db.session, found, form=form)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("reports.index", slug=slug, _anchor="fec"))
    name = f"fec-inkind-{found.slug}-{export.form.lower()}.csv"
    return Response(fec.to_csv(export), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-TripLedger-Incomplete": str(len(export.incomplete))})


__all__ = ["bp"]
