"""Import a task schedule sheet (CSV/XLSX): streamed, validated row by row, all rows or none,
idempotent by the ``Mã`` code."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.errors import ImportRowsError, NotFoundError
from core.vocabulary import TODO
from ingest.limits import Limits
from ingest.schedule import ScheduleRow, parse_schedule, row_agencies
from knowledge.store.agencies import load_registry
from knowledge.store.db import Database
from knowledge.store.task_models import Task, TaskAgency, TaskStatusChange

logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    path: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_blank: int = 0
    took_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def import_schedule(db: Database, path: Path, limits: Limits | None = None) -> ImportReport:
    """Import a schedule sheet. All rows are validated first; any problem -> ImportRowsError listing
    row-numbered problems and nothing is written. Re-importing updates tasks in place by code."""
    t0 = time.perf_counter()
    path = Path(path)
    if not path.exists():
        raise NotFoundError(str(path), user_message=f"Không tìm thấy tệp {path}.")
    parsed = parse_schedule(path, load_registry(db), limits)
    rep = ImportReport(path=path.name, rows=parsed.count, skipped_blank=parsed.skipped_blank)
    _write_rows(db, parsed.rows, path.name, rep)
    rep.took_ms = round((time.perf_counter() - t0) * 1000, 1)
    logger.info("schedule %s imported: %s", path.name, rep.as_dict())
    return rep


def _write_rows(db: Database, rows: list[ScheduleRow], sheet: str, rep: ImportReport) -> None:
    """One transaction: new codes are bulk-inserted (Core, batches of 1000), known codes updated in place."""
    from sqlalchemy import insert

    now = datetime.now(UTC)
    with db.session() as s:
        known: set[str] = set()
        codes = [r.code for r in rows]
        for i in range(0, len(codes), 500):
            known.update(s.scalars(select(Task.code).where(Task.code.in_(codes[i : i + 500]))))
        new = [r for r in rows if r.code not in known]
        for i in range(0, len(new), 1000):
            batch = new[i : i + 1000]
            s.execute(insert(Task), [
                {"code": r.code, "origin": "sheet", "title": r.title, "due": r.due, "due_text": r.due_text,
                 "recurrence": r.recurrence, "status": r.status, "owner": r.owner, "doc_ref": r.doc_ref,
                 "source": sheet, "section": f"dòng {r.n}", "quote": r.title, "sheet_row": r.n,
                 "created_at": now, "updated_at": now} for r in batch
            ])
            ids = dict(s.execute(select(Task.code, Task.id).where(Task.code.in_([r.code for r in batch]))).tuples().all())
            agencies = [
                {"task_id": ids[r.code], "agency_id": a, "name": nm, "role": role, "ordinal": k}
                for r in batch
                for k, (a, nm, role) in enumerate(row_agencies(r))
            ]
            if agencies:
                s.execute(insert(TaskAgency), agencies)
            hist = [{"task_id": ids[r.code], "from_status": None, "to_status": r.status, "by": sheet,
                     "channel": "import", "at": now} for r in batch if r.status != TODO]
            if hist:
                s.execute(insert(TaskStatusChange), hist)
        rep.added = len(new)
        for r in rows:
            if r.code not in known:
                continue
            t = s.scalars(select(Task).options(selectinload(Task.agencies)).where(Task.code == r.code)).one()
            if t.origin != "sheet":
                raise ImportRowsError([f"Dòng {r.n}: mã “{r.code}” đã dùng cho một nhiệm vụ trích từ văn bản"])
            agencies_now = row_agencies(r)
            same = (t.title, t.due, t.owner, t.doc_ref, t.recurrence, t.status,
                    [(x.agency_id, x.role) for x in t.agencies]) == (
                    r.title, r.due, r.owner, r.doc_ref, r.recurrence, r.status, [(a, role) for a, _n, role in agencies_now])
            if same:
                rep.unchanged += 1
                continue
            rep.updated += 1
            if t.status != r.status:
                t.history.append(TaskStatusChange(from_status=t.status, to_status=r.status, by=sheet, channel="import", at=now))
                t.status = r.status
            t.title, t.due, t.due_text, t.owner, t.doc_ref, t.recurrence = r.title, r.due, r.due_text, r.owner, r.doc_ref, r.recurrence
            t.source, t.section, t.sheet_row, t.updated_at, t.quote = sheet, f"dòng {r.n}", r.n, now, r.title
            t.agencies.clear()
            s.flush()
            t.agencies.extend(TaskAgency(agency_id=a, name=nm, role=role, ordinal=k) for k, (a, nm, role) in enumerate(agencies_now))


