"""Channel users (roles, agency), one-time invites, answer feedback and failed deliveries."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)


def upgrade(conn: Connection) -> None:
    md = MetaData()
    Table(
        "users",
        md,
        Column("id", Integer, primary_key=True),
        Column("channel", String(16), nullable=False),
        Column("channel_user_id", String(64), nullable=False),
        Column("chat_id", String(64)),
        Column("display_name", String(200)),
        Column("role", String(16), nullable=False),
        Column("agency", String(300)),
        Column("active", Boolean, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("revoked_at", DateTime(timezone=True)),
        Column("choices", Text),
        UniqueConstraint("channel", "channel_user_id", name="uq_users_channel_user"),
    )
    Table(
        "invites",
        md,
        Column("id", Integer, primary_key=True),
        Column("code_hash", String(64), nullable=False, unique=True),
        Column("role", String(16), nullable=False),
        Column("agency", String(300)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False),
        Column("created_by", String(100)),
        Column("used_at", DateTime(timezone=True)),
        Column("used_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    )
    Table(
        "feedback",
        md,
        Column("id", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
        Column("channel", String(16), nullable=False),
        Column("question", Text, nullable=False),
        Column("answer", Text, nullable=False),
        Column("refused", Boolean, nullable=False),
        Column("citations", Text, nullable=False),
        Column("rating", Integer),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("rated_at", DateTime(timezone=True)),
        Index("ix_feedback_created", "created_at"),
    )
    Table(
        "delivery_failures",
        md,
        Column("id", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
        Column("channel", String(16), nullable=False),
        Column("chat_id", String(64)),
        Column("reason", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("alerted", Boolean, nullable=False),
    )
    md.create_all(conn)
