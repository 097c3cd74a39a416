"""Route expectations for the access matrix, one module per area of the app.

Each module defines ``ROUTES = {endpoint: (method, path, {role: status})}`` and may define
``def world(app, base: dict) -> dict`` returning extra URL parameters (ids of records it needs)
on top of ``base`` ({"slug", "user_id", "state"}). Paths are ``str.format``-ed with them.
"""
from importlib import import_module

from app.models import Role

ANON, VOL, ORG, AUD, ADM = None, Role.VOLUNTEER, Role.ORGANISER, Role.AUDITOR, Role.ADMIN
ROLES = [ANON, VOL, ORG, AUD, ADM]
#: The matrix's sixth column: an organiser on the staff of another deployment, not this one.
OTHER_STAFF = "staff-of-another-deployment"
COLUMNS = [*ROLES, OTHER_STAFF]
#: Areas whose routes under a deployment (``{slug}`` in the path) only its staff may use.
STAFF_AREAS = ("organiser.", "housing.", "ledger.", "compliance.", "reports.", "api_disclosure.")
AREAS = ["core", "signups", "housing", "ledger", "compliance", "reports"]


def everyone(status):
    return {role: status for role in ROLES}


def only(*allowed, ok=200, anonymous=302):
    """``allowed`` roles get ``ok``; other logged-in roles 403; anonymous goes to login."""
    return {role: (anonymous if role is None else ok if role in allowed else 403)
            for role in ROLES}


def staff_read(ok=200):
    """Pages organisers and admins use, auditors may read."""
    return only(ORG, ADM, AUD, ok=ok)


def staff_write(ok=302):
    """Changes only organisers and admins may make (auditors are read-only)."""
    return only(ORG, ADM, ok=ok)


def api_token(ok=200, roles=(VOL, ORG, AUD, ADM), denied=403):
    """Bearer-token routes: no token → 401 (cookies never count); other roles → ``denied``."""
    return {role: (401 if role is None else ok if role in roles else denied) for role in ROLES}


def expected_for(endpoint: str, path: str, expected: dict, column):
    """The status a column expects. Staff of another deployment are refused (403) on every
    route of the staff areas under a deployment; elsewhere they are any organiser."""
    if column != OTHER_STAFF:
        return expected[column]
    if OTHER_STAFF in expected:
        return expected[OTHER_STAFF]
    if "{slug}" in path and endpoint.startswith(STAFF_AREAS):
        return 403
    return expected[ORG]


def load():
    """[(area module)] for every area that exists."""
    return [import_module(f"{__name__}.{area}") for area in AREAS]
