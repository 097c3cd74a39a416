"""Routes of the ledger area: lines, payers, rates, totals, imports and exports."""
from app.extensions import db
from app.models import CostCategory, Payer, Volunteer
from app.services import costs_import, csv_import, deployments, ledger
from app.services.costs_import import COLUMNS

from . import ADM, ORG, only, staff_read, staff_write

BASE = "/organiser/deployments/{slug}/ledger"

# Order matters within one role's run: reads first, then the changes, deletion last.
ROUTES = {
    "ledger.costs": ("GET", BASE + "/", staff_read()),
    "ledger.new_cost": ("GET", BASE + "/costs/new", staff_read()),
    "ledger.edit_cost": ("GET", BASE + "/costs/{cost_id}", staff_read()),
    "ledger.payers": ("GET", BASE + "/payers", staff_read()),
    "ledger.edit_payer": ("GET", BASE + "/payers/{payer_id}", staff_read()),
    "ledger.rates": ("GET", BASE + "/rates", staff_read()),
    "ledger.totals": ("GET", BASE + "/totals", staff_read()),
    "ledger.import_costs": ("GET", BASE + "/import", staff_read()),
    "ledger.import_preview": ("GET", BASE + "/import/{upload_token}", staff_read()),
    "ledger.exports": ("GET", BASE + "/exports", staff_read()),
    "ledger.export_csv": ("GET", BASE + "/exports/ledger.csv", staff_read()),
    # The matrix's POST carries no file: the upload is discarded / confirmed / refused.
    "ledger.discard_import": ("POST", BASE + "/import/{upload_token}/discard", staff_write()),
    "ledger.confirm_import": ("POST", BASE + "/import/{upload_token}", staff_write()),
    "ledger.confirm_delete_cost": ("GET", BASE + "/costs/{cost_id}/delete", only(ORG, ADM)),
    "ledger.delete_cost": ("POST", BASE + "/costs/{cost_id}/delete", staff_write()),
}


def world(app, base: dict) -> dict:
    """A manual cost line and a waiting upload in the matrix deployment."""
    deployment = deployments.get_deployment(db.session, base["slug"])
    payer = db.session.scalar(db.select(Payer).where(Payer.deployment_id == deployment.id))
    volunteer = db.session.scalar(db.select(Volunteer).order_by(Volunteer.id))
    line = ledger.record_cost(db.session, deployment=deployment, volunteer=volunteer,
                              category=CostCategory.MEALS, amount="12.00", currency="USD",
                              incurred_on=deployment.starts_on, payer=payer, actor=None)
    content = (",".join(COLUMNS) + f"\n{volunteer.email},MEALS,,1.00,USD,2024-10-21,"
               f"{payer.name},,,,,,\n").encode()
    checked = costs_import.check_costs(db.session, deployment, content, filename="costs.csv")
    token = csv_import.stage_upload(db.session, deployment_id=deployment.id, kind="costs",
                                    content=content, parsed=checked.parsed,
                                    summary=checked.summary(), user_id=None)
    return {"cost_id": line.id, "upload_token": token}
