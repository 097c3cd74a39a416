"""Forms for places to stay and the stays in them."""
from __future__ import annotations

from wtforms import (BooleanField, DateField, IntegerField, SelectChoice, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..models import AccommodationKind, CostSplit
from . import BaseForm, OnceForm, enum_choices

_SPLIT_LABELS = {CostSplit.PER_BED: "Per person: each occupant is charged the nightly cost",
                 CostSplit.SHARED: "Shared: the nightly cost is split over the beds"}


class AccommodationForm(OnceForm):
    """``payer_id`` and ``arranged_by_id`` choices: the deployment's payers (set by the view)."""
    name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    kind = SelectField("Kind", choices=enum_choices(AccommodationKind))
    address = StringField("Address", validators=[Optional(), Length(max=300)])
    city = StringField("City", validators=[Optional(), Length(max=100)])
    state_code = StringField("State", validators=[InputRequired(), Length(max=2)],
                             description="Two-letter USPS code, e.g. NC.")
    beds = IntegerField("Beds", validators=[
        InputRequired("Give the number of beds."),
        NumberRange(min=1, max=10000, message="A place to stay needs at least one bed.")])
    nightly_cost = StringField("Nightly cost", default="0.00",
                               validators=[InputRequired(), Length(max=20)],
                               description="0.00 when nobody pays (e.g. a host's spare room).")
    currency = StringField("Currency", default="USD", validators=[InputRequired(), Length(max=3)],
                           description="ISO 4217 code, e.g. USD, GBP, EUR.")
    cost_split = SelectField("How the nightly cost is charged",
                             choices=[SelectChoice(k.value, label)
                                      for k, label in _SPLIT_LABELS.items()])
    payer_id = SelectField("Paid by", validators=[InputRequired("Choose who pays.")],
                           description="Who pays for the place (not who booked it).")
    arranged_by_id = SelectField("Arranged by", validators=[Optional()],
                                 description="Who found or booked it, if not the payer.")
    is_host_residence = BooleanField("This is the host's own home (not a let)")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Save place")


class StayForm(OnceForm):
    accommodation_id = SelectField("Place to stay", validators=[InputRequired()])
    check_in = DateField("Check-in", validators=[InputRequired("Give a check-in date.")])
    check_out = DateField("Check-out", validators=[InputRequired("Give a check-out date.")],
                          description="The morning they leave: the last night is the one before.")
    other_state_reason = TextAreaField(
        "Reason for a bed in another state", validators=[Optional(), Length(max=500)],
        description="Only for a place outside the state of the volunteer's sign-up; auditors "
                    "see it.")
    submit = SubmitField("Give a bed")


class MoveStayForm(StayForm):
    submit = SubmitField("Move stay")


class SplitStayForm(BaseForm):
    on = DateField("From the night of", validators=[InputRequired("Give the first night "
                                                                  "of the second part.")])
    accommodation_id = SelectField("Continue at", validators=[InputRequired()])
    submit = SubmitField("Split stay")


class EndStayForm(BaseForm):
    check_out = DateField("New check-out", validators=[InputRequired("Give the new "
                                                                     "check-out date.")])
    submit = SubmitField("End stay early")
