"""Task queries: an agency's tasks (with groups and merged predecessors), tasks due in a window, lists."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from core.agencies import Registry
from core.errors import NotFoundError
from core.vocabulary import DONE
from knowledge.store.agencies import load_registry
from knowledge.store.db import Database
from knowledge.store.task_models import Task, TaskAgency, TaskStatusChange
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
    total: int = -1  # all of the agency's tasks; ``tasks`` holds at most the loading limit

    def text(self, *, limit: int = 40) -> str:
        total = max(self.total, len(self.tasks))
        lines = [f"Nhiệm vụ của {self.agency} ({total} nhiệm vụ):"]
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
        if total > shown:
            lines.append(f"... và {total - shown} nhiệm vụ khác (xem: cchc tasks list --agency \"{self.agency}\").")
        return "\n".join(lines)


def _sort_key(t: TaskView, home: str | None) -> tuple[int, str, int]:
    other = 1 if (t.province and home and t.province != home) else 0
    d = t.document_date or ("9999" if t.origin == "sheet" else "")
    return (other, "".join(chr(0x10FFFF - ord(c)) for c in d), t.id)


def _first_ids(s: Session, ids: list[int], home: str | None, limit: int) -> list[int]:
    """Of many task ids, the ``limit`` to load in full: the home province's document tasks first, then
    schedule rows, then other provinces', newest first (light columns only, in chunks)."""
    keyed: list[tuple[int, int, int]] = []
    for i in range(0, len(ids), 900):
        for tid, origin, prov in s.execute(select(Task.id, Task.origin, Task.province).where(Task.id.in_(ids[i:i + 900]))):
            other = 1 if (prov and home and prov != home) else 0
            keyed.append((other, 0 if origin == "document" else 1, -tid))
    keyed.sort()
    return [-k[2] for k in keyed[:limit]]


def tasks_for_agency(db: Database, agency: str, *, today: date | None = None, limit: int = 1000) -> AgencyTasks:
    """Tasks of an agency (and of the groups it belongs to), grouped by document newest first; the
    home province's documents first, other provinces' labelled. Unknown agency -> NotFoundError.
    At most ``limit`` tasks are loaded (``total`` counts them all), so a 100,000-row schedule stays cheap."""
    today = today or date.today()
    reg = load_registry(db)
    a = reg.require(agency)
    with db.session() as s:
        roles = matching_task_ids(s, reg, a.id)
        for pred in reg.predecessors(a.id):  # responsibilities inherited from merged bodies
            for tid, role in matching_task_ids(s, reg, pred.id).items():
                roles.setdefault(tid, role)
        ids = list(roles) if len(roles) <= limit else _first_ids(s, list(roles), reg.province, limit)
        tasks = [t for i in range(0, len(ids), 900) for t in load_tasks(s, Task.id.in_(ids[i:i + 900]))]
        views = to_views(s, tasks, reg, today)
    rank = {"lead": 0, "support": 1, "group": 2, "group-support": 3}
    views.sort(key=lambda t: (*_sort_key(t, reg.province)[:2], rank.get(roles.get(t.id, "lead"), 0), t.id))
    return AgencyTasks(a.name, views, roles, reg.successor_note(a.id), reg.province,
                       [p.name for p in reg.predecessors(a.id)], total=len(roles))


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


# --------------------------------------------------------------------------- pages for the phone
@dataclass(frozen=True)
class TaskPage:
    """One page of an agency's open tasks, most urgent first (overdue, then nearest deadline)."""

    agency: str
    items: list[TaskView]
    total: int
    offset: int
    agency_id: int
    successor_note: str | None = None
    versions: dict[int, int] = field(default_factory=dict)  # task id -> latest history id (button versions)

    @property
    def next_offset(self) -> int | None:
        end = self.offset + len(self.items)
        return end if end < self.total else None


def _agency_scope(reg: Registry, agency_id: int) -> set[int]:
    """The agency, the groups it belongs to, and the merged bodies it took over (with their groups)."""
    ids = {agency_id} | reg.groups_of(agency_id)
    for p in reg.predecessors(agency_id):
        ids |= {p.id} | reg.groups_of(p.id)
    return ids


def task_page(db: Database, agency: str | int, *, offset: int = 0, limit: int = 10, today: date | None = None,
              due_from: date | None = None, due_until: date | None = None) -> TaskPage:
    """A page of open tasks, sorted and cut in SQL (bounded at any schedule size). ``due_until``
    keeps tasks due by then (overdue included), for ``/hanchot``. Other provinces' tasks are left out."""
    today = today or date.today()
    reg = load_registry(db)
    a = reg.get(agency) if isinstance(agency, int) else reg.require(agency)
    scope = select(TaskAgency.task_id).where(TaskAgency.agency_id.in_(_agency_scope(reg, a.id)))
    where: list[Any] = [Task.id.in_(scope), Task.status != DONE]
    if reg.province:
        where.append(or_(Task.province.is_(None), Task.province == reg.province))
    if due_from is not None:
        where += [Task.due.is_not(None), Task.due >= due_from]
    if due_until is not None:
        where += [Task.due.is_not(None), Task.due <= due_until]
    order = (case((Task.due.is_(None), 1), else_=0), Task.due, Task.id)
    with db.session() as s:
        total = int(s.scalar(select(func.count(Task.id)).where(*where)) or 0)
        ids = list(s.scalars(select(Task.id).where(*where).order_by(*order).offset(max(0, offset)).limit(limit)))
        rows = {t.id: t for t in load_tasks(s, Task.id.in_(ids))} if ids else {}
        views = to_views(s, [rows[i] for i in ids if i in rows], reg, today)
        versions = dict(list(s.execute(select(TaskStatusChange.task_id, func.max(TaskStatusChange.id))
                                  .where(TaskStatusChange.task_id.in_(ids)).group_by(TaskStatusChange.task_id)).tuples())) if ids else {}
    return TaskPage(a.name, views, total, max(0, offset), a.id, reg.successor_note(a.id),
                    {i: int(versions.get(i, 0)) for i in ids})


@dataclass(frozen=True)
class Digest:
    agency: str
    overdue: list[TaskView]
    due_this_week: list[TaskView]
    n_overdue: int
    n_due: int


def agency_digest(db: Database, agency: str | int, week_end: date, *, today: date | None = None,
                  limit: int = 10) -> Digest:
    """Overdue work and work due from today to ``week_end`` of an agency (``/tonghop``, weekly digest)."""
    today = today or date.today()
    over = task_page(db, agency, limit=limit, today=today, due_until=today - timedelta(days=1))
    soon = task_page(db, agency, limit=limit, today=today, due_from=today, due_until=week_end)
    return Digest(over.agency, over.items, soon.items, over.total, soon.total)
