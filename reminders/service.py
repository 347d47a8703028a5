"""The reminders door: what the CLI, the scheduler and the chat commands ask of reminders.

Built by the composition root (``cchc/app.py``) from the database and the validated policy; the
channels reach it through :class:`RemindersAPI` and never touch the store.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update

from core.errors import CchcError
from knowledge.store.db import Database
from reminders import callbacks, messages
from reminders.dispatcher import Dispatcher, DispatchReport, Hooks
from reminders.ledger import Ledger
from reminders.models import CalendarOverride, ReminderSetting
from reminders.notifier import Notifier
from reminders.planner import Planner, Reminder
from reminders.policy import ReminderPolicy
from reminders.source import StoreSource, digest_for, ensure_setting
from reminders.workdays import CalendarDay

logger = logging.getLogger(__name__)


class RemindersAPI(Protocol):
    """What the chat commands may ask (``/tonghop``, ``/tatnhac``, ``/batnhac``, ``/gionhac``)."""

    def digest_text(self, agency: str, today: date) -> str: ...
    def set_muted(self, user_id: int, muted: bool) -> None: ...
    def set_hour(self, user_id: int, hour: int) -> None: ...
    def hours(self) -> list[int]: ...


class Reminders:
    def __init__(self, db: Database, policy: ReminderPolicy, secret: bytes) -> None:
        self.db = db
        self.policy = policy
        self.secret = secret
        self.source = StoreSource(db)
        self.ledger = Ledger(db)

    def sign(self, action: str, task_id: int, version: int) -> str:
        return callbacks.sign(self.secret, action, task_id, version)

    # ------------------------------------------------------------------ plan / dispatch / ledger
    def plan(self, start: date, end: date) -> list[Reminder]:
        """What would be sent in [start, end]: depends only on the window and the data."""
        if end < start:
            raise CchcError("window", user_message="Ngày --to phải sau hoặc bằng ngày --from.")
        if (end - start).days > 366:
            raise CchcError("window", user_message="Khoảng lập kế hoạch tối đa 366 ngày.")
        inputs = self.source.inputs(start, end, self.policy)
        planner = Planner(inputs.users, self.policy, self.source.calendar())
        out = list(planner.plan(inputs.tasks, start, end, inputs.earliest_open))
        out.sort(key=lambda r: (r.send_at, r.key))
        return out

    def dispatcher(self, notifiers: Mapping[str, Notifier], *, hooks: Hooks | None = None,
                   owner: str | None = None) -> Dispatcher:
        return Dispatcher(self.source, self.ledger, notifiers, self.policy, self.sign, hooks=hooks, owner=owner)

    async def dispatch(self, notifiers: Mapping[str, Notifier], now: datetime | None = None) -> DispatchReport:
        return await self.dispatcher(notifiers).run_once(now)

    def deliveries(self, task_id: int | None = None) -> list[dict[str, object]]:
        return self.ledger.rows(task_id=task_id)

    # ------------------------------------------------------------------ calendar
    def calendar_add(self, day: date, kind: str, note: str | None = None) -> None:
        with self.db.session() as s:
            row = s.get(CalendarOverride, day)
            if row is None:
                s.add(CalendarOverride(day=day, kind=kind, note=note, created_at=datetime.now(UTC)))
            else:
                row.kind, row.note = kind, note
        logger.info("calendar: %s is now a %s", day, kind)

    def calendar_year(self, year: int) -> list[CalendarDay]:
        if not 1990 <= year <= 2100:
            raise CchcError("year", user_message="Năm phải từ 1990 đến 2100.")
        return self.source.calendar().year(year)

    # ------------------------------------------------------------------ preferences and digest
    def _pref(self, user_id: int, **values: object) -> None:
        now = datetime.now(UTC)
        ensure_setting(self.db, user_id, now)
        with self.db.session() as s:
            s.execute(update(ReminderSetting).where(ReminderSetting.user_id == user_id).values(updated_at=now, **values))

    def set_muted(self, user_id: int, muted: bool) -> None:
        # Unmuting also clears an "undeliverable" mark: the user is plainly reachable again.
        extra = {} if muted else {"undeliverable_at": None, "undeliverable_reason": None}
        self._pref(user_id, muted=muted, **extra)

    def set_hour(self, user_id: int, hour: int) -> None:
        if hour not in self.hours():
            raise CchcError("hour", user_message=f"Giờ nhắc phải từ {self.hours()[0]} đến {self.hours()[-1]}.")
        self._pref(user_id, hour=hour)

    def hours(self) -> list[int]:
        return list(self.policy.hours())

    def prefs(self, user_id: int) -> tuple[bool, int | None]:
        with self.db.session() as s:
            p = s.scalar(select(ReminderSetting).where(ReminderSetting.user_id == user_id))
            return (bool(p and p.muted), p.hour if p else None)

    def digest_text(self, agency: str, today: date) -> str:
        week = today - timedelta(days=today.weekday())
        return digest_for(self.db, agency, week, today)


__all__ = ["Reminders", "RemindersAPI", "messages"]
