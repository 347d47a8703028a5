"""What the dispatcher reads from and writes to the store: planner inputs, message facts, user flags.

Every query is bounded by the planning window (tasks whose due date could give a reminder in it),
so a tick stays cheap with 100,000 tasks. Agencies are compared by registry id: a user's typed
agency and a task's lead agency mean the same body whatever the spelling, and a group's members and
a merged agency's successor count as its lead (:func:`knowledge.tasks.actions.acting_agencies`, the
same rule that authorizes task actions).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.agencies import Registry
from core.vocabulary import ADMIN, DONE
from knowledge.store.account_models import User
from knowledge.store.agencies import load_registry
from knowledge.store.db import Database
from knowledge.store.task_models import Task, TaskAgency, TaskSnooze, TaskStatusChange
from knowledge.tasks.actions import acting_agencies, display_code
from knowledge.tasks.query import agency_digest
from knowledge.tasks.views import TaskView
from reminders import messages
from reminders.dispatcher import Chat, PlanInputs
from reminders.ledger import Ledger, utc
from reminders.models import CalendarOverride, Delivery, ReminderSetting
from reminders.planner import PlanTask, PlanUser
from reminders.policy import ReminderPolicy
from reminders.workdays import Override, WorkCalendar

logger = logging.getLogger(__name__)

DONE_REASON = "nhiệm vụ đã hoàn thành"
DUE_REASON = "hạn nhiệm vụ đã đổi"
CHUNK = 900


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


class StoreSource:
    """Implements :class:`reminders.dispatcher.ReminderSource` over the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ planning inputs
    def calendar(self) -> WorkCalendar:
        with self.db.session() as s:
            rows = [Override(r.day, "workday" if r.kind == "workday" else "holiday", r.note)
                    for r in s.scalars(select(CalendarOverride))]
        return WorkCalendar(rows)

    def users(self, reg: Registry) -> list[PlanUser]:
        out = []
        agency_ids: dict[str, str | None] = {}
        with self.db.session() as s:
            q = select(User, ReminderSetting).outerjoin(ReminderSetting, ReminderSetting.user_id == User.id) \
                .where(User.active.is_(True))
            for u, pref in s.execute(q):
                name = u.agency or ""
                if name not in agency_ids:
                    a = reg.resolve(name) if name else None
                    agency_ids[name] = str(a.id) if a else None
                out.append(PlanUser(
                    f"{u.channel}:{u.channel_user_id}", u.role, agency_ids[name],
                    muted=bool(pref and pref.muted), hour=pref.hour if pref else None,
                    deliverable=bool(u.chat_id) and not (pref and pref.undeliverable_at)))
        return out

    def inputs(self, start: date, end: date, policy: ReminderPolicy) -> PlanInputs:
        reg = load_registry(self.db)
        users = self.users(reg)
        before = timedelta(days=max(policy.lead_days, default=0) * 2 + 31)
        after = timedelta(days=policy.overdue_every_days * policy.overdue_max + 31
                          + policy.escalate_after_working_days * 2)
        province = reg.province
        with self.db.session() as s:
            where = [Task.status != DONE, Task.due.is_not(None), Task.due >= start - after, Task.due <= end + before]
            if province:
                where.append(or_(Task.province.is_(None), Task.province == province))
            rows = s.execute(select(Task.id, Task.due, Task.owner).where(*where)).all()
            agencies: dict[int, list[tuple[int | None, str]]] = defaultdict(list)
            for part in _chunks([r[0] for r in rows]):
                for tid, aid, role in s.execute(select(TaskAgency.task_id, TaskAgency.agency_id, TaskAgency.role)
                                                .where(TaskAgency.task_id.in_(part))):
                    agencies[tid].append((aid, role))
            holds = {sn.task_id: utc(sn.until) for sn in s.scalars(select(TaskSnooze).where(
                TaskSnooze.until > datetime.combine(start, datetime.min.time(), UTC)))}
            earliest = self._earliest_open(s, reg, province)
        tasks = []
        for tid, due, owner in rows:
            leads = acting_agencies(reg, [a for a, r in agencies[tid] if r == "lead"])
            sup = acting_agencies(reg, [a for a, r in agencies[tid] if r == "support"]) - leads
            tasks.append(PlanTask(tid, due, False, tuple(str(i) for i in sorted(leads)),
                                  tuple(str(i) for i in sorted(sup)), self._assignee(owner)))
        return PlanInputs(tasks, users, earliest, holds)

    @staticmethod
    def _assignee(owner: str | None) -> str | None:
        """The assignee when ``Người phụ trách`` names a user by channel id (never by display name:
        users choose those themselves; see knowledge.tasks.actions.is_assignee)."""
        if owner and ":" in owner and owner.split(":", 1)[0].strip().lower() in ("telegram", "zalo"):
            return owner.strip().lower()
        return None

    @staticmethod
    def _earliest_open(s: object, reg: Registry, province: str | None) -> dict[str, date]:
        from sqlalchemy.orm import Session

        assert isinstance(s, Session)
        q = select(TaskAgency.agency_id, func.min(Task.due)).join(Task, Task.id == TaskAgency.task_id).where(
            TaskAgency.role == "lead", Task.status != DONE, Task.due.is_not(None))
        if province:
            q = q.where(or_(Task.province.is_(None), Task.province == province))
        out: dict[str, date] = {}
        for aid, first in s.execute(q.group_by(TaskAgency.agency_id)):
            if first is None:
                continue
            for ag in acting_agencies(reg, [aid]):
                k = str(ag)
                if k not in out or first < out[k]:
                    out[k] = first
        return out

    # ------------------------------------------------------------------ sending
    def brief(self, task_id: int) -> messages.TaskBrief | None:
        with self.db.session() as s:
            t = s.get(Task, task_id)
            if t is None:
                return None
            reg = load_registry(self.db)
            leads = [a for a in t.agencies if a.role == "lead"]
            lead = None
            if leads:
                a0 = leads[0]
                lead = reg.get(a0.agency_id).name if a0.agency_id in reg.agencies else a0.name
            version = int(s.scalar(select(func.max(TaskStatusChange.id)).where(
                TaskStatusChange.task_id == task_id)) or 0)
            return messages.TaskBrief(t.id, display_code(t.code, t.origin, t.id), t.title, t.due, lead,
                                      t.status == DONE, version, bool(t.quote))

    def _user(self, recipient: str) -> User | None:
        channel, _, uid = recipient.partition(":")
        with self.db.session() as s:
            return s.scalar(select(User).where(User.channel == channel, User.channel_user_id == uid,
                                               User.active.is_(True)))

    def chat(self, recipient: str) -> Chat | None:
        u = self._user(recipient)
        if u is None or not u.chat_id:
            return None
        return Chat(u.chat_id, u.display_name, u.agency)

    def digest(self, recipient: str, week: date, today: date) -> str | None:
        u = self._user(recipient)
        if u is None or not u.agency:
            return None
        return digest_for(self.db, u.agency, week, today)

    def mark_undeliverable(self, recipient: str, reason: str, now: datetime) -> bool:
        """Mark the recipient undeliverable; True only for the call that made the change (one alert)."""
        u = self._user(recipient)
        if u is None:
            return False
        ensure_setting(self.db, u.id, now)
        with self.db.session() as s:
            fresh = _count(s.execute(update(ReminderSetting).where(
                ReminderSetting.user_id == u.id, ReminderSetting.undeliverable_at.is_(None),
            ).values(undeliverable_at=now, undeliverable_reason=reason[:500], updated_at=now))) == 1
        if fresh:
            logger.warning("reminders: %s marked undeliverable", recipient)
        return fresh

    def admins(self) -> list[str]:
        with self.db.session() as s:
            q = select(User.channel, User.channel_user_id).outerjoin(
                ReminderSetting, ReminderSetting.user_id == User.id).where(
                User.active.is_(True), User.role == ADMIN, User.chat_id.is_not(None),
                ReminderSetting.undeliverable_at.is_(None))
            return [f"{c}:{u}" for c, u in s.execute(q)]

    def cancel_obsolete(self, ledger: Ledger, now: datetime) -> int:
        """Done tasks stop their reminders; reopened ones get them back; a changed due date re-plans."""
        task_done = select(Task.id).where(Task.status == DONE)
        with self.db.session() as s:
            n = _count(s.execute(update(Delivery).where(
                Delivery.status == "pending", Delivery.task_id.in_(task_done), ~Delivery.kind.startswith("alert_"),
            ).values(status="cancelled", error=DONE_REASON, updated_at=now)))
            n += _count(s.execute(update(Delivery).where(
                Delivery.status == "cancelled", Delivery.error == DONE_REASON, Delivery.task_id.not_in(task_done),
            ).values(status="pending", error=None, updated_at=now)))
            moved = select(Task.id).where(Task.id == Delivery.task_id, or_(Task.due.is_(None), Task.due != Delivery.due))
            n += _count(s.execute(update(Delivery).where(
                Delivery.status == "pending", Delivery.due.is_not(None), moved.exists(),
            ).values(status="cancelled", error=DUE_REASON, updated_at=now)))
        return n


def ensure_setting(db: Database, user_id: int, now: datetime) -> None:
    """The user's reminder_settings row exists (insert, do nothing on conflict: safe under races)."""
    stmt = (postgresql.insert(ReminderSetting) if db.engine.dialect.name == "postgresql"
            else sqlite.insert(ReminderSetting))
    with db.session() as s:
        s.execute(stmt.values(user_id=user_id, muted=False, updated_at=now)
                  .on_conflict_do_nothing(index_elements=["user_id"]))


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def digest_for(db: Database, agency: str, week: date, today: date, *, limit: int = 10) -> str:
    """The weekly digest of an agency (``/tonghop``): overdue work and work due this week, bounded."""
    d = agency_digest(db, agency, week + timedelta(days=6), today=today, limit=limit)

    def brief(t: TaskView) -> messages.TaskBrief:
        return messages.TaskBrief(t.id, display_code(t.code, t.origin, t.id), t.title, t.due, t.agency)

    text = messages.digest_text(d.agency, week, [brief(t) for t in d.due_this_week],
                                [brief(t) for t in d.overdue], today, limit=limit)
    hidden = max(0, d.n_overdue - len(d.overdue)) + max(0, d.n_due - len(d.due_this_week))
    return text + (f"\n(Tổng: {d.n_overdue} quá hạn, {d.n_due} đến hạn trong tuần.)" if hidden else "")
