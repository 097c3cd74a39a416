"""Forms for payers, exchange rates, cost lines and spreadsheet uploads."""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, EmailField, SelectChoice, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import InputRequired, Length, Optional

from ..models import CostCategory, OrganisationType, PayerKind
from . import BaseForm, OnceForm, enum_choices

_KIND_LABELS = {
    PayerKind.SELF: "The volunteer themself",
    PayerKind.CAMPAIGN: "The campaign or committee",
    PayerKind.FOREIGN_PARTY: "A foreign political party",
    PayerKind.FOREIGN_ENTITY: "Another foreign organisation",
    PayerKind.FOREIGN_INDIVIDUAL: "A foreign individual",
    PayerKind.US_INDIVIDUAL: "A US individual",
    PayerKind.US_ORGANISATION: "A US organisation",
    PayerKind.UNKNOWN: "Unknown",
}


class PayerForm(BaseForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    kind = SelectField("Kind", choices=enum_choices(
        PayerKind, label=lambda kind: f"{_KIND_LABELS[kind]} ({kind.value})"))
    country = StringField("Country", validators=[Optional(), Length(max=2)],
                          description="ISO 3166 two-letter code, e.g. GB or US.")
    organisation_type = SelectField(
        "Organisation type (US organisations only)", validators=[Optional()],
        choices=enum_choices(OrganisationType, blank="—"))
    # For the FEC export: an itemised contributor needs an address, a committee its FEC id.
    street_1 = StringField("Street (for the FEC export)", validators=[Optional(), Length(max=34)],
                           description="A US payer's postal address; the FEC allows 34 "
                                       "characters a line.")
    street_2 = StringField("Street, second line", validators=[Optional(), Length(max=34)])
    city = StringField("City", validators=[Optional(), Length(max=30)])
    state = StringField("State", validators=[Optional(), Length(max=2)],
                        description="USPS code, e.g. NC.")
    zip = StringField("ZIP code", validators=[Optional(), Length(max=10)],
                      description="5 or 9 digits, e.g. 27701 or 27701-1234.")
    fec_committee_id = StringField(
        "FEC committee id", validators=[Optional(), Length(max=9)],
        description="A political or party committee's FEC id: C and eight digits, e.g. "
                    "C00123456.")
    submit = SubmitField("Save payer")


class RateForm(BaseForm):
    currency = StringField("Currency", validators=[InputRequired(), Length(max=3)],
                           description="ISO 4217 code, e.g. GBP.")
    rate_on = DateField("Date", validators=[InputRequired("Give the rate's date.")])
    usd_per_unit = StringField("US dollars for one unit",
                               validators=[InputRequired(), Length(max=20)],
                               description="e.g. 1.2745 for one pound.")
    source = StringField("Source", validators=[InputRequired(), Length(max=200)],
                         description="Where the rate comes from, e.g. a central bank's daily rate.")
    submit = SubmitField("Add rate")


class CostForm(OnceForm):
    """``payer_id`` and ``arranged_by_id`` choices: the deployment's payers (set by the view)."""
    volunteer_email = EmailField("Volunteer's email", validators=[InputRequired(),
                                                                   Length(max=254)])
    category = SelectField("Category", choices=enum_choices(CostCategory))
    description = StringField("Description", validators=[Optional(), Length(max=500)])
    amount = StringField("Amount", validators=[InputRequired(), Length(max=20)],
                         description="In the currency below, e.g. 129.50.")
    currency = StringField("Currency", default="USD", validators=[InputRequired(),
                                                                   Length(max=3)])
    incurred_on = DateField("Date", validators=[InputRequired("Give the date of the cost.")])
    payer_id = SelectField("Paid by", validators=[InputRequired("Choose who paid.")])
    arranged_by_id = SelectField("Arranged by", validators=[Optional()])
    paid_to = StringField("Paid to", validators=[Optional(), Length(max=200)],
                          description="The airline, hotel, shop or person who received the money.")
    in_residence = BooleanField("Given in the host's own home")
    cash_outlay = SelectField(
        "Money paid out", choices=[
            SelectChoice("", "As usual: yes, except a room in the host's own home"),
            SelectChoice("yes", "Yes: someone paid money for it"),
            SelectChoice("no", "No: nothing was paid out (e.g. a spare room)")],
        validators=[Optional()])
    line_ref = StringField("Your reference for this line", validators=[Optional(), Length(max=60)],
                           description="Optional, unique in the deployment, e.g. FL-0012. A "
                                       "reimbursement in costs.csv names the line it repays by it.")
    reimburses_id = SelectField(
        "Repays the volunteer's own expense", validators=[Optional()], validate_choice=False,
        description="For a reimbursement: the line the volunteer paid themself. The pair is "
                    "counted once.")
    reimbursed = BooleanField("Reimbursed")
    reimbursed_on = DateField("Reimbursed on", validators=[Optional()])
    evidence_ref = StringField("Evidence reference", validators=[Optional(), Length(max=200)],
                               description="Invoice or receipt number, file name …")
    amount_usd = StringField("USD value (only to override the stored rate)",
                             validators=[Optional(), Length(max=20)],
                             description="Leave blank: the rate for the date is used.")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])
    #: Fills the "repays" choices with the typed volunteer's own expenses (saves nothing).
    list_expenses = SubmitField("List their own expenses")
    #: Shown only when the compliance rules warn about this line (see the view).
    save_anyway = BooleanField("Save anyway: I have read the warnings above")
    #: Shown only when an identical line was recorded in the last half hour (see the view).
    save_duplicate = BooleanField("Record another identical line: it is a second, real expense")
    submit = SubmitField("Save line")


def set_reimbursable_choices(form, lines) -> None:
    """Fill ``reimburses_id`` with a volunteer's own-expense lines and what is left to repay
    of each (``ledger.reimbursable_lines``)."""
    form.reimburses_id.choices = [SelectChoice("", "— not a reimbursement —")] + [
        SelectChoice(str(line.id), f"#{line.id} {line.incurred_on.isoformat()} "
                                   f"{line.category.value} {line.description or ''} · "
                                   f"{line.amount_usd} USD, {left} USD left to repay")
        for line, left in lines]


class ImportForm(BaseForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a .csv file to import.")])
    submit = SubmitField("Check the file")


def set_payer_choices(form, payers) -> None:
    """Fill a form's ``payer_id`` and ``arranged_by_id`` choices from the payer registry."""
    form.payer_id.choices = [SelectChoice("", "— choose —")] + [
        SelectChoice(str(p.id), f"{p.name} ({p.kind.value})") for p in payers]
    form.arranged_by_id.choices = [SelectChoice("", "— not recorded —")] + [
        SelectChoice(str(p.id), p.name) for p in payers]
