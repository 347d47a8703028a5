"""Index results and targets re-extracted from the stored documents (rules in ``ingest.facts.scores``);
imported rows are kept. Conflicting numbers across sources are flagged."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ingest.facts.scores import SectionInfo, extract
from knowledge.facts import fact_extractor
from knowledge.store.db import Database
from knowledge.store.models import Document, Passage, Section
from knowledge.store.score_models import Deduction, IndexResult, ScoreTarget

logger = logging.getLogger(__name__)


@fact_extractor("index_results")
def refresh_from_documents(db: Database, documents: Collection[int] | None = None) -> dict[str, int]:  # long: one transaction
    """Re-extract index results and targets from all stored documents, or only from ``documents``
    (ids, after an ingest) (idempotent).

    Rows extracted earlier from those documents are replaced; imported rows are kept. Conflicts are
    re-flagged across all results.
    """
    t0 = time.perf_counter()
    n_res = n_ded = n_tgt = 0
    with db.session() as s:
        old_res = delete(IndexResult).where(IndexResult.origin == "document")
        old_tgt = delete(ScoreTarget).where(ScoreTarget.origin == "document")
        docs_q = select(Document).order_by(Document.id)
        if documents is not None:
            ids = list(documents)
            old_res = old_res.where(IndexResult.document_id.in_(ids))
            old_tgt = old_tgt.where(ScoreTarget.document_id.in_(ids))
            docs_q = docs_q.where(Document.id.in_(ids))
        s.execute(old_res)
        s.execute(old_tgt)
        for doc in s.scalars(docs_q):
            secs = list(s.execute(select(Section.start, Section.path).where(Section.document_id == doc.id)
                                  .order_by(Section.ordinal)))
            infos = [SectionInfo(a, p) for a, p in secs]
            spans = list(s.execute(select(Passage.start, Passage.end, Passage.section_path)
                                   .where(Passage.document_id == doc.id).order_by(Passage.start)))
            try:
                ex = extract(doc.text, infos, province=doc.province, doc_date=doc.date, title=doc.title)
            except Exception:  # one odd document must not stop the others
                logger.exception("score extraction failed for %s", doc.source)
                continue
            for r in ex.results:
                row = IndexResult(
                    index_name=r.index, year=r.year, province=r.province, scope=r.scope, field=r.field,
                    field_order=r.field_order, score=r.score, max_score=r.max_score, rank=r.rank,
                    rank_of=r.rank_of, rank_change=r.rank_change, derived=r.derived, origin="document",
                    document_id=doc.id, source=doc.source, section=_section_path(secs, r.quote.start, spans),
                    quote=doc.text[r.quote.start : r.quote.end], quote_start=r.quote.start,
                    quote_end=r.quote.end, conflict=False, note=r.note,
                )
                for i, d in enumerate(r.deductions):
                    row.deductions.append(
                        Deduction(
                            ordinal=i, parent_ordinal=d.parent, level=d.level, amount=d.amount, reason=d.reason,
                            agency=d.agency, agency_inherited=d.agency_inherited,
                            quote=doc.text[d.quote.start : d.quote.end], quote_start=d.quote.start,
                            quote_end=d.quote.end, note=d.note,
                        )
                    )
                    n_ded += 1
                s.add(row)
                n_res += 1
            for t in ex.targets:
                s.add(
                    ScoreTarget(
                        index_name=t.index, province=t.province, kind=t.kind, value_min=t.value_min,
                        value_max=t.value_max, year_from=t.year_from, year_to=t.year_to, base_year=t.base_year,
                        origin="document", document_id=doc.id, source=doc.source,
                        section=_section_path(secs, t.quote.start, spans), quote=doc.text[t.quote.start : t.quote.end],
                        quote_start=t.quote.start, quote_end=t.quote.end,
                    )
                )
                n_tgt += 1
        s.flush()
        n_conf = flag_conflicts(s)
    logger.info("index results refreshed: %d results, %d deductions, %d targets, %d in conflict (%.0f ms)",
                n_res, n_ded, n_tgt, n_conf, (time.perf_counter() - t0) * 1000)
    return {"results": n_res, "deductions": n_ded, "targets": n_tgt, "conflicts": n_conf}


def _section_path(secs: list[Any], pos: int, spans: Collection[Any] = ()) -> str:
    """The section path of the passage holding ``pos`` (sections own only their own paragraphs: a
    paragraph after a bullet list belongs to the enclosing section), else the last section started."""
    for a, b, path in spans:
        if a <= pos < b:
            return str(path)
    best = ""
    for a, p in secs:
        if a <= pos:
            best = p
        else:
            break
    return best or "Phần mở đầu"


def flag_conflicts(s: Session) -> int:
    """Mark every result whose index/year/province/field has different numbers in different sources."""
    groups: dict[tuple[Any, ...], list[IndexResult]] = defaultdict(list)
    for r in s.scalars(select(IndexResult)):
        groups[(r.index_name, r.year, r.province, r.scope, r.field)].append(r)
    n = 0
    for rows in groups.values():
        bad = False
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                if (a.source, a.derived) == (b.source, b.derived) and a.source and not a.derived:
                    same_source = a.quote_start != b.quote_start  # two statements in one document
                else:
                    same_source = False
                differs = (_neq(a.rank, b.rank) or _neq(a.rank_of, b.rank_of) or _neq(a.score, b.score))
                if differs and (a.source != b.source or a.derived != b.derived or same_source):
                    bad = True
        for r in rows:
            r.conflict = bad
        n += len(rows) if bad else 0
    return n


def _neq(x: float | int | None, y: float | int | None) -> bool:
    return x is not None and y is not None and abs(float(x) - float(y)) > 1e-9
