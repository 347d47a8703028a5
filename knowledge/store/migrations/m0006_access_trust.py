"""Access hardening: keyed invite hashes, failed-registration records for lockout, allowed groups.

Invites created before this migration keep their unsalted SHA-256 hash (``hash_scheme = 'sha256'``)
and can still be redeemed, but no longer than 30 days (the default maximum expiry) from now.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)

LEGACY_MAX_DAYS = 30


def upgrade(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE invites ADD COLUMN hash_scheme VARCHAR(16) NOT NULL DEFAULT 'sha256'"))
    cap = datetime.now(UTC) + timedelta(days=LEGACY_MAX_DAYS)
    conn.execute(
        text("UPDATE invites SET expires_at = :cap WHERE used_at IS NULL AND expires_at > :cap"), {"cap": cap}
    )
    md = MetaData()
    Table(
        "registration_failures",
        md,
        Column("id", Integer, primary_key=True),
        Column("channel", String(16), nullable=False),
        Column("channel_user_id", String(64), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Index("ix_registration_failures_created", "created_at"),
        Index("ix_registration_failures_user", "channel", "channel_user_id", "created_at"),
    )
    Table(
        "allowed_groups",
        md,
        Column("id", Integer, primary_key=True),
        Column("channel", String(16), nullable=False),
        Column("chat_id", String(64), nullable=False),
        Column("note", String(200)),
        Column("allowed_at", DateTime(timezone=True), nullable=False),
        Column("allowed_by", String(100)),
        UniqueConstraint("channel", "chat_id", name="uq_allowed_groups_channel_chat"),
    )
    md.create_all(conn)
