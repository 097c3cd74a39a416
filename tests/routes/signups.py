"""Routes of sign-ups: the volunteer's declaration and claims, organisers' roster actions, API."""
from app.extensions import db
from app.models import SignupStatus

from ..builders import make_signup, make_volunteer
from . import VOL, api_token, only, staff_read, staff_write

ROUTES = {
    "volunteer.declaration": ("GET", "/me/declaration", only(VOL)),
    "volunteer.claim": ("GET", "/me/deployments/{slug}/claim", only(VOL, ok=302)),
    # another person's sign-up: a volunteer gets 404, never a change
    "volunteer.withdraw": ("POST", "/me/signups/{signup_id}/withdraw", only(VOL, ok=404)),
    "volunteer.confirm_withdraw": ("GET", "/me/signups/{signup_id}/withdraw",
                                   only(VOL, ok=404)),
    "volunteer.accept_offer": ("POST", "/me/signups/{signup_id}/accept", only(VOL, ok=404)),
    "volunteer.decline_offer": ("POST", "/me/signups/{signup_id}/decline", only(VOL, ok=404)),
    "organiser.roster": ("GET", "/organiser/deployments/{slug}/states/NC", staff_read()),
    "organiser.all_signups": ("GET", "/organiser/deployments/{slug}/signups?status=withdrawn",
                              staff_read()),
    "organiser.settings": ("GET", "/organiser/deployments/{slug}/settings",
                           staff_write(ok=200)),
    "organiser.outbox": ("GET", "/organiser/outbox", staff_read()),
    "organiser.approve": ("POST", "/organiser/deployments/{slug}/signups/{signup_id}/approve",
                          staff_write()),
    # With a reason but without "confirmed": the confirmation page (200), nothing done yet.
    "organiser.reject": ("POST", "/organiser/deployments/{slug}/signups/{signup_id}/reject",
                         staff_write(ok=200)),
    "organiser.cancel": ("POST", "/organiser/deployments/{slug}/signups/{other_signup_id}/cancel",
                         staff_write(ok=200)),
    "organiser.move": ("POST", "/organiser/deployments/{slug}/signups/{signup_id}/move",
                       staff_write()),
    "organiser.invite": ("POST", "/organiser/deployments/{slug}/signups/{signup_id}/invite",
                         staff_write()),
    "organiser.reinstate": ("POST",
                            "/organiser/deployments/{slug}/signups/{signup_id}/reinstate",
                            staff_write()),
    "organiser.change_role": ("POST",
                              "/organiser/deployments/{slug}/signups/{signup_id}/role",
                              staff_write()),
    "organiser.import_volunteers": ("GET", "/organiser/deployments/{slug}/volunteers/import",
                                    staff_read()),
    # an unknown upload token: not found for staff, never a change
    "organiser.volunteer_import_preview": (
        "GET", "/organiser/deployments/{slug}/volunteers/import/no-such-token", staff_read(ok=404)),
    "organiser.confirm_volunteer_import": (
        "POST", "/organiser/deployments/{slug}/volunteers/import/no-such-token", staff_write()),
    "organiser.discard_volunteer_import": (
        "POST", "/organiser/deployments/{slug}/volunteers/import/no-such-token/discard",
        staff_write()),
    # API claims: volunteers only; the matrix volunteer has not declared → 409
    "api.claim": ("POST", "/api/v1/deployments/{slug}/placements/NC/claims",
                  api_token(ok=409, roles=(VOL,))),
    "api.my_claim": ("GET", "/api/v1/deployments/{slug}/claims/mine",
                     api_token(ok=404, roles=(VOL,))),
    "api.withdraw": ("DELETE", "/api/v1/deployments/{slug}/claims/mine",
                     api_token(ok=404, roles=(VOL,))),
    "api.accept_offer": ("POST", "/api/v1/deployments/{slug}/claims/mine/accept",
                         api_token(ok=404, roles=(VOL,))),
}


def world(app, base):
    """Sign-ups of someone else in the matrix deployment."""
    from app.services import deployments
    deployment = deployments.get_deployment(db.session, base["slug"])
    pending = make_signup(deployment, make_volunteer(), "NC", status=SignupStatus.PENDING_APPROVAL)
    other = make_signup(deployment, make_volunteer(), "NC")
    return {"signup_id": pending.id, "other_signup_id": other.id}
