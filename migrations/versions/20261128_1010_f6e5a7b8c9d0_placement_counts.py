"""Placements count their own held spots and waitlist, and refuse to be overbooked.

Counting a placement's sign-ups at every claim costs time in proportion to its sign-ups, and
on SQLite it is spent holding the only write lock. Two counters on ``placements`` are kept by
triggers on ``signups`` (inserts, deletes, changes of status or placement) in the same
statement as the change, so no code path can forget them, and reading them costs the same at
10 sign-ups as at 10,000. Pages still count the sign-ups themselves; tests check the two agree.

The database now also refuses an overbooked placement outright: a CHECK constraint on
PostgreSQL, a trigger on SQLite (which cannot add a constraint to an existing table).

Revision ID: f6e5a7b8c9d0
Revises: e5d4f6a7b8c9
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "f6e5a7b8c9d0"
down_revision = "e5d4f6a7b8c9"
branch_labels = None
depends_on = None

HOLDING = "('confirmed', 'pending_approval', 'offered')"
WAITING = "'waitlisted'"


def _delta(row: str, sign: str, cast: str = "") -> str:
    """SET clause moving ``row``'s (OLD or NEW) counts by ``sign``."""
    return (f"held = held {sign} ({row}.status IN {HOLDING}){cast}, "
            f"waiting = waiting {sign} ({row}.status = {WAITING}){cast}")


_SQLITE = [
    f"""CREATE TRIGGER signups_count_insert AFTER INSERT ON signups BEGIN
        UPDATE placements SET {_delta('NEW', '+')} WHERE id = NEW.placement_id;
    END""",
    f"""CREATE TRIGGER signups_count_delete AFTER DELETE ON signups BEGIN
        UPDATE placements SET {_delta('OLD', '-')} WHERE id = OLD.placement_id;
    END""",
    f"""CREATE TRIGGER signups_count_update AFTER UPDATE OF status, placement_id ON signups BEGIN
        UPDATE placements SET {_delta('OLD', '-')} WHERE id = OLD.placement_id;
        UPDATE placements SET {_delta('NEW', '+')} WHERE id = NEW.placement_id;
    END""",
    """CREATE TRIGGER placements_not_overbooked BEFORE UPDATE OF held, capacity ON placements
    WHEN NEW.held > NEW.capacity OR NEW.held < 0 OR NEW.waiting < 0 BEGIN
        SELECT RAISE(ABORT, 'placement would be overbooked: more spots held than its capacity');
    END""",
]
_SQLITE_DROP = ["DROP TRIGGER placements_not_overbooked", "DROP TRIGGER signups_count_update",
                "DROP TRIGGER signups_count_delete", "DROP TRIGGER signups_count_insert"]

_POSTGRES = [
    f"""CREATE FUNCTION signups_count_spots() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE placements SET {_delta('OLD', '-', '::int')} WHERE id = OLD.placement_id;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE placements SET {_delta('NEW', '+', '::int')} WHERE id = NEW.placement_id;
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER signups_count_spots
    AFTER INSERT OR DELETE OR UPDATE OF status, placement_id ON signups
    FOR EACH ROW EXECUTE FUNCTION signups_count_spots()""",
]
_POSTGRES_DROP = ["DROP TRIGGER signups_count_spots ON signups",
                  "DROP FUNCTION signups_count_spots()"]

_BACKFILL = f"""
UPDATE placements SET
  held = (SELECT count(*) FROM signups
          WHERE signups.placement_id = placements.id AND signups.status IN {HOLDING}),
  waiting = (SELECT count(*) FROM signups
             WHERE signups.placement_id = placements.id AND signups.status = {WAITING})
"""


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.add_column("placements", sa.Column("held", sa.Integer(), nullable=False,
                                          server_default="0"))
    op.add_column("placements", sa.Column("waiting", sa.Integer(), nullable=False,
                                          server_default="0"))
    op.execute(_BACKFILL)
    if _postgres():
        op.create_check_constraint(op.f("ck_placements_not_overbooked"), "placements",
                                   "held <= capacity AND held >= 0 AND waiting >= 0")
        statements = _POSTGRES
    else:
        statements = _SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade():
    if _postgres():
        for statement in _POSTGRES_DROP:
            op.execute(statement)
        op.drop_constraint(op.f("ck_placements_not_overbooked"), "placements", type_="check")
    else:
        for statement in _SQLITE_DROP:
            op.execute(statement)
    op.drop_column("placements", "waiting")
    op.drop_column("placements", "held")
