"""ORM models of the reminder ledger, the calendar overrides and per-user reminder settings.

Schema: ``knowledge/store/migrations/m0007_reminders.py`` (kept in sync by tests/test_migrations.py).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.store.models import Base

logger = logging.getLogger(__name__)

STATUSES = ("pending", "sending", "sent", "failed", "uncertain", "cancelled")


class Delivery(Base):
    """One planned message. ``key`` (task, recipient, kind, due date planned for) is unique, so a
    reminder is inserted once however many times it is planned, by however many workers."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (Index("ix_reminder_deliveries_due", "status", "not_before"),
                      Index("ix_reminder_deliveries_task", "task_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(30))
    due: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(50))
    send_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    in_flight: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    message_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalendarOverride(Base):
    """An admin-entered swapped working day or extra day off (``cchc calendar add-*``)."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReminderSetting(Base):
    """Per-user reminder preferences (/tatnhac, /batnhac, /gionhac) and deliverability."""

    __tablename__ = "reminder_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    hour: Mapped[int | None] = mapped_column(Integer)
    undeliverable_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undeliverable_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DispatchLock(Base):
    """The one-dispatcher-at-a-time lease used on SQLite (PostgreSQL uses row locks instead)."""

    __tablename__ = "reminder_locks"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(64))
    until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
