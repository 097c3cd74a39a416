"""Every route × every role (anonymous included) → the expected answer.

A new route fails ``test_every_route_is_in_the_matrix`` until it is added to ROUTES.
"""
import pytest

from app.extensions import db
from app.models import Role
from app.services import accounts

from .conftest import csrf_token
from .factories import make_deployment

ANON, VOL, ORG, AUD, ADM = None, Role.VOLUNTEER, Role.ORGANISER, Role.AUDITOR, Role.ADMIN
ROLES = [ANON, VOL, ORG, AUD, ADM]


def everyone(status):
    return {role: status for role in ROLES}


def only(*allowed, ok=200, anonymous=302):
    """``allowed`` roles get ``ok``; other logged-in roles 403; anonymous goes to login."""
    return {role: (anonymous if role is None else ok if role in allowed else 403)
            for role in ROLES}


def api_token(ok=200):
    """Bearer-token routes: any valid token gets ``ok``, none gets 401 (cookies don't count)."""
    return {role: (401 if role is None else ok) for role in ROLES}


# endpoint: (method, path, {role: status})
ROUTES = {
    "static": ("GET", "/static/css/app.css", everyone(200)),
    "public.index": ("GET", "/", everyone(200)),
    "public.deployment": ("GET", "/deployments/{slug}", everyone(200)),
    "public.healthz": ("GET", "/healthz", everyone(200)),
    "auth.login": ("GET", "/login", everyone(200)),
    "auth.register": ("GET", "/register", everyone(200)),
    "auth.logout": ("POST", "/logout", {**everyone(302)}),
    "volunteer.home": ("GET", "/me/", only(VOL)),
    "organiser.dashboard": ("GET", "/organiser/", only(ORG, ADM)),
    "organiser.new_deployment": ("GET", "/organiser/deployments/new", only(ORG, ADM)),
    "organiser.deployment": ("GET", "/organiser/deployments/{slug}", only(ORG, ADM)),
    "organiser.set_capacity": ("POST", "/organiser/deployments/{slug}/placements/NC",
                               only(ORG, ADM, ok=302)),
    "auditor.dashboard": ("GET", "/audit/", only(AUD, ADM)),
    "admin.users": ("GET", "/admin/users", only(ADM)),
    "admin.change_role": ("POST", "/admin/users/{user_id}/role", only(ADM, ok=302)),
    "api.me": ("GET", "/api/v1/me", api_token()),
    "api.deployment": ("GET", "/api/v1/deployments/{slug}", everyone(200)),
}


@pytest.fixture
def world(app):
    """A deployment and a user to act on; returns the URL parameters."""
    with app.app_context():
        deployment = make_deployment(slug="matrix", spots={"NC": 5})
        target = accounts.create_user(db.session, email="target@example.org", full_name="T",
                                      role=Role.VOLUNTEER, password=None, actor=None)
        db.session.commit()
        return {"slug": deployment.slug, "user_id": target.id}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(ROUTES), (
        f"add to ROUTES: {sorted(endpoints - set(ROUTES))}; "
        f"gone from the app: {sorted(set(ROUTES) - endpoints)}")


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_access_matrix(app, client, login_as, world, role):
    email = login_as(role)
    token = None
    if role is not None:
        with app.app_context():
            token = accounts.issue_token(db.session, accounts.get_user(db.session, email),
                                         actor=None)
            db.session.commit()
    failures = []
    for endpoint, (method, path, expected) in ROUTES.items():
        url = path.format(**world)
        if endpoint.startswith("api."):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = client.open(url, method=method, headers=headers)
        elif method == "POST":
            data = {"csrf_token": csrf_token(client, "/login"), "capacity": "5",
                    "role": "volunteer"}
            response = client.post(url, data=data)
        else:
            response = client.get(url)
        response.close()
        if response.status_code != expected[role]:
            failures.append(f"{method} {url}: {response.status_code}, expected {expected[role]}")
        if endpoint == "auth.logout" and role is not None:
            login_as(role)  # logging out was the point; carry on logged in for the rest
    assert not failures, "\n".join(failures)


def test_a_refused_page_explains_itself(client, login_as):
    login_as(VOL)
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "role does not give access" in response.get_data(as_text=True)
    anonymous = client.application.test_client().get("/organiser/")
    assert anonymous.location.startswith("/login?next=/organiser/")
