"""The account page's forms: a new API token."""
from __future__ import annotations

from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange

from . import BaseForm


class TokenForm(BaseForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=100)],
                       description='So you can tell your tokens apart, e.g. "phone bank laptop".')
    scope = SelectField("What it may do", choices=[])
    #: The longest lifetime is the service's to check (API_TOKEN_MAX_DAYS).
    days = IntegerField("Days it works", default=90,
                        validators=[InputRequired(), NumberRange(min=1)])
    submit = SubmitField("Create the token")

    def for_scopes(self, scopes: dict[str, str]) -> "TokenForm":
        self.scope.choices = [(scope, f"{scope}: {what}") for scope, what in scopes.items()]
        return self
