"""Creating a deployment, and its states as rows of one form (the new-deployment page and
the States page)."""
from __future__ import annotations

from wtforms import (BooleanField, DateField, FieldList, Form, FormField, IntegerField,
                     SelectChoice, SelectField, StringField, SubmitField)
from wtforms.validators import InputRequired, Length, Optional

from ..services.deployment_states import StateRow
from ..services.validation import US_STATES
from . import (BaseForm, OnceForm, election_code_field, election_date_field,
               election_jurisdiction_field, election_name_field, election_office_field,
               receiving_committee_field, sending_organisation_field)


class StateRowForm(Form):
    """One state (a sub-form: the page's form carries the CSRF token)."""
    #: Any value comes through; ``check_rows`` names a bad code in words.
    state = SelectField("State", validators=[Optional()], validate_choice=False)
    capacity = IntegerField("Spots", validators=[Optional()])
    base_city = StringField("Base city", validators=[Optional(), Length(max=100)])
    arrive_from = DateField("First arrival", validators=[Optional()])
    depart_by = DateField("Last departure", validators=[Optional()])
    remove = BooleanField("Remove")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state.choices = [SelectChoice("", "— add a state —")] + [
            SelectChoice(code, f"{code} · {name}") for code, name in sorted(US_STATES.items())]

    def as_row(self) -> StateRow:
        return StateRow(state=self.state.data or "", capacity=self.capacity.data,
                        base_city=(self.base_city.data or "").strip(),
                        arrive_from=self.arrive_from.data, depart_by=self.depart_by.data,
                        remove=bool(self.remove.data))


class DeploymentForm(OnceForm):
    slug = StringField("Short name (in links)", validators=[InputRequired(), Length(max=64)],
                       description="Lower-case letters, digits and hyphens, e.g. us-2024-general.")
    name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    sending_organisation = sending_organisation_field()
    receiving_committee = receiving_committee_field()
    election = election_name_field()
    election_code = election_code_field()
    election_office = election_office_field()
    election_jurisdiction = election_jurisdiction_field()
    election_date = election_date_field()
    starts_on = DateField("Starts on", validators=[InputRequired()])
    ends_on = DateField("Ends on", validators=[InputRequired()])
    requires_approval = BooleanField("Sign-ups need an organiser's approval")
    keeps_waitlist = BooleanField("Keep a waitlist when a state is full", default=True)
    status = SelectField("Status", choices=[SelectChoice("draft", "Draft: only staff see it"),
                                            SelectChoice("open", "Open: volunteers can claim now")],
                         default="draft",
                         description="Open it later in its settings when it is ready.")
    rows = FieldList(FormField(StateRowForm))
    submit = SubmitField("Create deployment")


class StatesForm(BaseForm):
    rows = FieldList(FormField(StateRowForm))
    submit = SubmitField("Save states")


#: Empty rows offered for new states (save to get more).
BLANK_ROWS = 3


def fill_rows(form, placements, blank: int = BLANK_ROWS) -> None:
    """On a GET: a row per existing state, then ``blank`` empty ones."""
    while form.rows.entries:
        form.rows.pop_entry()
    for p in placements:
        form.rows.append_entry({"state": p.state_code, "capacity": p.capacity,
                                "base_city": p.base_city, "arrive_from": p.arrive_from,
                                "depart_by": p.depart_by})
    for _ in range(blank):
        form.rows.append_entry()


def rows_of(form) -> list[StateRow]:
    return [entry.form.as_row() for entry in form.rows]


def show_problems(form, problems: dict[tuple[int, str], str]) -> None:
    """Put each of ``check_rows``'s problems under its row's field."""
    for (index, field), message in problems.items():
        target = form.rows[index].form[field]
        target.errors = [*target.errors, message]
