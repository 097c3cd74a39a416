"""Browser forms. Every one carries a CSRF token (FlaskForm + the global CSRFProtect).

Shared bases and the core forms live here; each subject adds a module (``app/forms/housing.py`` …).
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (DateField, FieldList, FormField, EmailField, HiddenField, IntegerField,
                     PasswordField, SelectChoice, SelectField, StringField, SubmitField)
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from ..models import ElectionOffice, Role


def enum_choices(enum_cls, blank: str | None = None, label=None) -> list[SelectChoice]:
    """A select's options for one of the domain's vocabularies (``label(member)`` shown,
    ``member.label`` by default), after an optional blank option."""
    label = label or (lambda member: member.label)
    return ([SelectChoice("", blank)] if blank is not None else []) + \
        [SelectChoice(member.value, label(member)) for member in enum_cls]


def aria_attrs(field, label: str) -> dict:
    """A table cell's input has no visible label: name it, and mark it when it has errors
    (a Jinja global: ``{{ field(**aria_attrs(field, "Spots in NC")) }}``)."""
    return {"aria-label": label, **({"aria-invalid": "true"} if field.errors else {})}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """Strips surrounding white space from every text field."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if unbound_field.field_class in (FieldList, FormField):  # filters go on their fields
                return unbound_field.bind(form=form, **options)
            filters = [_strip, *unbound_field.kwargs.get("filters", [])]
            return unbound_field.bind(form=form, filters=filters, **options)

    def apply_domain_error(self, exc) -> bool:
        """Show a service's error under its field; False when it names no field of this form."""
        field = getattr(self, exc.field, None) if exc.field else None
        if field is None:
            return False
        field.errors = [*field.errors, exc.message] if isinstance(field.errors, list) \
            else [exc.message]
        return True


class _RestorableHidden(HiddenInput):
    """A hidden value rendered as a text input with the ``hidden`` attribute: when the back
    button shows a form again, browsers restore the values of text inputs (with what was
    typed) but not of hidden ones, and the token must come back with the values."""
    input_type = "text"

    def __call__(self, field, **kwargs):
        kwargs.setdefault("class", "once-token")
        kwargs.setdefault("tabindex", "-1")
        kwargs.setdefault("aria-hidden", "true")
        return super().__call__(field, **kwargs)


class OnceTokenField(HiddenField):
    widget = _RestorableHidden()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "HiddenField"  # rendered with the hidden fields, never as a labelled one


class OnceForm(BaseForm):
    """A form that creates something: it carries a one-time token (``services.once``), so
    submitting the same rendered form twice saves one record."""
    once = OnceTokenField()

    def with_token(self) -> "OnceForm":
        """Give a freshly rendered form its token (a re-shown one keeps the one it had)."""
        from ..services.once import new_token
        if not self.once.data:
            self.once.data = new_token()
        return self


class ConfirmForm(BaseForm):
    """A button that changes something: POST with a CSRF token and nothing else."""
    submit = SubmitField("Confirm")


class LoginForm(BaseForm):
    email = EmailField("Email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=200)])
    next = HiddenField()
    submit = SubmitField("Log in")


class RegisterForm(BaseForm):
    full_name = StringField("Full name", validators=[InputRequired(), Length(max=200)])
    email = EmailField("Email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=200)],
                             description="At least 12 characters; a few words work well.")
    confirm = PasswordField("Repeat password",
                            validators=[InputRequired(), EqualTo("password", "The passwords differ.")])
    submit = SubmitField("Create account")


class ForgotPasswordForm(BaseForm):
    email = EmailField("Email", validators=[InputRequired(), Length(max=254)],
                       description="The address you log in with.")
    submit = SubmitField("Send me a link")


class SetPasswordForm(BaseForm):
    password = PasswordField("New password", validators=[InputRequired(), Length(max=200)],
                             description="At least 12 characters; a few words work well.")
    confirm = PasswordField("Repeat the new password",
                            validators=[InputRequired(), EqualTo("password", "The passwords differ.")])
    submit = SubmitField("Set my password")


def sending_organisation_field():
    return StringField("Sending organisation", validators=[Length(max=200)])


def receiving_committee_field():
    return StringField("Receiving campaign or committee", validators=[Length(max=200)])


def election_name_field():
    return StringField("Election", validators=[Length(max=100)],
                       description='For example "2024 general".')


def election_code_field():
    return StringField("Election code", validators=[Length(max=10)],
                       description="FEC style: a letter and the year, e.g. G2024 (general), "
                                   "P2024 (primary). Running totals are kept per election.")


def election_office_field():
    return SelectField("Office", choices=enum_choices(ElectionOffice, blank="—"),
                       validators=[Optional()])


def election_jurisdiction_field():
    return StringField("Jurisdiction", validators=[Length(max=20)],
                       description="US for the presidency, a state (NC) or a House district "
                                   "(NC-05).")


def election_date_field():
    return DateField("Election day", validators=[Optional()])


class CapacityForm(BaseForm):
    capacity = IntegerField("Capacity", validators=[InputRequired(), NumberRange(min=0, max=10000)])
    submit = SubmitField("Save")


class NewUserForm(OnceForm):
    full_name = StringField("Full name", validators=[InputRequired(), Length(max=200)])
    email = EmailField("Email", validators=[InputRequired(), Length(max=254)])
    role = SelectField("Role", choices=enum_choices(Role))
    submit = SubmitField("Add and send an invitation")


class RoleForm(BaseForm):
    role = SelectField("Role", choices=enum_choices(Role))
    submit = SubmitField("Change role")


class StaffForm(BaseForm):
    """Put an organiser on a deployment's staff (the choices: organisers not on it yet)."""
    user_id = SelectField("Organiser", coerce=int, choices=[],
                          validate_choice=True)
    submit = SubmitField("Add to the staff")

    def set_candidates(self, users) -> "StaffForm":
        self.user_id.choices = [(u.id, f"{u.full_name} ({u.email})") for u in users]
        return self

