"""The cost ledger: payers, costs, exchange rates, totals, imports and exports
(organisers; auditors read)."""
from __future__ import annotations

import os

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict

from ..extensions import db
from ..forms import ConfirmForm
from ..forms.ledger import CostForm, ImportForm, PayerForm, RateForm
from ..models import Cost, CostCategory, PayerKind, Role
from ..security import gate
from .common import already_saved, commit_once, confirm_page, show_error
from ..forms.ledger import set_payer_choices, set_reimbursable_choices
from ..services import (compliance, costs_import, csv_import, deployments, exports, ledger, money,
                        paging, totals)
from ..services.compliance import fec_facts
from ..services.errors import DomainError, NotFound

bp = Blueprint("ledger", __name__, url_prefix="/organiser/deployments/<slug>/ledger")
gate(bp, Role.ORGANISER, Role.ADMIN, read_only=(Role.AUDITOR,))

_COST_DETAILS = ("description", "paid_to", "in_residence", "reimbursed", "reimbursed_on",
                 "evidence_ref", "notes", "arranged_by_id", "line_ref", "reimburses_id")
#: The form's "money paid out" choice; blank: the usual (ledger.cash_outlay_by_default).
_CASH_OUTLAY = {"yes": True, "no": False}


# -- the ledger ---------------------------------------------------------------------------
@bp.get("/")
def costs(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    filters = ledger.LedgerFilters.from_args(db.session, deployment, request.args)
    found = ledger.ledger_page(db.session, deployment, page=filters.page,
                               category=filters.category,
                               payer_id=filters.payer.id if filters.payer else None,
                               volunteer_id=filters.volunteer.id if filters.volunteer else None)
    return render_template("ledger/costs.html", deployment=deployment, lines=found,
                           category=filters.category.value if filters.category else None,
                           payer=filters.payer, volunteer=filters.volunteer,
                           categories=[c.value for c in CostCategory])


def _payer_choices(form, deployment) -> None:
    set_payer_choices(form, ledger.payers_for(db.session, deployment))


def _cost_fields(form, deployment) -> dict:
    """The form's values as the ledger service takes them (may raise a DomainError)."""
    return dict(volunteer=ledger.find_volunteer(db.session, form.volunteer_email.data),
                category=form.category.data, amount=form.amount.data,
                currency=form.currency.data, incurred_on=form.incurred_on.data,
                payer=ledger.get_payer(db.session, deployment, form.payer_id.data),
                amount_usd=form.amount_usd.data or None,
                cash_outlay=_CASH_OUTLAY.get(form.cash_outlay.data or ""),
                **{name: getattr(form, name).data for name in _COST_DETAILS})


def _repays_choices(form, deployment, line=None) -> None:
    """The "repays" picker: the own expenses of the volunteer typed in the form (none until
    an email of a volunteer is there)."""
    found = []
    if form.volunteer_email.data:
        try:
            volunteer = ledger.find_volunteer(db.session, form.volunteer_email.data)
        except DomainError:
            volunteer = None
        if volunteer is not None:
            found = [(own, left) for own, left in
                     ledger.reimbursable_lines(db.session, deployment, volunteer)
                     if line is None or own.id != line.id]
            if not found:
                form.reimburses_id.description = ("This volunteer has no own expenses in this "
                                                  "deployment to repay.")
    else:
        form.reimburses_id.description = ('For a reimbursement: type the volunteer\'s email, '
                                          'then "List their own expenses" below.')
    set_reimbursable_choices(form, found)


def _prefill_reimbursement(form, deployment, cost_id) -> None:
    """A new line that repays ``cost_id``: its volunteer, category and what is left."""
    target = ledger.get_cost(db.session, deployment, cost_id)
    left = dict((own.id, rest) for own, rest in
                ledger.reimbursable_lines(db.session, deployment, target.volunteer))
    form.volunteer_email.data = target.volunteer.email
    form.category.data = target.category.value
    form.amount.data, form.currency.data = str(left.get(target.id, target.amount_usd)), "USD"
    form.description.data = f"Reimbursement of line #{target.id}"
    form.reimburses_id.data = str(target.id)


def _cost_form_page(deployment, form, line, status, warnings=(), same_as=None, **extra):
    if not warnings:
        del form.save_anyway
    if same_as is None and not (form.save_duplicate.data and request.method == "POST"):
        del form.save_duplicate
    return render_template("ledger/cost_form.html", deployment=deployment, form=form, line=line,
                           warnings=warnings, same_as=same_as, **extra), status


@bp.route("/costs/new", methods=["GET", "POST"])
def new_cost(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    form = CostForm().with_token()
    _payer_choices(form, deployment)
    if request.method == "GET" and request.args.get("volunteer_email"):
        form.volunteer_email.data = paging.text_arg(request.args["volunteer_email"],
                                                    "volunteer_email", max_length=254)
    repays = paging.id_arg(request.args.get("reimburses"), "reimburses")
    if request.method == "GET" and repays is not None:
        _prefill_reimbursement(form, deployment, repays)
    _repays_choices(form, deployment)
    if form.list_expenses.data:  # fill the picker, save nothing
        return _cost_form_page(deployment, form, None, 200)
    if form.validate_on_submit():
        return _save_new_cost(slug, deployment, form)
    return _cost_form_page(deployment, form, None, 422 if form.errors else 200)


def _save_new_cost(slug: str, deployment, form):
    """Save the new line, or show why not: the response."""
    warnings = []

    def shown(cost_id: int, again: bool):
        if again:  # the same rendered form came again: nothing new was written
            flash(f"This form was already saved as line #{cost_id} (it was sent twice); "
                  "nothing new was recorded. Here is that line.", "info")
            return redirect(url_for("ledger.edit_cost", slug=slug, cost_id=cost_id))
        line = db.session.get(Cost, cost_id)
        flash(f"Line recorded: {money.format_money(line.amount, line.currency)} "
              f"({money.format_money(line.amount_usd, 'USD')})"
              + (f", with {len(warnings)} finding(s) for the auditors." if warnings else "."),
              "success")
        return redirect(url_for("ledger.costs", slug=slug))

    made = already_saved(form, "cost")
    if made is not None:
        return shown(made, again=True)
    try:
        fields = _cost_fields(form, deployment)
        same_as = None if form.save_duplicate.data else \
            ledger.same_line_recently(db.session, deployment, **fields)
        if same_as is not None:
            made = already_saved(form, "cost")  # a copy of this very form, committed meanwhile
            if made is not None:
                return shown(made, again=True)
            # The back button brings the values again with a new token: ask, save nothing.
            return _cost_form_page(deployment, form, None, 409, same_as=same_as)
        warnings = compliance.cost_entry_warnings(db.session, deployment=deployment, **fields)
        if warnings and not form.save_anyway.data:
            return _cost_form_page(deployment, form, None, 200, warnings)
        line = ledger.record_cost(db.session, deployment=deployment, actor=current_user,
                                  **fields)
    except DomainError as exc:
        show_error(form, exc)
        return _cost_form_page(deployment, form, None, 422, warnings)
    return commit_once(form, "cost", line, shown=shown)


@bp.route("/costs/<int:cost_id>", methods=["GET", "POST"])
def edit_cost(slug: str, cost_id: int):
    deployment = deployments.get_deployment(db.session, slug)
    line = ledger.get_cost(db.session, deployment, cost_id)
    form = CostForm(obj=line if request.method == "GET" else None)
    _payer_choices(form, deployment)
    if request.method == "GET":
        form.volunteer_email.data = line.volunteer.email
        form.category.data = line.category.value
        form.payer_id.data = str(line.payer_id)
        form.arranged_by_id.data = str(line.arranged_by_id or "")
        form.amount_usd.data = str(line.amount_usd) if line.exchange_rate_id is None \
            and line.currency != "USD" else ""
        usual = ledger.cash_outlay_by_default(line.category, line.in_residence)
        form.cash_outlay.data = "" if line.cash_outlay == usual else \
            ("yes" if line.cash_outlay else "no")
        form.line_ref.data = line.line_ref or ""
        form.reimburses_id.data = str(line.reimburses_id or "")
    _repays_choices(form, deployment, line)
    status = 200
    warnings = []
    if form.list_expenses.data:
        return _cost_form_page(deployment, form, line, 200, **_line_extras(deployment, line))
    if form.validate_on_submit():
        try:
            fields = _cost_fields(form, deployment)
            if line.origin.value != "stay":
                warnings = compliance.cost_entry_warnings(db.session, deployment=deployment,
                                                          replaces_line=line.id, **fields)
            if warnings and not form.save_anyway.data:
                return _cost_form_page(deployment, form, line, 200, warnings,
                                       **_line_extras(deployment, line))
            ledger.update_cost(db.session, line, actor=current_user, **fields)
        except DomainError as exc:
            show_error(form, exc)
            status = exc.status
            line = ledger.get_cost(db.session, deployment, cost_id)
        else:
            db.session.commit()
            flash("Line saved.", "success")
            return redirect(url_for("ledger.costs", slug=slug))
    elif form.errors:
        status = 422
    return _cost_form_page(deployment, form, line, status, warnings,
                           **_line_extras(deployment, line))


def _line_extras(deployment, line) -> dict:
    """A saved line's page: deleting it, and its reimbursements (an own expense only)."""
    extras = {"delete_form": ConfirmForm(), "repaid_by": ledger.repaid_by(db.session, line)}
    if line.payer.kind is PayerKind.SELF and line.origin.value != "stay":
        left = dict((own.id, rest) for own, rest in
                    ledger.reimbursable_lines(db.session, deployment, line.volunteer))
        extras["left_to_repay"] = left.get(line.id)
        if extras["left_to_repay"]:
            extras["repay_url"] = url_for("ledger.new_cost", slug=deployment.slug,
                                          reimburses=line.id)
    return extras


@bp.get("/costs/<int:cost_id>/delete")
def confirm_delete_cost(slug: str, cost_id: int):
    deployment = deployments.get_deployment(db.session, slug)
    line = ledger.get_cost(db.session, deployment, cost_id)
    return confirm_page(
        title=f"Delete line #{line.id}?",
        consequences=[f"Line #{line.id} — {line.amount} {line.currency} ({line.amount_usd} USD), "
                      f"{line.category.label.lower()} for {line.volunteer.full_name}, paid by "
                      f"{line.payer.name} — leaves the ledger, the totals and the reports.",
                      "Its findings are withdrawn; the audit trail keeps what the line said.",
                      "Only for a line recorded by mistake: a real cost that changed is edited "
                      "instead."],
        action=url_for("ledger.delete_cost", slug=slug, cost_id=line.id),
        button="Yes, delete this line",
        back=url_for("ledger.edit_cost", slug=slug, cost_id=line.id))


@bp.post("/costs/<int:cost_id>/delete")
def delete_cost(slug: str, cost_id: int):
    deployment = deployments.get_deployment(db.session, slug)
    line = ledger.get_cost(db.session, deployment, cost_id)
    if ConfirmForm().validate_on_submit():
        try:
            ledger.delete_cost(db.session, line, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("ledger.edit_cost", slug=slug, cost_id=cost_id))
        db.session.commit()
        flash("Line deleted (the audit trail keeps what it said).", "success")
    return redirect(url_for("ledger.costs", slug=slug))


# -- payers -------------------------------------------------------------------------------
def _set_fec_facts(payer, form) -> None:
    fec_facts.set_payer_fec_facts(db.session, payer, actor=current_user,
                                  street_1=form.street_1.data, street_2=form.street_2.data,
                                  city=form.city.data, state_code=form.state.data,
                                  zip_=form.zip.data,
                                  fec_committee_id=form.fec_committee_id.data)


@bp.route("/payers", methods=["GET", "POST"])
def payers(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    form = PayerForm()
    if form.validate_on_submit():
        try:
            payer = ledger.add_payer(db.session, deployment, name=form.name.data,
                                     kind=form.kind.data, country=form.country.data,
                                     organisation_type=form.organisation_type.data,
                                     actor=current_user)
            _set_fec_facts(payer, form)
        except DomainError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(f"{payer.name} added to the payer registry.", "success")
            return redirect(url_for("ledger.payers", slug=slug))
    by_payer = {int(t.key): t for t in totals.by_payer(db.session, deployment)}
    return render_template("ledger/payers.html", deployment=deployment, form=form,
                           payers=ledger.payers_for(db.session, deployment),
                           by_payer=by_payer), 422 if form.errors else 200


@bp.route("/payers/<int:payer_id>", methods=["GET", "POST"])
def edit_payer(slug: str, payer_id: int):
    deployment = deployments.get_deployment(db.session, slug)
    payer = ledger.get_payer(db.session, deployment, payer_id)
    form = PayerForm(obj=payer if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = payer.kind.value
        form.organisation_type.data = payer.organisation_type.value \
            if payer.organisation_type else ""
    if form.validate_on_submit():
        try:
            ledger.update_payer(db.session, payer, name=form.name.data, kind=form.kind.data,
                                country=form.country.data,
                                organisation_type=form.organisation_type.data,
                                actor=current_user)
            _set_fec_facts(payer, form)
        except DomainError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(f"{payer.name} saved.", "success")
            return redirect(url_for("ledger.payers", slug=slug))
    return render_template("ledger/payer_form.html", deployment=deployment, form=form,
                           payer=payer), 422 if form.errors else 200


# -- exchange rates -----------------------------------------------------------------------
@bp.route("/rates", methods=["GET", "POST"])
def rates(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    form = RateForm()
    if form.validate_on_submit():
        try:
            rate = ledger.record_exchange_rate(db.session, currency=form.currency.data,
                                               rate_on=form.rate_on.data,
                                               usd_per_unit=form.usd_per_unit.data,
                                               source=form.source.data, actor=current_user)
        except DomainError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(f"1 {rate.currency} = {rate.usd_per_unit} USD on "
                  f"{rate.rate_on.isoformat()} recorded.", "success")
            return redirect(url_for("ledger.rates", slug=slug))
    found = ledger.rates_page(db.session, page=paging.page_number(request.args.get("page")))
    return render_template("ledger/rates.html", deployment=deployment, form=form,
                           rates=found), 422 if form.errors else 200


# -- totals -------------------------------------------------------------------------------
@bp.get("/totals", endpoint="totals")
def totals_page(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    sums = totals.all_totals(db.session, deployment,
                             page=paging.page_number(request.args.get("page")))
    return render_template("ledger/totals.html", deployment=deployment, **sums)


# -- spreadsheets in ----------------------------------------------------------------------
def _import_page(deployment, form, *, rejected=None, status=200):
    return render_template("ledger/import.html", deployment=deployment, form=form,
                           rejected=rejected, columns=costs_import.COLUMNS,
                           optional=costs_import.OPTIONAL_COLUMNS,
                           limit=csv_import.describe_size(csv_import.max_bytes())), status


@bp.route("/import", methods=["GET", "POST"])
def import_costs(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(deployment, form, status=422 if form.errors else 200)
    upload = form.file.data
    filename = os.path.basename(upload.filename or "upload.csv")[:255]
    limit = csv_import.max_bytes()
    content = upload.stream.read(limit + 1)  # never more than one byte past the limit
    try:
        csv_import.check_size(len(content), limit, filename)
        checked = costs_import.check_costs(db.session, deployment, content, filename=filename)
    except csv_import.ImportRejected as exc:
        db.session.rollback()
        return _import_page(deployment, form, rejected=exc, status=422)
    except DomainError as exc:
        show_error(form, exc)
        return _import_page(deployment, form, status=422)
    token = csv_import.stage_upload(db.session, deployment_id=deployment.id, kind="costs",
                                    content=content, parsed=checked.parsed,
                                    summary=checked.summary(), user_id=current_user.id)
    db.session.commit()
    return redirect(url_for("ledger.import_preview", slug=slug, token=token))


@bp.errorhandler(413)
def _too_large(exc):
    """An upload over the app's MAX_CONTENT_LENGTH: say so on the import page."""
    deployment = deployments.get_deployment(db.session, (request.view_args or {}).get("slug", ""))
    # The body is refused unread: let every form on the page (the layout's too) see it empty.
    request.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict())
    form = ImportForm(formdata=None)
    limit = csv_import.describe_size(csv_import.max_bytes())
    form.file.errors = [f"The file is larger than the {limit} an import may be. Split it into "
                        "smaller files and import them one after the other."]
    return _import_page(deployment, form, status=413)


@bp.get("/import/<token>")
def import_preview(slug: str, token: str):
    """What the check on upload found (the file is not read again)."""
    deployment = deployments.get_deployment(db.session, slug)
    staged = csv_import.staged_upload(db.session, deployment_id=deployment.id, kind="costs",
                                      token=token)
    return render_template("ledger/import_preview.html", deployment=deployment, token=token,
                           staged=staged, preview=staged.summary, form=ConfirmForm())


@bp.post("/import/<token>")
def confirm_import(slug: str, token: str):
    deployment = deployments.get_deployment(db.session, slug)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("ledger.import_costs", slug=slug))
    try:
        staged = csv_import.staged_upload(db.session, deployment_id=deployment.id,
                                          kind="costs", token=token, with_rows=True)
    except NotFound as exc:
        flash(exc.message, "error")
        return redirect(url_for("ledger.import_costs", slug=slug))
    try:
        done = costs_import.import_parsed(db.session, deployment, staged.parsed,
                                          actor=current_user,
                                          again=paging.flag_arg(request.args.get("again"), "again"))
        csv_import.drop_upload(db.session, staged.id)
    except csv_import.ImportRejected as exc:
        # The ledger or the registry changed since the upload: say what is wrong now.
        db.session.rollback()
        return render_template("ledger/import_preview.html", deployment=deployment,
                               token=token, staged=staged, preview=staged.summary,
                               rejected=exc, form=ConfirmForm()), 409
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message.splitlines()[0], "error")
        return redirect(url_for("ledger.import_preview", slug=slug, token=token))
    db.session.commit()
    flash(f"Imported {done.written} cost lines from {done.filename} "
          f"({done.total_usd} USD in all).", "success")
    return redirect(url_for("ledger.costs", slug=slug))


@bp.post("/import/<token>/discard")
def discard_import(slug: str, token: str):
    deployment = deployments.get_deployment(db.session, slug)
    if ConfirmForm().validate_on_submit():
        try:
            staged = csv_import.staged_upload(db.session, deployment_id=deployment.id,
                                              kind="costs", token=token)
        except NotFound:
            pass
        else:
            csv_import.drop_upload(db.session, staged.id)
            db.session.commit()
            flash("Upload discarded; nothing was imported.", "info")
    return redirect(url_for("ledger.import_costs", slug=slug))


# -- spreadsheets out ---------------------------------------------------------------------
@bp.get("/exports", endpoint="exports")
def exports_page(slug: str):
    deployment = deployments.get_deployment(db.session, slug)
    return render_template("ledger/exports.html", deployment=deployment, kinds=exports.KINDS)


@bp.get("/exports/<kind>.csv")
def export_csv(slug: str, kind: str):
    deployment = deployments.get_deployment(db.session, slug)
    if kind not in exports.KINDS:
        abort(404, f"There is no {kind} export; choose one of {', '.join(exports.KINDS)}.")
    contact = paging.flag_arg(request.args.get("contact"), "contact", yes="yes", no="no",
                              default=True)
    body = exports.export_csv(db.session, deployment, kind, contact=contact)
    name = f"{deployment.slug}-{kind}{'' if contact else '-no-contact'}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})
