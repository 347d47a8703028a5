"""Re-extract assigned tasks from the stored documents (idempotent; imported schedule tasks and the
status history of unchanged tasks are kept)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, or_, select

from core.vocabulary import TODO
from ingest.facts.tasks import DocInput, extract_tasks
from knowledge.facts import fact_extractor
from knowledge.store.agencies import load_registry
from knowledge.store.db import Database
from knowledge.store.models import Document, Passage
from knowledge.store.task_models import Task, TaskAgency
from knowledge.tasks.views import load_tasks

logger = logging.getLogger(__name__)


@dataclass
class RefreshReport:
    documents: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    kept: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@fact_extractor("tasks")
def refresh_from_documents(db: Database, documents: Collection[int] | None = None) -> RefreshReport:
    """Re-extract the tasks of every stored document (or only of ``documents``, by id, after an
    ingest), in one transaction (see module docstring). Task codes hash the source and quote, so a
    partial refresh only touches the tasks of the documents it reads, plus those orphaned by a
    replaced document."""
    reg = load_registry(db)
    rep = RefreshReport()
    now = datetime.now(UTC)
    with db.session() as s:
        q = select(Document).order_by(Document.id)
        if documents is not None:
            q = q.where(Document.id.in_(list(documents)))
        docs = list(s.scalars(q))
        rep.documents = len(docs)
        extracted = []
        for d in docs:
            ps = [(p.id, p.start, p.end) for p in s.scalars(select(Passage).where(Passage.document_id == d.id))]
            for t in extract_tasks(DocInput(d.source, d.text, d.date, ps), reg):
                extracted.append((d, t))
        scope = [Task.origin == "document"]
        if documents is not None:
            scope.append(or_(Task.document_id.in_(list(documents)), Task.document_id.is_(None)))
        existing = {t.code: t for t in load_tasks(s, *scope)}
        seen: set[str] = set()
        for d, et in extracted:
            if et.code in seen:
                continue
            seen.add(et.code)
            row = existing.get(et.code)
            if row is None:
                row = Task(code=et.code, origin="document", status=TODO, created_at=now)
                s.add(row)
                rep.added += 1
            else:
                rep.updated += 1
            row.title, row.due, row.due_text, row.recurrence = et.title, et.due, et.due_text, et.recurrence
            row.province, row.document_id, row.passage_id, row.source = d.province, d.id, et.passage_id, d.source
            row.section, row.quote, row.quote_start, row.quote_end = et.section, et.quote, et.start, et.end
            row.updated_at = now
            row.agencies.clear()
            s.flush()
            refs = [(r, "lead") for r in et.lead] + [(r, "support") for r in et.support]
            for i, (r, role) in enumerate(refs):
                row.agencies.append(TaskAgency(agency_id=r.agency_id, name=r.name, role=role, ordinal=i))
        stale = [code for code in existing if code not in seen]
        if stale:
            s.execute(delete(Task).where(Task.code.in_(stale)))
        rep.removed = len(stale)
    logger.info("tasks refreshed: %s", rep.as_dict())
    return rep
