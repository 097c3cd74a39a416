"""The fixtures keep tests apart: a test that starts from a template gets its own copy, and
what one test writes no other test sees (the two tests of each pair below run in either order;
whichever runs second would find the first one's row)."""
import pytest

from app.extensions import db
from app.models import Deployment
from app.services import demo

from .builders import make_deployment


def _write_a_scratch_deployment_where_none_was(app) -> set[str]:
    with app.app_context():
        slugs = set(db.session.scalars(db.select(Deployment.slug)))
        assert "scratch" not in slugs, "a row written by another test is here"
        make_deployment(slug="scratch")
        db.session.commit()
        return slugs


@pytest.mark.parametrize("turn", [1, 2])
@pytest.mark.starts_from("demo")
def test_each_test_gets_its_own_copy_of_the_demo(app, turn):
    assert _write_a_scratch_deployment_where_none_was(app) == {demo.SLUG}


@pytest.mark.parametrize("turn", [1, 2])
def test_an_unmarked_test_starts_empty(app, turn):
    assert _write_a_scratch_deployment_where_none_was(app) == set()
