"""Forms of the reports area: make a report, check a report's PDF."""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Length, ValidationError

from . import BaseForm

SCOPES = [SelectChoice("deployment", "Whole deployment"), SelectChoice("state", "One state"),
          SelectChoice("no_state", "Volunteers without a sign-up (no state)"),
          SelectChoice("payer", "One payer"), SelectChoice("volunteer", "One volunteer")]


class GenerateReportForm(BaseForm):
    scope = SelectField("Scope", choices=SCOPES, default="deployment")
    # No Optional(): it would stop validate_value from running on an empty value.
    value = StringField("State, payer or volunteer", validators=[Length(max=254)],
                        description="For one state its code (NC); for a payer their name; for a "
                                    "volunteer their email. Leave empty for the whole deployment "
                                    "or the volunteers without a sign-up.")
    submit = SubmitField("Make the report")

    def validate_value(self, field):
        if self.scope.data not in ("deployment", "no_state") and not field.data:
            raise ValidationError("Enter the state code, payer's name or volunteer's email.")

    def scope_arguments(self) -> dict:
        """Keyword arguments for ``scope.resolve``."""
        kind = self.scope.data or "deployment"
        if kind == "no_state":
            return {"state": "none"}
        return {} if kind == "deployment" else {kind: self.value.data or ""}


class VerifyReportForm(BaseForm):
    file = FileField("Report PDF", validators=[FileRequired("Choose the report's PDF file.")],
                     description="A disclosure report or volunteer statement from TripLedger.")
    submit = SubmitField("Check this file")
