"""Routes of the compliance area: findings queue, review, verdicts, rules, FEC CSV, disclosure."""
from app.extensions import db
from app.models import Finding, SignupRole
from app.services import deployments
from app.services.compliance.sync import flush_pending

from ..builders import make_signup, make_volunteer
from . import ADM, AUD, ORG, api_token, only

ROUTES = {
    "compliance.queue": ("GET", "/deployments/{slug}/findings/", only(AUD, ADM, ORG)),
    "compliance.finding": ("GET", "/deployments/{slug}/findings/{finding_id}",
                           only(AUD, ADM, ORG)),
    # The matrix posts no decision: reviewers get the form back with its error (422).
    "compliance.review_finding": ("POST", "/deployments/{slug}/findings/{finding_id}/review",
                                  only(AUD, ADM, ok=422)),
    "compliance.verdicts": ("GET", "/deployments/{slug}/findings/volunteers",
                            only(AUD, ADM, ORG)),
    "compliance.rules": ("GET", "/deployments/{slug}/findings/rules", only(AUD, ADM, ORG)),
    "compliance.fec_export": ("GET", "/deployments/{slug}/findings/fec.csv",
                              only(AUD, ADM, ORG)),
    "api_disclosure.disclosure": ("GET", "/api/v1/deployments/{slug}/disclosure",
                                  api_token(roles=(ORG, AUD, ADM))),
}


def world(app, base: dict) -> dict:
    """A foreign national managing: one finding to open and review."""
    deployment = deployments.get_deployment(db.session, base["slug"])
    volunteer = make_volunteer(email="matrix-manager@example.org")
    make_signup(deployment, volunteer, "PA", role=SignupRole.MANAGER)
    flush_pending(db.session)
    finding = db.session.scalar(db.select(Finding).where(Finding.volunteer_id == volunteer.id))
    return {"finding_id": finding.id}
