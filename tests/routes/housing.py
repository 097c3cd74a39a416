"""Routes of the housing area: the board, the roster, places and stays."""
from app.extensions import db
from app.services import deployments, housing

from . import ADM, ORG, only, staff_read, staff_write

BASE = "/organiser/deployments/{slug}/housing"

# Order matters within one role's run: reads first, then the changes, removal last.
ROUTES = {
    "housing.board": ("GET", BASE + "/", staff_read()),
    "housing.roster": ("GET", BASE + "/roster", staff_read()),
    "housing.new_accommodation": ("GET", BASE + "/accommodations/new", staff_read()),
    "housing.edit_accommodation": ("GET", BASE + "/accommodations/{accommodation_id}",
                                   staff_read()),
    "housing.new_stay": ("GET", BASE + "/signups/{signup_id}/stays/new", staff_read()),
    "housing.edit_stay": ("GET", BASE + "/stays/{stay_id}", staff_read()),
    # The matrix's POST data is not a valid stay change: the page answers 422 with the errors.
    "housing.move_stay": ("POST", BASE + "/stays/{stay_id}/move", staff_write(ok=422)),
    "housing.split_stay": ("POST", BASE + "/stays/{stay_id}/split", staff_write(ok=422)),
    "housing.end_stay": ("POST", BASE + "/stays/{stay_id}/end", staff_write(ok=422)),
    # The question before removing: organisers and admins only (no button for auditors).
    "housing.confirm_remove_stay": ("GET", BASE + "/stays/{stay_id}/remove",
                                    only(ORG, ADM)),
    "housing.remove_stay": ("POST", BASE + "/stays/{stay_id}/remove", staff_write()),
}


def world(app, base: dict) -> dict:
    """A payer, a place and a housed volunteer in the matrix deployment."""
    from app.services import ledger
    from tests.builders import make_signup, make_volunteer
    deployment = deployments.get_deployment(db.session, base["slug"])
    payer = ledger.add_payer(db.session, deployment, name="Matrix payer", kind="CAMPAIGN",
                             actor=None)
    place = housing.add_accommodation(db.session, deployment=deployment, actor=None,
                                      name="Matrix hotel", kind="hotel", state_code="NC",
                                      beds=4, nightly_cost="10.00", payer_id=payer.id)
    signup = make_signup(deployment, make_volunteer())
    stay = housing.assign_stay(db.session, signup=signup, accommodation=place,
                               check_in=signup.arrive_on, check_out=signup.depart_on, actor=None)
    return {"accommodation_id": place.id, "signup_id": signup.id, "stay_id": stay.id,
            "payer_id": payer.id}
