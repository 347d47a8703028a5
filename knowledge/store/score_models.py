"""ORM models of index results (PAR INDEX, SIPAS, PAPI, PCI, ICT INDEX): overall, field and component
results, their deductions and the province's targets. Schema: ``knowledge/migrations/m0002_scores.py``.

``origin`` is ``document`` (extracted from an ingested document; replaced on every refresh) or
``import`` (from a CSV/XLSX table; kept until re-imported). Every row keeps its source and quote.
"""

from __future__ import annotations

import logging

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge.store.models import Base

logger = logging.getLogger(__name__)


class IndexResult(Base):
    __tablename__ = "index_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    index_name: Mapped[str] = mapped_column(String(8))  # PAR | SIPAS | PAPI | PCI | ICT
    year: Mapped[int] = mapped_column(Integer)
    province: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(16))  # overall | field | component
    field: Mapped[str | None] = mapped_column(String(200))
    field_order: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    rank_of: Mapped[int | None] = mapped_column(Integer)
    rank_change: Mapped[int | None] = mapped_column(Integer)  # signed: +12 = up 12 places
    derived: Mapped[bool] = mapped_column(Boolean)
    origin: Mapped[str] = mapped_column(String(16))  # document | import
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(500))
    section: Mapped[str] = mapped_column(Text)
    quote: Mapped[str] = mapped_column(Text)
    quote_start: Mapped[int | None] = mapped_column(Integer)
    quote_end: Mapped[int | None] = mapped_column(Integer)
    conflict: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)

    deductions: Mapped[list[Deduction]] = relationship(
        back_populates="result", cascade="all, delete-orphan", passive_deletes=True, order_by="Deduction.ordinal"
    )


class Deduction(Base):
    __tablename__ = "score_deductions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("index_results.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    parent_ordinal: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    amount: Mapped[float | None] = mapped_column(Float)  # None: the number is malformed in the source
    reason: Mapped[str] = mapped_column(Text)
    agency: Mapped[str | None] = mapped_column(Text)
    agency_inherited: Mapped[bool] = mapped_column(Boolean)
    quote: Mapped[str] = mapped_column(Text)
    quote_start: Mapped[int | None] = mapped_column(Integer)
    quote_end: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)

    result: Mapped[IndexResult] = relationship(back_populates="deductions")


class ScoreTarget(Base):
    __tablename__ = "score_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    index_name: Mapped[str] = mapped_column(String(8))
    province: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # top | rank_up | score_up
    value_min: Mapped[int | None] = mapped_column(Integer)
    value_max: Mapped[int | None] = mapped_column(Integer)
    year_from: Mapped[int | None] = mapped_column(Integer)
    year_to: Mapped[int | None] = mapped_column(Integer)
    base_year: Mapped[int | None] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(16))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(500))
    section: Mapped[str] = mapped_column(Text)
    quote: Mapped[str] = mapped_column(Text)
    quote_start: Mapped[int | None] = mapped_column(Integer)
    quote_end: Mapped[int | None] = mapped_column(Integer)
