"""Documents, their sections and passages."""

from __future__ import annotations

from sqlalchemy import (
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
)


def upgrade(conn: Connection) -> None:
    md = MetaData()
    Table(
        "documents",
        md,
        Column("id", Integer, primary_key=True),
        Column("source", String(500), nullable=False, unique=True),
        Column("path", Text, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("format", String(16), nullable=False),
        Column("encoding", String(16), nullable=False),
        Column("pages", Integer),
        Column("doc_type", String(64)),
        Column("number", String(100)),
        Column("date", String(10)),
        Column("issuer", String(300)),
        Column("signer", String(200)),
        Column("province", String(100)),
        Column("title", Text),
        Column("text", Text, nullable=False),
        Column("ingested_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "sections",
        md,
        Column("id", Integer, primary_key=True),
        Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        Column("ordinal", Integer, nullable=False),
        Column("parent_ordinal", Integer),
        Column("marker", String(20)),
        Column("heading", Text),
        Column("path", Text, nullable=False),
        Column("start", Integer, nullable=False),
        Index("ix_sections_document", "document_id"),
    )
    Table(
        "passages",
        md,
        Column("id", Integer, primary_key=True),
        Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        Column("section_id", Integer, ForeignKey("sections.id", ondelete="CASCADE"), nullable=False),
        Column("ordinal", Integer, nullable=False),
        Column("kind", String(16), nullable=False),
        Column("start", Integer, nullable=False),
        Column("end", Integer, nullable=False),
        Column("text", Text, nullable=False),
        Column("section_path", Text, nullable=False),
        Column("context", Text, nullable=False),
        Index("ix_passages_document", "document_id"),
    )
    md.create_all(conn)
