"""Import index results from a CSV/XLSX table (validated in ``ingest.score_table``): all rows or none;
re-importing the same file, or the same index/year/province/field, replaces the rows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from core.text import province_key
from ingest.limits import Limits
from ingest.score_table import parse_score_table
from knowledge.scores.refresh import flag_conflicts
from knowledge.store.db import Database
from knowledge.store.score_models import IndexResult

logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    file: str
    imported: int
    replaced: int

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "imported": self.imported, "replaced": self.replaced}


def import_table(db: Database, path: Path, limits: Limits | None = None) -> ImportReport:
    """Validate every row, then import all rows in one transaction (or none, with row-numbered errors)."""
    table = parse_score_table(path, limits)
    parsed, keys = table.records, table.keys
    replaced = 0
    with db.session() as s:
        old = list(s.scalars(select(IndexResult).where(IndexResult.origin == "import").where(
            or_(IndexResult.source == path.name, IndexResult.index_name.in_({r["index"] for r in parsed})))))
        for o in old:
            if o.source == path.name or (o.index_name, o.year, province_key(o.province), o.scope, o.field) in keys:
                s.delete(o)
                replaced += 1
        s.flush()
        for rec in parsed:
            s.add(
                IndexResult(
                    index_name=rec["index"], year=rec["year"], province=rec["province"], scope=rec["scope"],
                    field=rec["field"], field_order=rec["field_order"], score=rec["score"], max_score=rec["max_score"],
                    rank=rec["rank"], rank_of=rec["rank_of"], rank_change=rec["rank_change"], derived=False,
                    origin="import", document_id=None, source=path.name, section=f"dòng {rec['row']}",
                    quote=rec["raw"], quote_start=None, quote_end=None, conflict=False,
                    note=rec["note"] or (f"nguồn: {rec['source']}" if rec["source"] else None),
                )
            )
        s.flush()
        flag_conflicts(s)
    logger.info("imported %d index results from %s (%d replaced)", len(parsed), path.name, replaced)
    return ImportReport(path.name, len(parsed), replaced)
