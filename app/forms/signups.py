"""Forms for declaring, claiming and managing sign-ups."""
from __future__ import annotations

from wtforms import (BooleanField, DateField, IntegerField, SelectChoice, SelectField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..models import Affiliation, Citizenship, DeploymentStatus, SignupRole
from ..services.signups import ATTESTATION
from . import (BaseForm, election_code_field, election_date_field, election_jurisdiction_field,
               election_name_field, election_office_field, enum_choices, receiving_committee_field,
               sending_organisation_field)


ROLE_CHOICES = enum_choices(SignupRole)


class DeclarationForm(BaseForm):
    citizenship = SelectField("Citizenship", choices=enum_choices(Citizenship, "Choose…"),
                              validators=[InputRequired()],
                              description="Dual US citizens are US citizens.")
    country = StringField("Country of citizenship (two letters)",
                          validators=[InputRequired(), Length(min=2, max=2)],
                          description="ISO code, e.g. GB, IE, US.")
    home_organisation = StringField("Home organisation", validators=[Length(max=200)])
    affiliation = SelectField("Your link to it", choices=enum_choices(Affiliation, "Choose…"),
                              validators=[InputRequired()])
    leave_type = SelectField("During the trip you are", validators=[InputRequired()],
                             choices=[SelectChoice("", "Choose…"),
                                      SelectChoice("NOT_EMPLOYED", "Not employed"),
                                      SelectChoice("UNPAID", "On unpaid leave"),
                                      SelectChoice("BONA_FIDE_EARNED_LEAVE",
                                                   "On earned annual leave"),
                                      SelectChoice("WORKING_TIME", "On paid working time"),
                                      SelectChoice("SPECIAL_POLITICAL_LEAVE",
                                                   "On special political leave")])
    attest = BooleanField(ATTESTATION, validators=[InputRequired(
        "You must sign the attestation to claim a spot.")])
    submit = SubmitField("Save my declaration")


class ClaimForm(BaseForm):
    state = SelectField("State", validators=[InputRequired()])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired()])
    arrive_on = DateField("Arriving on", validators=[Optional()])
    depart_on = DateField("Leaving on", validators=[Optional()])
    submit = SubmitField("Claim this spot")


class ReasonForm(BaseForm):
    reason = TextAreaField("Reason", validators=[InputRequired(), Length(max=2000)])
    submit = SubmitField("Confirm")


class ApproveForm(BaseForm):
    override_reason = TextAreaField("Override reason (foreign national in a decision-making "
                                    "role)", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Approve")


class MoveForm(BaseForm):
    state = SelectField("Move to", validators=[InputRequired()])
    submit = SubmitField("Move")


class RoleForm(BaseForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired()])
    override_reason = TextAreaField("Override reason", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Change role")


class SettingsForm(BaseForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    starts_on = DateField("Starts on", validators=[InputRequired("Give the first day.")])
    ends_on = DateField("Ends on", validators=[InputRequired("Give the last day.")],
                        description="A state's arrival window that was the deployment's dates "
                                    "follows them.")
    status = SelectField("Status", choices=enum_choices(DeploymentStatus))
    requires_approval = BooleanField("Claims need an organiser's approval")
    keeps_waitlist = BooleanField("Keep a waitlist when a state is full")
    offer_hours = IntegerField("Hours an offer stays open",
                               validators=[InputRequired(), NumberRange(min=1, max=720)])
    sending_organisation = sending_organisation_field()
    receiving_committee = receiving_committee_field()
    election = election_name_field()
    election_code = election_code_field()
    election_office = election_office_field()
    election_jurisdiction = election_jurisdiction_field()
    election_date = election_date_field()
    committee_fec_id = StringField(
        "Receiving committee's FEC id", validators=[Length(max=9)],
        description="The committee that files, e.g. C00123456: the FEC export's filer.")
    submit = SubmitField("Save settings")
