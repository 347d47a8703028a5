"""Index results, their deductions and the province's targets."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
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
    Table("documents", md, Column("id", Integer, primary_key=True))  # referenced only; exists since 0001
    Table(
        "index_results",
        md,
        Column("id", Integer, primary_key=True),
        Column("index_name", String(8), nullable=False),
        Column("year", Integer, nullable=False),
        Column("province", String(100), nullable=False),
        Column("scope", String(16), nullable=False),
        Column("field", String(200)),
        Column("field_order", Integer),
        Column("score", Float),
        Column("max_score", Float),
        Column("rank", Integer),
        Column("rank_of", Integer),
        Column("rank_change", Integer),
        Column("derived", Boolean, nullable=False),
        Column("origin", String(16), nullable=False),
        Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE")),
        Column("source", String(500), nullable=False),
        Column("section", Text, nullable=False),
        Column("quote", Text, nullable=False),
        Column("quote_start", Integer),
        Column("quote_end", Integer),
        Column("conflict", Boolean, nullable=False),
        Column("note", Text),
        Index("ix_index_results_lookup", "index_name", "year", "province"),
        Index("ix_index_results_document", "document_id"),
    )
    Table(
        "score_deductions",
        md,
        Column("id", Integer, primary_key=True),
        Column("result_id", Integer, ForeignKey("index_results.id", ondelete="CASCADE"), nullable=False),
        Column("ordinal", Integer, nullable=False),
        Column("parent_ordinal", Integer),
        Column("level", Integer, nullable=False),
        Column("amount", Float),
        Column("reason", Text, nullable=False),
        Column("agency", Text),
        Column("agency_inherited", Boolean, nullable=False),
        Column("quote", Text, nullable=False),
        Column("quote_start", Integer),
        Column("quote_end", Integer),
        Column("note", Text),
        Index("ix_score_deductions_result", "result_id"),
    )
    Table(
        "score_targets",
        md,
        Column("id", Integer, primary_key=True),
        Column("index_name", String(8), nullable=False),
        Column("province", String(100), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("value_min", Integer),
        Column("value_max", Integer),
        Column("year_from", Integer),
        Column("year_to", Integer),
        Column("base_year", Integer),
        Column("origin", String(16), nullable=False),
        Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE")),
        Column("source", String(500), nullable=False),
        Column("section", Text, nullable=False),
        Column("quote", Text, nullable=False),
        Column("quote_start", Integer),
        Column("quote_end", Integer),
        Index("ix_score_targets_lookup", "index_name", "province"),
    )
    md.create_all(conn, tables=[md.tables["index_results"], md.tables["score_deductions"], md.tables["score_targets"]])
