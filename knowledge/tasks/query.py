"""Task queries: an agency's tasks (with groups and merged predecessors), tasks due in a window, lists."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.agencies import Registry
from core.errors import NotFoundError
from knowledge.store.agencies import load_registry
from knowledge.store.db import Database
from knowledge.store.task_models import Task, TaskAgency
from knowledge.tasks.views import TaskView, format_task_line, load_tasks, to_views

logger = logging.getLogger(__name__)


def matching_task_ids(s: Session, reg: Registry, agency_id: int) -> dict[int, str]:
    """Task ids assigned to the agency (directly, through a group it belongs to, or to a predecessor
    it took over from), with the role: 'lead' or 'support'."""
    targets = {agency_id} | reg.groups_of(agency_id)
    rows = s.execute(select(TaskAgency.task_id, TaskAgency.role, TaskAgency.agency_id).where(TaskAgency.agency_id.in_(targets)))
    rank = {"lead": 0, "support": 1, "group": 2, "group-support": 3}
    out: dict[int, str] = {}
    for tid, role, aid in rows:
        r = role if aid == agency_id else ("group" if role == "lead" else "group-support")
        if tid not in out or rank[r] < rank[out[tid]]:
            out[tid] = r
    return out


@dataclass
class AgencyTasks:
    agency: str
    tasks: list[TaskView]
    roles: dict[int, str]
    successor_note: str | None
    home_province: str | None
    predecessors: list[str] = field(default_factory=list)

    def text(self, *, limit: int = 40) -> str:
        lines = [f"Nhiệm vụ của {self.agency} ({len(self.tasks)} nhiệm vụ):"]
        if self.successor_note:
            lines.append(f"Lưu ý: {self.successor_note}")
        if not self.tasks:
            lines.append("Chưa tìm thấy nhiệm vụ nào được giao trong các tài liệu và lịch công tác đã nạp.")
        groups: dict[str, list[TaskView]] = {}
        for t in self.tasks:
            groups.setdefault(t.document or t.source or "Lịch công tác", []).append(t)
        shown = 0
        for doc, items in groups.items():
            prov = items[0].province
            other = prov and self.home_province and prov != self.home_province
            head = f"\n📄 {doc}" + (f" — tài liệu của tỉnh {prov} (không phải tỉnh {self.home_province})" if other else "")
            lines.append(head)
            for t in items:
                if shown >= limit:
                    break
                shown += 1
                role = self.roles.get(t.id, "lead")
                mark = {"support": " (phối hợp)", "group": " (giao chung cho nhóm)", "group-support": " (nhóm phối hợp)"}.get(role, "")
                lines.append(f"{shown}. {format_task_line(t)}{mark}")
                if t.section:
                    lines.append(f"   Nguồn: {t.source} › {t.section}")
        if len(self.tasks) > shown:
            lines.append(f"... và {len(self.tasks) - shown} nhiệm vụ khác (xem: cchc tasks list --agency \"{self.agency}\").")
        return "\n".join(lines)


def _sort_key(t: TaskView, home: str | None) -> tuple[int, str, int]:
    other = 1 if (t.province and home and t.province != home) else 0
    d = t.document_date or ("9999" if t.origin == "sheet" else "")
    return (other, "".join(chr(0x10FFFF - ord(c)) for c in d), t.id)


def tasks_for_agency(db: Database, agency: str, *, today: date | None = None) -> AgencyTasks:
    """Tasks of an agency (and of the groups it belongs to), grouped by document newest first; the
    home province's documents first, other provinces' labelled. Unknown agency -> NotFoundError."""
    today = today or date.today()
    reg = load_registry(db)
    a = reg.require(agency)
    with db.session() as s:
        roles = matching_task_ids(s, reg, a.id)
        for pred in reg.predecessors(a.id):  # responsibilities inherited from merged bodies
            for tid, role in matching_task_ids(s, reg, pred.id).items():
                roles.setdefault(tid, role)
        tasks = load_tasks(s, Task.id.in_(roles)) if roles else []
        views = to_views(s, tasks, reg, today)
    rank = {"lead": 0, "support": 1, "group": 2, "group-support": 3}
    views.sort(key=lambda t: (*_sort_key(t, reg.province)[:2], rank.get(roles.get(t.id, "lead"), 0), t.id))
    return AgencyTasks(a.name, views, roles, reg.successor_note(a.id), reg.province,
                       [p.name for p in reg.predecessors(a.id)])


def tasks_due_between(db: Database, start: date, end: date, *, agency: str | None = None,
                      today: date | None = None, all_provinces: bool = False) -> list[TaskView]:
    """Tasks with a due date in [start, end] (home province and schedule tasks unless all_provinces)."""
    today = today or date.today()
    reg = load_registry(db)
    with db.session() as s:
        where = [Task.due.is_not(None), Task.due >= start, Task.due <= end]
        if agency:
            ids = matching_task_ids(s, reg, reg.require(agency).id)
            where.append(Task.id.in_(ids))
        views = to_views(s, load_tasks(s, *where), reg, today)
    if not all_provinces and reg.province:
        views = [v for v in views if v.province in (None, reg.province)]
    return sorted(views, key=lambda v: (v.due or date.max, v.id))


def list_tasks(db: Database, *, agency: str | None = None, due_before: date | None = None,
               today: date | None = None) -> list[TaskView]:
    today = today or date.today()
    reg = load_registry(db)
    with db.session() as s:
        where: list[Any] = []
        if agency:
            a = reg.require(agency)
            ids = set(matching_task_ids(s, reg, a.id))
            for pred in reg.predecessors(a.id):
                ids |= set(matching_task_ids(s, reg, pred.id))
            where.append(Task.id.in_(ids))
        if due_before:
            where += [Task.due.is_not(None), Task.due < due_before]
        return to_views(s, load_tasks(s, *where), reg, today)


def get_task(db: Database, task_id: int, *, today: date | None = None) -> TaskView:
    reg = load_registry(db)
    with db.session() as s:
        rows = load_tasks(s, Task.id == task_id)
        if not rows:
            raise NotFoundError(f"task {task_id}", user_message=f"Không có nhiệm vụ số {task_id}.")
        return to_views(s, rows, reg, today or date.today())[0]
