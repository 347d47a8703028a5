"""Reminders: the delivery ledger (unique idempotency key), calendar overrides, per-user reminder
settings, task snoozes, the SQLite dispatcher lock, and undo data in the task history."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)


def upgrade(conn: Connection) -> None:
    md = MetaData()
    Table("tasks", md, Column("id", Integer, primary_key=True))
    Table("users", md, Column("id", Integer, primary_key=True))
    Table(
        "reminder_deliveries",
        md,
        Column("id", Integer, primary_key=True),
        Column("key", String(300), nullable=False, unique=True),
        Column("task_id", Integer, ForeignKey("tasks.id", ondelete="SET NULL")),
        Column("recipient", String(100), nullable=False),
        Column("channel", String(16), nullable=False),
        Column("kind", String(30), nullable=False),
        Column("due", Date),
        Column("note", String(50)),
        Column("send_at", DateTime(timezone=True), nullable=False),
        Column("not_before", DateTime(timezone=True), nullable=False),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("lease_owner", String(64)),
        Column("lease_until", DateTime(timezone=True)),
        Column("in_flight", Boolean, nullable=False),
        Column("sent_at", DateTime(timezone=True)),
        Column("message_id", String(64)),
        Column("error", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Index("ix_reminder_deliveries_due", "status", "not_before"),
        Index("ix_reminder_deliveries_task", "task_id"),
    )
    Table(
        "calendar_overrides",
        md,
        Column("day", Date, primary_key=True),
        Column("kind", String(10), nullable=False),
        Column("note", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "reminder_settings",
        md,
        Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        Column("muted", Boolean, nullable=False),
        Column("hour", Integer),
        Column("undeliverable_at", DateTime(timezone=True)),
        Column("undeliverable_reason", Text),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "task_snoozes",
        md,
        Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
        Column("until", DateTime(timezone=True), nullable=False),
        Column("by", String(200), nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "reminder_locks",
        md,
        Column("name", String(30), primary_key=True),
        Column("owner", String(64)),
        Column("until", DateTime(timezone=True)),
    )
    md.create_all(conn, tables=[t for name, t in md.tables.items() if name not in ("tasks", "users")])
    # Task history: what an action changed, so it can be undone, and when it was undone. (Only where
    # 0003 already made the table: a database that gets 0007 before 0003 is a test of the runner.)
    if "task_status_changes" not in inspect(conn).get_table_names():
        return
    for column, kind in (("action", "VARCHAR(20)"), ("data", "TEXT"), ("undone_at", "TIMESTAMP WITH TIME ZONE")):
        if conn.dialect.name == "sqlite" and kind.startswith("TIMESTAMP"):
            kind = "DATETIME"
        conn.execute(text(f"ALTER TABLE task_status_changes ADD COLUMN {column} {kind}"))
