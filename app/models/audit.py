"""The append-only, hash-chained record of every change."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime

GENESIS_HASH = "0" * 64
#: ``key_id`` of the events made before the chain was keyed: plain SHA-256, no key.
LEGACY_KEY_ID = "legacy"


class AuditEvent(db.Model):
    """Who did what to which record. ``hash`` is an HMAC-SHA256, under the audit key named by
    ``key_id`` (``services/audit_keys``: never in the database), of this event and the previous
    event's hash.

    Rows are only ever inserted; on PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE, and
    the app's own role may only INSERT and SELECT (``services/pg_roles``).
    """

    __tablename__ = "audit_events"

    #: Position in the chain, 1, 2, 3 … without gaps.
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: No foreign key: the chain must stand on its own.
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Which audit key made ``hash`` (a digest of the key, not the key); LEGACY_KEY_ID for
    #: events made before the chain was keyed.
    key_id: Mapped[str] = mapped_column(String(40))


class AuditHead(db.Model):
    """The chain's last position and hash, in a single row.

    Appending updates this row first, which serialises appends on both databases and lets
    ``audit verify`` notice events deleted from the end of the chain. On PostgreSQL a trigger
    lets it move forward only, and the app's role may UPDATE it but not the events. It lives in
    the database, so it is only as good as the database: the anchors outside it (reports and
    checkpoints, ``services/audit_anchors``) are what a compromised database cannot move.
    """

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
