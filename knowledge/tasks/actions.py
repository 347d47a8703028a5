"""Task actions, one function each, behind one authorization rule.

Buttons, typed commands (Telegram, Zalo, terminal), reminders and the CLI all call these; none of
them checks permissions itself. The rule (:func:`may_act`): the task's assignee, officials and
leaders of its lead agency (a group's members, and the successor of a merged agency, count as the
lead agency), and admins may act; anyone else gets a refusal and nothing changes.

Every change is a row of the task history (who, when, channel, what it replaced), so "Hoàn tác"
can undo it within ``UNDO_WINDOW``. A task's *version* is the id of its latest history row; a button
carries the version it was drawn with, and an action with an old version is refused, so a replayed
or double-pressed button changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.agencies import Registry
from core.errors import AccessDeniedError, CchcError, NotFoundError
from core.vocabulary import ADMIN, DONE, LEADER, OFFICIAL
from knowledge.store.agencies import load_registry
from knowledge.store.db import Database
from knowledge.store.task_models import Task, TaskAgency, TaskSnooze, TaskStatusChange
from knowledge.tasks.query import get_task
from knowledge.tasks.views import TaskView

logger = logging.getLogger(__name__)

UNDO_WINDOW = timedelta(minutes=10)
SNOOZE_DAYS = (1, 7)
ACTIONS = ("done", "snooze", "undo", "quote")


class TaskActionDenied(AccessDeniedError):
    user_message = "Bạn không có quyền thay đổi nhiệm vụ này."


class StaleActionError(CchcError):
    user_message = ("Nút này đã cũ: nhiệm vụ đã thay đổi sau khi tin nhắn được gửi, nên không có gì thay đổi."
                    " Hãy mở lại danh sách nhiệm vụ.")


@dataclass(frozen=True)
class Actor:
    """Who acts: ``key`` is ``channel:user_id`` (or ``cli:<name>``)."""

    key: str
    role: str
    agency: str | None
    channel: str
    name: str | None = None


@dataclass(frozen=True)
class ActionResult:
    task: TaskView
    code: str
    action: str
    changed: bool
    message: str
    version: int
    undo_until: datetime | None = None


# ------------------------------------------------------------------ codes and authority
def display_code(code: str, origin: str, task_id: int) -> str:
    """The code users see and type: the schedule's ``Mã``, or the task number for document tasks."""
    return code if origin == "sheet" else str(task_id)


def find_task_id(db: Database, code: str) -> int:
    """The task a typed code means (case-insensitive); digits name a document task by number."""
    c = code.strip().lstrip("#")
    with db.session() as s:
        tid = s.scalar(select(Task.id).where(Task.origin == "sheet", Task.code == c))
        if tid is None:
            tid = s.scalar(select(Task.id).where(Task.origin == "sheet", func.lower(Task.code) == c.lower()))
        if tid is None and c.isdigit() and len(c) <= 12:
            tid = s.scalar(select(Task.id).where(Task.id == int(c), Task.origin != "sheet"))
    if tid is None:
        raise NotFoundError(f"task code {c!r}", user_message=(
            f"Không có nhiệm vụ mã “{c[:40]}”. Mã nhiệm vụ có trong danh sách /nhiemvu."))
    return int(tid)


def acting_agencies(reg: Registry, lead_ids: list[int | None]) -> set[int]:
    """Agencies whose people answer for a task led by ``lead_ids``: the leads, a group's members,
    and the successors of merged agencies."""
    out: set[int] = set()
    for aid in lead_ids:
        if aid is None or aid not in reg.agencies:
            continue
        for member in reg.expand(aid):
            cur: int | None = member
            seen: set[int] = set()
            while cur is not None and cur not in seen:
                seen.add(cur)
                out.add(cur)
                nxt = reg.successor(cur)
                cur = nxt.id if nxt else None
    return out


def _lead_ids(s: Session, task_id: int) -> list[int | None]:
    return list(s.scalars(select(TaskAgency.agency_id).where(TaskAgency.task_id == task_id,
                                                               TaskAgency.role == "lead")))


def is_assignee(actor: Actor, owner: str | None) -> bool:
    """The schedule's ``Người phụ trách`` names this user by channel id (``telegram:123``). Display
    names are chosen by users themselves on Telegram and Zalo, so a name never grants anything."""
    if not owner:
        return False
    return owner.strip().lower() == actor.key.lower()


def may_act(s: Session, reg: Registry, actor: Actor, task: Task) -> bool:
    """THE authorization rule for changing a task."""
    if actor.role == ADMIN:
        return True
    if is_assignee(actor, task.owner):
        return True
    if actor.role not in (OFFICIAL, LEADER) or not actor.agency:
        return False
    if task.province and reg.province and task.province != reg.province:
        return False  # another province's document (e.g. the Hải Dương report): not ours to act on
    mine = reg.resolve(actor.agency)
    return mine is not None and mine.id in acting_agencies(reg, _lead_ids(s, task.id))


def version_of(s: Session, task_id: int) -> int:
    return int(s.scalar(select(func.max(TaskStatusChange.id)).where(TaskStatusChange.task_id == task_id)) or 0)


# ------------------------------------------------------------------ the actions
def _locked(s: Session, task_id: int) -> Task:
    t = s.get(Task, task_id, with_for_update=True)
    if t is None:
        raise NotFoundError(f"task {task_id}", user_message=f"Không có nhiệm vụ số {task_id}.")
    return t


@contextmanager
def _editing(db: Database, task_id: int, actor: Actor, version: int | None) -> Iterator[tuple[Session, Task]]:
    """A session holding the task locked, once the actor may change it at this version."""
    reg = load_registry(db)
    with db.session() as s:
        t = _locked(s, task_id)
        _guard(s, reg, actor, t, version)
        yield s, t


def _guard(s: Session, reg: Registry, actor: Actor, t: Task, version: int | None) -> None:
    if not may_act(s, reg, actor, t):
        logger.info("task action refused: %s (%s) on task %d", actor.key, actor.role, t.id)
        raise TaskActionDenied(f"{actor.key} may not act on task {t.id}", user_message=(
            f"Bạn không có quyền thay đổi nhiệm vụ mã {display_code(t.code, t.origin, t.id)}: chỉ người phụ trách,"
            " cán bộ và lãnh đạo của cơ quan chủ trì, hoặc quản trị viên mới được thay đổi."))
    if version is not None and version != version_of(s, t.id):
        logger.info("stale task button: version %d of task %d", version, t.id)
        raise StaleActionError()


def _record(s: Session, t: Task, actor: Actor, action: str, to_status: str, now: datetime,
            data: dict[str, object], note: str) -> TaskStatusChange:
    h = TaskStatusChange(task_id=t.id, from_status=t.status, to_status=to_status, by=actor.key,
                         channel=actor.channel, at=now, note=note, action=action,
                         data=json.dumps(data, ensure_ascii=False))
    s.add(h)
    s.flush()
    return h


@dataclass(frozen=True)
class _Outcome:
    changed: bool
    message: str
    version: int
    undo_until: datetime | None = None


def _result(db: Database, task_id: int, action: str, o: _Outcome) -> ActionResult:
    """The result, read after the transaction committed."""
    view = get_task(db, task_id)
    return ActionResult(view, display_code(view.code, view.origin, view.id), action, o.changed, o.message,
                        o.version, o.undo_until)


def _named(t: Task) -> str:
    title = " ".join(t.title.split())
    short = title if len(title) <= 120 else title[:119].rstrip() + "…"
    return f"“{short}” (mã {display_code(t.code, t.origin, t.id)})"


def complete(db: Database, task_id: int, actor: Actor, *, version: int | None = None,
             now: datetime | None = None) -> ActionResult:
    """Mark a task done (its reminders stop)."""
    now = now or datetime.now(UTC)
    with _editing(db, task_id, actor, version) as (s, t):
        if t.status == DONE:
            o = _Outcome(False, f"Nhiệm vụ {_named(t)} đã hoàn thành từ trước.", version_of(s, t.id))
        else:
            h = _record(s, t, actor, "done", DONE, now, {"status": t.status}, "hoàn thành")
            t.status, t.updated_at = DONE, now
            o = _Outcome(True, f"Đã ghi nhận hoàn thành: {_named(t)}. Nếu nhầm, bấm Hoàn tác trong"
                               f" {UNDO_WINDOW.seconds // 60} phút.", h.id, now + UNDO_WINDOW)
    return _result(db, task_id, "done", o)


def snooze(db: Database, task_id: int, actor: Actor, days: int, *, version: int | None = None,
           now: datetime | None = None) -> ActionResult:
    """Hold the task's reminders for 1 day or 1 week (the due date does not change)."""
    if days not in SNOOZE_DAYS:
        raise CchcError(f"snooze {days}", user_message="Chỉ hoãn được 1 ngày hoặc 1 tuần.")
    now = now or datetime.now(UTC)
    with _editing(db, task_id, actor, version) as (s, t):
        if t.status == DONE:
            raise CchcError("snooze a done task", user_message=f"Nhiệm vụ {_named(t)} đã hoàn thành, không cần hoãn.")
        old = s.get(TaskSnooze, t.id)
        until = now + timedelta(days=days)
        data: dict[str, object] = {"until": until.isoformat(), "previous": old.until.isoformat() if old else None}
        label = "1 ngày" if days == 1 else "1 tuần"
        h = _record(s, t, actor, "snooze", t.status, now, data, f"hoãn nhắc việc {label}")
        if old is None:
            s.add(TaskSnooze(task_id=t.id, until=until, by=actor.key, at=now))
        else:
            old.until, old.by, old.at = until, actor.key, now
        o = _Outcome(True, f"Đã hoãn nhắc việc {label} cho nhiệm vụ {_named(t)}. Hạn của nhiệm vụ không đổi.",
                     h.id, now + UNDO_WINDOW)
    return _result(db, task_id, "snooze", o)


def undo(db: Database, task_id: int, actor: Actor, *, version: int | None = None,
         now: datetime | None = None) -> ActionResult:
    """Undo the task's latest change if it is less than ``UNDO_WINDOW`` old."""
    now = now or datetime.now(UTC)
    with _editing(db, task_id, actor, version) as (s, t):
        last = s.scalars(select(TaskStatusChange).where(TaskStatusChange.task_id == t.id)
                         .order_by(TaskStatusChange.id.desc()).limit(1)).first()
        at = last.at.replace(tzinfo=UTC) if last and last.at.tzinfo is None else (last.at if last else None)
        if last is None or last.action not in ("done", "snooze") or last.undone_at is not None or at is None \
                or now - at > UNDO_WINDOW:
            raise CchcError("nothing to undo", user_message=(
                f"Không có thay đổi nào của nhiệm vụ {_named(t)} trong {UNDO_WINDOW.seconds // 60} phút qua để hoàn tác."))
        data = json.loads(last.data or "{}")
        if last.action == "done":
            back = str(data.get("status") or t.status)
            h = _record(s, t, actor, "undo", back, now, {"undid": last.id}, "hoàn tác: mở lại nhiệm vụ")
            t.status, t.updated_at = back, now
        else:
            snz = s.get(TaskSnooze, t.id)
            prev = data.get("previous")
            h = _record(s, t, actor, "undo", t.status, now, {"undid": last.id}, "hoàn tác: bỏ hoãn nhắc việc")
            if prev and snz is not None:
                snz.until = datetime.fromisoformat(str(prev))
            elif snz is not None:
                s.delete(snz)
        last.undone_at = now
        o = _Outcome(True, f"Đã hoàn tác thay đổi của nhiệm vụ {_named(t)}.", h.id)
    return _result(db, task_id, "undo", o)


def quote(db: Database, task_id: int, actor: Actor) -> str:
    """The passage a task came from (any registered user may read it: task lists are open to all)."""
    v = get_task(db, task_id)
    code = display_code(v.code, v.origin, v.id)
    if not v.quote:
        where = f" ({v.document})" if v.document else ""
        return f"Nhiệm vụ mã {code} đến từ lịch công tác{where}; không có đoạn văn bản trích dẫn."
    src = " › ".join(p for p in (v.document or v.source, v.section) if p)
    return f"Nhiệm vụ mã {code}: {v.title}\nNguồn: {src}\n“{v.quote}”"


def mark_done(db: Database, task_id: int, *, by: str, channel: str) -> TaskView:
    """Mark a task done as an operator (the CLI: whoever runs it is an admin of this install)."""
    return complete(db, task_id, Actor(by, ADMIN, None, channel)).task


def history(db: Database, task_id: int) -> list[dict[str, Any]]:
    with db.session() as s:
        if s.get(Task, task_id) is None:
            raise NotFoundError(f"task {task_id}", user_message=f"Không có nhiệm vụ số {task_id}.")
        rows = s.scalars(select(TaskStatusChange).where(TaskStatusChange.task_id == task_id).order_by(TaskStatusChange.id))
        return [{"from": r.from_status, "to": r.to_status, "by": r.by, "channel": r.channel,
                 "at": r.at.isoformat(), "note": r.note, "action": r.action,
                 "undone_at": r.undone_at.isoformat() if r.undone_at else None} for r in rows]
