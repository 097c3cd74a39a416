"""Checks shared by forms, imports, the API and the CLI."""
import re
from collections.abc import Mapping
from functools import cached_property

import pycountry
from email_validator import EmailNotValidError, validate_email

from .errors import ValidationFailed

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
class _UsStates(Mapping):
    """USPS code → name of the 50 states and DC, from ISO 3166-2:US, read on first use:
    loading pycountry's subdivisions costs a command-line process a noticeable part of its
    start, and most commands never look at a state."""

    @cached_property
    def _codes(self) -> dict[str, str]:
        return {s.code[3:]: s.name for s in pycountry.subdivisions.get(country_code="US")
                if s.type in ("State", "District")}

    def __getitem__(self, code: str) -> str:
        return self._codes[code]

    def __iter__(self):
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)


US_STATES = _UsStates()


def normalise_email(raw: str) -> str:
    """Lower-cased, validated address; syntax only (no network look-ups)."""
    try:
        result = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(f"Not a valid email address: {exc}", field="email") from exc
    return result.normalized.lower()


def state_code(raw: str) -> str:
    code = (raw or "").strip().upper()
    if code not in US_STATES:
        raise ValidationFailed(f"{raw!r} is not a US state code (e.g. NC, PA).", field="state")
    return code


def country_code(raw: str) -> str:
    code = (raw or "").strip().upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValidationFailed(f"{raw!r} is not an ISO 3166 country code (e.g. GB, US).",
                               field="country")
    return code


def currency_code(raw: str) -> str:
    code = (raw or "").strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValidationFailed(f"{raw!r} is not an ISO 4217 currency code (e.g. USD, GBP).",
                               field="currency")
    return code


def slug(raw: str) -> str:
    value = (raw or "").strip()
    if not _SLUG.match(value) or len(value) > 64:
        raise ValidationFailed("A slug is lower-case letters, digits and single hyphens "
                               "(e.g. us-2024-general), at most 64 characters.", field="slug")
    return value
