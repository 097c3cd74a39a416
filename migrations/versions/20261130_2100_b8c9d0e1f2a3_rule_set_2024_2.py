"""Rule set 2024.2's facts: elections, organisation types, reimbursements, cash outlay.

- deployments: the election's office and jurisdiction, beside its code (running totals are
  kept per election across deployments).
- payers: ``party_committee`` joins the organisation types.
- costs: ``line_ref`` (the organiser's own reference, unique in a deployment),
  ``reimburses_id`` (the own-expense line this line repays) and ``cash_outlay`` (False when the
  payer spent nothing, e.g. a host's own room). Existing lines keep the meaning 2024.1 gave
  them: no cash outlay where a line in the host's residence is worth nothing.
- A database that already holds data and never chose a rule set keeps 2024.1 in force (an
  activation row is written), so its findings do not change under it; 2024.2 is the default
  only for new installs and is put in force with ``compliance activate 2024.2``.

Revision ID: b8c9d0e1f2a3
Revises: a7f8b9c0d1e2
Create Date: 2026-11-30
"""
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from alembic import op
import sqlalchemy as sa

revision = "b8c9d0e1f2a3"
down_revision = "a7f8b9c0d1e2"
branch_labels = None
depends_on = None

_OLD_TYPES = ("corporation", "labor_union", "federal_contractor", "political_committee",
              "unincorporated")
_NEW_TYPES = _OLD_TYPES + ("party_committee",)
_PIN_NOTE = "Kept in force when rule set 2024.2 became the default for new installs."
_RULESET_2024_1 = (Path(__file__).resolve().parents[2] / "app" / "services" / "compliance"
                   / "rulesets" / "2024.1.json")


def _types_check(types) -> str:
    return "organisation_type IN ({})".format(", ".join(f"'{t}'" for t in types))


def upgrade():
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("election_office", sa.String(length=20), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("election_jurisdiction", sa.String(length=20),
                                      nullable=False, server_default=""))
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.alter_column("election_office", existing_type=sa.String(length=20),
                              server_default=None)
        batch_op.alter_column("election_jurisdiction", existing_type=sa.String(length=20),
                              server_default=None)

    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_payers_organisation_type"), type_="check")
        batch_op.create_check_constraint("organisation_type", _types_check(_NEW_TYPES))

    with op.batch_alter_table("costs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line_ref", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("reimburses_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cash_outlay", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.create_unique_constraint("uq_costs_deployment_id_line_ref",
                                          ["deployment_id", "line_ref"])
        batch_op.create_foreign_key("fk_costs_reimburses_id_costs", "costs", ["reimburses_id"],
                                    ["id"])
        batch_op.create_index("ix_costs_reimburses_id", ["reimburses_id"], unique=False)
        batch_op.create_check_constraint("not_self_reimbursing", "reimburses_id != id")
    op.execute("UPDATE costs SET cash_outlay = false WHERE in_residence AND amount_usd = 0")
    with op.batch_alter_table("costs", schema=None) as batch_op:
        batch_op.alter_column("cash_outlay", existing_type=sa.Boolean(), server_default=None)

    _keep_2024_1_where_there_is_data()


def _keep_2024_1_where_there_is_data():
    conn = op.get_bind()
    chosen = conn.execute(sa.text("SELECT count(*) FROM rule_set_activations")).scalar()
    has_data = conn.execute(sa.text("SELECT count(*) FROM deployments")).scalar()
    if chosen or not has_data:
        return
    document = json.loads(_RULESET_2024_1.read_text(encoding="utf-8"))
    # The same canonical JSON the app hashes (app/services/compliance/rules.py canonical_json).
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    table = sa.table("rule_set_activations", sa.column("version"), sa.column("sha256"),
                     sa.column("document", sa.JSON()), sa.column("note"),
                     sa.column("activated_by_id"), sa.column("activated_at", sa.DateTime()))
    activated_at = datetime.now(timezone.utc)
    if conn.dialect.name == "sqlite":  # the app stores UTC without the offset on SQLite
        activated_at = activated_at.replace(tzinfo=None)
    op.bulk_insert(table, [{"version": document["version"],
                            "sha256": hashlib.sha256(canonical.encode()).hexdigest(),
                            "document": document, "note": _PIN_NOTE, "activated_by_id": None,
                            "activated_at": activated_at}])


def downgrade():
    op.execute(sa.text("DELETE FROM rule_set_activations WHERE note = :note")
               .bindparams(note=_PIN_NOTE))
    with op.batch_alter_table("costs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_costs_not_self_reimbursing"), type_="check")
        batch_op.drop_index("ix_costs_reimburses_id")
        batch_op.drop_constraint("fk_costs_reimburses_id_costs", type_="foreignkey")
        batch_op.drop_constraint("uq_costs_deployment_id_line_ref", type_="unique")
        batch_op.drop_column("cash_outlay")
        batch_op.drop_column("reimburses_id")
        batch_op.drop_column("line_ref")
    # 2024.1's schema knows no party committees: such a payer's type becomes unrecorded.
    op.execute("UPDATE payers SET organisation_type = NULL "
               "WHERE organisation_type = 'party_committee'")
    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_payers_organisation_type"), type_="check")
        batch_op.create_check_constraint("organisation_type", _types_check(_OLD_TYPES))
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_column("election_jurisdiction")
        batch_op.drop_column("election_office")
