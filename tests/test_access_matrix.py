"""Every route × every role (anonymous included) → the expected answer.

Expectations live in ``tests/routes/<area>.py``. A new route fails
``test_every_route_is_in_the_matrix`` until it is added there.
"""
import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from app import security

from app.extensions import db
from app.models import Role
from app.services import accounts

from . import routes
from .builders import make_deployment
from .conftest import csrf_token

AREAS = routes.load()
ROUTES = {endpoint: spec for area in AREAS for endpoint, spec in area.ROUTES.items()}
#: Form fields POSTed with every write: enough for the simplest valid request of each route.
POST_DATA = {"capacity": "5", "role": "volunteer", "reason": "Access matrix check."}


@pytest.fixture
def world(app):
    """Records to act on; returns the URL parameters every area's paths may use."""
    with app.app_context():
        deployment = make_deployment(slug="matrix", spots={"NC": 5, "PA": 5})
        target = accounts.create_user(db.session, email="target@example.org", full_name="T",
                                      role=Role.VOLUNTEER, password=None, actor=None)
        db.session.commit()
        params = {"slug": deployment.slug, "user_id": target.id, "state": "NC"}
    for area in AREAS:
        if hasattr(area, "world"):
            with app.app_context():
                params.update(area.world(app, dict(params)))
                db.session.commit()
    return params


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(ROUTES), (
        f"add to tests/routes: {sorted(endpoints - set(ROUTES))}; "
        f"gone from the app: {sorted(set(ROUTES) - endpoints)}")


def _log_in_column(app, login_as, column):
    """Log in as the matrix column's user; returns their email (None: anonymous)."""
    if column != routes.OTHER_STAFF:
        return login_as(column)
    return login_as(Role.ORGANISER, staff_of=("elsewhere",))


@pytest.mark.parametrize("column", routes.COLUMNS,
                         ids=lambda c: c.value if isinstance(c, Role) else c or "anonymous")
def test_access_matrix(app, client, login_as, world, column):
    with app.app_context():  # the other deployment, whose staff the sixth column is
        make_deployment(slug="elsewhere", spots={"NV": 3})
        db.session.commit()
    email = _log_in_column(app, login_as, column)
    token = None
    if column is not None:
        with app.app_context():
            token = accounts.issue_token(db.session, accounts.get_user(db.session, email),
                                         actor=None)
            db.session.commit()
    failures = []
    for endpoint, (method, path, expected) in ROUTES.items():
        url = path.format(**world)
        wanted = routes.expected_for(endpoint, path, expected, column)
        if endpoint.startswith("api"):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = client.open(url, method=method, headers=headers)
        elif method != "GET":
            data = {"csrf_token": csrf_token(client, "/login"), **POST_DATA}
            response = client.open(url, method=method, data=data)
        else:
            response = client.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                role = Role.ORGANISER if column == routes.OTHER_STAFF else column
                failures += _forms_this_role_cannot_submit(app, role, url,
                                                           response.get_data(as_text=True))
        response.close()
        if response.status_code != wanted:
            failures.append(f"{method} {url}: {response.status_code}, expected {wanted}")
        if endpoint in ("auth.logout", "account.sign_out_everywhere") and column is not None:
            _log_in_column(app, login_as, column)  # logging out was the point; carry on
    assert not failures, "\n".join(failures)


_POST_FORM = re.compile(r'<form\b[^>]*\bmethod="post"[^>]*>', re.I)
_ACTION = re.compile(r'\baction="([^"]*)"')


def _forms_this_role_cannot_submit(app, role, url: str, html: str) -> list[str]:
    """A form or button on a page must be one its viewer may submit: a POST form whose
    action's blueprint does not let ``role`` change things is reported."""
    adapter = app.url_map.bind("localhost")
    problems = []
    for tag in _POST_FORM.findall(html):
        found = _ACTION.search(tag)
        action = unescape(found.group(1)) if found and found.group(1) else url
        try:
            endpoint, _ = adapter.match(urlsplit(action).path, method="POST")
        except HTTPException:
            problems.append(f"GET {url}: a form posts to {action}, which takes no POST")
            continue
        changers = security.changers(endpoint.partition(".")[0])
        if changers is not None and role not in changers:
            problems.append(f"GET {url}: {getattr(role, 'value', 'anonymous')} is shown a form "
                            f"posting to {action} "
                            f"({endpoint}), which their role cannot submit")
    return problems


def test_the_staff_column_is_refused_in_every_staff_area():
    """The sixth column is not vacuous: in each staff area, routes an organiser may use are
    refused to an organiser of another deployment."""
    refused = {endpoint.split(".")[0] for endpoint, (_m, path, expected) in ROUTES.items()
               if expected[Role.ORGANISER] != 403
               and routes.expected_for(endpoint, path, expected, routes.OTHER_STAFF) == 403}
    assert refused == {area.rstrip(".") for area in routes.STAFF_AREAS}


def test_a_refused_page_explains_itself(client, login_as):
    login_as(Role.VOLUNTEER)
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "role does not give access" in response.get_data(as_text=True)
    anonymous = client.application.test_client().get("/organiser/")
    assert anonymous.location.startswith("/login?next=/organiser/")


def test_auditors_may_read_but_not_change(client, login_as, world):
    login_as(Role.AUDITOR)
    assert client.get(f"/organiser/deployments/{world['slug']}").status_code == 200
    token = csrf_token(client, "/login")
    refused = client.post(f"/organiser/deployments/{world['slug']}/placements/NC",
                          data={"csrf_token": token, "capacity": "1"})
    assert refused.status_code == 403
    assert "may look but not change" in refused.get_data(as_text=True)
