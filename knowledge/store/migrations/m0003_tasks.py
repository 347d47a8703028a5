"""Agency registry and tasks: agencies, aliases, group members, tasks, their agencies and status history."""

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
    UniqueConstraint,
)


def upgrade(conn: Connection) -> None:
    md = MetaData()
    Table("documents", md, Column("id", Integer, primary_key=True))  # referenced only
    Table(
        "agencies",
        md,
        Column("id", Integer, primary_key=True),
        Column("key", String(100), nullable=False, unique=True),
        Column("name", String(300), nullable=False),
        Column("level", String(20), nullable=False),
        Column("kind", String(30), nullable=False),
        Column("province", String(100)),
        Column("is_group", Boolean, nullable=False, default=False),
        Column("successor_id", Integer, ForeignKey("agencies.id", ondelete="SET NULL")),
        Column("effective", Date),
        Column("note", Text),
        Column("active", Boolean, nullable=False, default=True),
    )
    Table(
        "agency_aliases",
        md,
        Column("id", Integer, primary_key=True),
        Column("agency_id", Integer, ForeignKey("agencies.id", ondelete="CASCADE"), nullable=False),
        Column("alias", String(300), nullable=False),
        Column("folded", String(300), nullable=False, unique=True),
        Index("ix_agency_aliases_agency", "agency_id"),
    )
    Table(
        "agency_members",
        md,
        Column("group_id", Integer, ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
        Column("member_id", Integer, ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
    )
    Table(
        "tasks",
        md,
        Column("id", Integer, primary_key=True),
        Column("code", String(100), nullable=False, unique=True),
        Column("origin", String(16), nullable=False),  # "document" or "sheet"
        Column("title", Text, nullable=False),
        Column("due", Date),
        Column("due_text", String(200)),
        Column("recurrence", String(50)),
        Column("status", String(20), nullable=False),
        Column("owner", String(200)),
        Column("province", String(100)),
        Column("document_id", Integer, ForeignKey("documents.id", ondelete="SET NULL")),
        Column("passage_id", Integer),
        Column("source", String(500)),
        Column("section", Text),
        Column("quote", Text),
        Column("quote_start", Integer),
        Column("quote_end", Integer),
        Column("doc_ref", String(300)),  # "Văn bản giao" column of a sheet
        Column("sheet_row", Integer),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Index("ix_tasks_due", "due"),
        Index("ix_tasks_document", "document_id"),
    )
    Table(
        "task_agencies",
        md,
        Column("id", Integer, primary_key=True),
        Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
        Column("agency_id", Integer, ForeignKey("agencies.id", ondelete="SET NULL")),
        Column("name", String(300), nullable=False),  # as written
        Column("role", String(10), nullable=False),  # "lead" or "support"
        Column("ordinal", Integer, nullable=False),
        UniqueConstraint("task_id", "ordinal", name="uq_task_agencies_ordinal"),
        Index("ix_task_agencies_agency", "agency_id"),
    )
    Table(
        "task_status_changes",
        md,
        Column("id", Integer, primary_key=True),
        Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
        Column("from_status", String(20)),
        Column("to_status", String(20), nullable=False),
        Column("by", String(200), nullable=False),
        Column("channel", String(30), nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("note", Text),
        Index("ix_task_status_changes_task", "task_id"),
    )
    md.create_all(conn, tables=[t for name, t in md.tables.items() if name != "documents"])
