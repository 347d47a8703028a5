"""Task views: the detached ``TaskView`` the CLI and channels show, derived status, one-line format."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.agencies import Registry
from core.vocabulary import DONE, OVERDUE
from knowledge.store.models import Document
from knowledge.store.task_models import Task, TaskAgency

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskView:
    id: int
    code: str
    title: str
    agency: str | None  # lead, canonical name
    supporting: list[str]
    due: date | None
    due_text: str | None
    recurrence: str | None
    status: str
    source: str | None
    section: str | None
    quote: str | None
    leads: list[str] = field(default_factory=list)
    province: str | None = None
    document: str | None = None
    document_date: str | None = None
    owner: str | None = None
    origin: str = "document"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "code": self.code, "agency": self.agency, "agencies": self.leads,
            "supporting": self.supporting, "title": self.title,
            "due": self.due.isoformat() if self.due else None, "due_text": self.due_text,
            "recurrence": self.recurrence, "status": self.status, "source": self.source,
            "section": self.section, "quote": self.quote, "province": self.province, "owner": self.owner,
            "origin": self.origin,
        }


def derive_status(stored: str, due: date | None, today: date) -> str:
    if stored != DONE and due is not None and due < today:
        return OVERDUE
    return stored


def format_task_line(t: TaskView) -> str:
    """One line for a chat or terminal list: title, who leads/supports, deadline, status."""
    parts = [t.title]
    who = []
    if t.agency:
        who.append(f"chủ trì: {', '.join(t.leads) if len(t.leads) > 1 else t.agency}")
    if t.supporting:
        who.append(f"phối hợp: {', '.join(t.supporting)}")
    if who:
        parts.append("(" + "; ".join(who) + ")")
    if t.due:
        written = f" – “{t.due_text}”" if t.due_text else ""
        parts.append(f"– hạn {t.due:%d/%m/%Y}{written}")
    elif t.recurrence:
        parts.append(f"– {t.recurrence}")
    else:
        parts.append("– không ghi hạn")
    parts.append(f"[{t.status}]")
    return " ".join(parts)


def doc_titles(s: Session) -> dict[int, tuple[str, str | None, str | None]]:
    from knowledge.store.documents import display_title, metadata_only

    return {d.id: (display_title(d), d.date, d.province) for d in s.scalars(select(Document).options(metadata_only()))}


def to_views(s: Session, tasks: list[Task], reg: Registry, today: date) -> list[TaskView]:
    titles = doc_titles(s)
    out = []
    for t in tasks:
        leads = [_canon(reg, a) for a in t.agencies if a.role == "lead"]
        sup = [_canon(reg, a) for a in t.agencies if a.role == "support"]
        doc = titles.get(t.document_id) if t.document_id else None
        out.append(TaskView(
            id=t.id, code=t.code, title=t.title, agency=leads[0] if leads else None, supporting=sup,
            due=t.due, due_text=t.due_text, recurrence=t.recurrence,
            status=derive_status(t.status, t.due, today), source=t.source, section=t.section, quote=t.quote,
            leads=leads, province=t.province, document=doc[0] if doc else t.doc_ref,
            document_date=doc[1] if doc else None, owner=t.owner, origin=t.origin,
        ))
    return out


def _canon(reg: Registry, ta: TaskAgency) -> str:
    if ta.agency_id is not None and ta.agency_id in reg.agencies:
        return reg.get(ta.agency_id).name
    return ta.name


def load_tasks(s: Session, *where: Any) -> list[Task]:
    q = select(Task).options(selectinload(Task.agencies)).order_by(Task.id)
    for w in where:
        q = q.where(w)
    return list(s.scalars(q))
