"""Index-result queries: results by index, year, province and field (the ``cchc scores`` JSON), targets."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import CchcError
from core.indices import (
    INDEX_CODES,
    INDEX_LABELS,
    resolve_index,
)
from core.text import fold, province_key
from knowledge.store.db import Database
from knowledge.store.documents import display_title, metadata_only
from knowledge.store.models import Document
from knowledge.store.score_models import IndexResult, ScoreTarget

logger = logging.getLogger(__name__)


def query(
    db: Database,
    *,
    index: str | None = None,
    year: int | None = None,
    province: str | None = None,
    field_name: str | None = None,
    include_derived: bool = True,
) -> list[dict[str, Any]]:
    """Results as JSON-ready dicts (see the ``cchc scores`` contract), ordered by province, year, index."""
    with db.session() as s:
        stmt = select(IndexResult)
        if index:
            code = resolve_index(index)
            if code is None:
                raise CchcError(f"Không nhận ra chỉ số '{index}'. Dùng một trong: {', '.join(INDEX_LABELS.values())}.")
            stmt = stmt.where(IndexResult.index_name == code)
        if year is not None:
            stmt = stmt.where(IndexResult.year == year)
        if not include_derived:
            stmt = stmt.where(IndexResult.derived.is_(False))
        rows = list(s.scalars(stmt))
        if province:
            want = province_key(province)
            rows = [r for r in rows if province_key(r.province) == want]
        if field_name:
            fk = fold(field_name)
            rows = [r for r in rows if r.field and fk in fold(r.field)]
        rows.sort(key=lambda r: (r.province, r.year, INDEX_CODES.index(r.index_name) if r.index_name in INDEX_CODES
                                 else 9, r.scope != "overall", r.field_order or 0, r.derived))
        titles = document_titles(s, {r.document_id for r in rows if r.document_id})
        return [result_dict(r, titles.get(r.document_id or -1)) for r in rows]


def targets(db: Database, *, province: str | None = None, index: str | None = None) -> list[dict[str, Any]]:
    with db.session() as s:
        rows = list(s.scalars(select(ScoreTarget).order_by(ScoreTarget.id)))
        code = resolve_index(index) if index else None
        return [
            {"index": t.index_name, "province": t.province, "kind": t.kind, "value_min": t.value_min,
             "value_max": t.value_max, "year_from": t.year_from, "year_to": t.year_to, "base_year": t.base_year,
             "source": t.source, "section": t.section, "quote": t.quote}
            for t in rows
            if (province is None or province_key(t.province) == province_key(province)) and (code is None or t.index_name == code)
        ]


def result_dict(r: IndexResult, document: str | None = None) -> dict[str, Any]:
    return {
        "index": r.index_name,
        "index_label": INDEX_LABELS.get(r.index_name, r.index_name),
        "year": r.year,
        "province": r.province,
        "scope": r.scope,
        "field": r.field,
        "score": r.score,
        "max_score": r.max_score,
        "rank": r.rank,
        "rank_of": r.rank_of,
        "rank_change": r.rank_change,
        "derived": r.derived,
        "conflict": r.conflict,
        "origin": r.origin,
        "source": r.source,
        "document": document,
        "section": r.section,
        "quote": r.quote,
        "note": r.note,
        "deductions": [
            {"amount": d.amount, "reason": d.reason, "agency": d.agency, "agency_inherited": d.agency_inherited,
             "level": d.level, "parent": d.parent_ordinal, "quote": d.quote, "note": d.note}
            for d in r.deductions
        ],
    }


def document_titles(s: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    docs = s.scalars(select(Document).options(metadata_only()).where(Document.id.in_(ids)))
    return {d.id: display_title(d) for d in docs}


def pick_result(rows: list[IndexResult]) -> IndexResult:
    """The preferred of several results for one key: stated before derived, document before import."""
    return sorted(rows, key=lambda r: (r.derived, r.origin != "document", r.score is None, r.id))[0]
