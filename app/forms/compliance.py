"""Forms of the compliance area: the findings queue's filters and an auditor's review."""
from __future__ import annotations

from wtforms import RadioField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from ..models import FindingCode, PayerKind, ReviewAction
from ..services.compliance.review import REASON_MAX, SORTS, STATUSES
from . import BaseForm

_ACTIONS = [SelectChoice(ReviewAction.ACKNOWLEDGE.value, "Acknowledge — noted, no further action"),
            SelectChoice(ReviewAction.CLEAR.value, "Clear — not a problem, and here is why"),
            SelectChoice(ReviewAction.ESCALATE.value, "Escalate — needs counsel or the treasurer")]


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class QueueFilterForm(BaseForm):
    """Filters sent as a query string (GET): reading a list changes nothing, so no CSRF."""

    class Meta:
        csrf = False

    code = SelectField("Code", choices=_choices([("", "Any code")] + [(c.value, c.value)
                                                                      for c in FindingCode]))
    min_severity = SelectField("Severity", choices=_choices([("", "Any severity")] + [
        (str(c.severity), f"{c.value} or worse") for c in FindingCode][:-1]))
    state = SelectField("State", choices=_choices([("", "Any state")]))
    payer_kind = SelectField("Payer kind", choices=_choices([("", "Any payer")] + [
        (k.value, k.value) for k in PayerKind]))
    status = SelectField("Review", choices=_choices(STATUSES.items()), default="open")
    sort = SelectField("Sort by", choices=_choices(SORTS.items()), default="severity")

    def set_states(self, states: list[str]) -> None:
        self.state.choices = _choices([("", "Any state")] + [(code, code) for code in states])


class ReviewForm(BaseForm):
    action = RadioField("Decision", choices=_ACTIONS, validators=[InputRequired(
        "Choose acknowledge, clear or escalate.")])
    reason = TextAreaField("Reason", validators=[Length(max=REASON_MAX)],
                           description="Required to clear or escalate; kept with the review "
                                       "and in the audit trail.")
    submit = SubmitField("Record review")

    def validate_reason(self, field) -> None:
        if self.action.data in (ReviewAction.CLEAR.value, ReviewAction.ESCALATE.value) \
                and not (field.data or "").strip():
            raise ValidationError("Write why: a reason is required to clear or escalate.")
