"""The delivery ledger: the single source of truth for what was planned, claimed and sent.

Why a ledger and not the scheduler's job store: APScheduler's job stores must not be shared between
processes (its FAQ), and a message must go out once however many ``cchc serve`` workers run. So the
scheduler only wakes the dispatcher; every decision is a row here:

- each reminder is inserted under its idempotency key (task, recipient, kind, due date planned for)
  with "insert ... on conflict do nothing", so re-planning never duplicates;
- a dispatcher claims due rows ``pending -> sending`` with a lease. On PostgreSQL the claim is
  ``SELECT ... FOR UPDATE SKIP LOCKED`` (workers never wait for or steal each other's rows); on
  SQLite one dispatcher at a time holds the ``reminder_locks`` lease and the claim is one atomic
  ``UPDATE ... WHERE status = 'pending'``;
- just before the HTTP request the row is marked ``in_flight``. A lease that expires (the worker
  died) goes back to ``pending`` if the request had not started, and to ``uncertain`` if it had:
  the message may have been delivered, and Bot APIs have no idempotency key, so it is never resent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from knowledge.store.db import Database
from reminders.models import Delivery, DispatchLock
from reminders.planner import Reminder

logger = logging.getLogger(__name__)

BATCH = 500
LOCK = "dispatch"


def utc(dt: datetime) -> datetime:
    """Aware UTC (SQLite returns naive datetimes)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this dispatcher now owns until its lease ends."""

    id: int
    key: str
    task_id: int | None
    recipient: str
    channel: str
    kind: str
    due: date | None
    note: str | None
    attempts: int
    send_at: datetime
    not_before: datetime  # later than send_at when held (snooze) or retried

    @property
    def due_at(self) -> datetime:
        return max(self.send_at, self.not_before)


class Ledger:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.dialect = db.engine.dialect.name

    # ------------------------------------------------------------------ planning
    def insert(self, reminders: Iterable[Reminder], *, now: datetime,
               holds: dict[int, datetime] | None = None) -> int:
        """Insert reminders not yet in the ledger (by key); returns how many were new."""
        holds = holds or {}
        new = 0
        batch: list[dict[str, object]] = []
        for r in reminders:
            hold = holds.get(r.task_id) if r.task_id is not None else None
            nb = max(utc(r.send_at), hold) if hold else utc(r.send_at)
            batch.append({"key": r.key, "task_id": r.task_id, "recipient": r.recipient, "channel": r.channel,
                          "kind": r.kind, "due": r.due, "note": r.note, "send_at": utc(r.send_at),
                          "not_before": nb, "status": "pending", "attempts": 0, "in_flight": False,
                          "created_at": now, "updated_at": now})
            if len(batch) >= BATCH:
                new += self._insert(batch)
                batch = []
        if batch:
            new += self._insert(batch)
        return new

    def _insert(self, rows: list[dict[str, object]]) -> int:
        return len(self._insert_keys(rows))

    def _insert_keys(self, rows: list[dict[str, object]]) -> list[str]:
        """Insert, do nothing on a key conflict; the keys actually inserted."""
        base = (postgresql.insert(Delivery) if self.dialect == "postgresql" else sqlite.insert(Delivery))
        stmt = base.on_conflict_do_nothing(index_elements=["key"]).returning(Delivery.key)
        with self.db.session() as s:
            return [str(k) for k in s.execute(stmt, rows).scalars()]

    def insert_stale(self, reminders: Iterable[Reminder], *, now: datetime) -> int:
        """Record reminders dropped by catch-up (status ``cancelled``), each logged once."""
        rows: list[dict[str, object]] = [
                {"key": r.key, "task_id": r.task_id, "recipient": r.recipient, "channel": r.channel,
                 "kind": r.kind, "due": r.due, "note": r.note, "send_at": utc(r.send_at),
                 "not_before": utc(r.send_at), "status": "cancelled", "attempts": 0, "in_flight": False,
                 "error": "quá hạn gửi (bỏ qua sau thời gian dừng)", "created_at": now, "updated_at": now}
                for r in reminders]
        keys: list[str] = []
        for i in range(0, len(rows), BATCH):
            keys += self._insert_keys(rows[i:i + BATCH])
        for k in keys:
            logger.info("reminders: dropped stale reminder %s (missed while the service was down)", k)
        return len(keys)

    def cancel(self, *, task_ids: Sequence[int] | None = None, reason: str, now: datetime,
               keep_due: dict[int, date | None] | None = None) -> int:
        """Cancel pending rows of these tasks (done), or rows planned for a due date that changed."""
        n = 0
        with self.db.session() as s:
            if task_ids:
                for i in range(0, len(task_ids), BATCH):
                    part = list(task_ids[i:i + BATCH])
                    n += _rowcount(s.execute(update(Delivery).where(
                        Delivery.status == "pending", Delivery.task_id.in_(part),
                    ).values(status="cancelled", error=reason, updated_at=now)))
            for tid, due in (keep_due or {}).items():
                n += _rowcount(s.execute(update(Delivery).where(
                    Delivery.status == "pending", Delivery.task_id == tid, Delivery.kind != "digest",
                    or_(Delivery.due.is_(None), Delivery.due != due) if due else Delivery.due.is_not(None),
                ).values(status="cancelled", error=reason, updated_at=now)))
        return n

    def reopen(self, task_id: int, *, reason: str, now: datetime) -> int:
        """Undo of "done": rows cancelled because of it become pending again."""
        with self.db.session() as s:
            return _rowcount(s.execute(update(Delivery).where(
                Delivery.task_id == task_id, Delivery.status == "cancelled", Delivery.error == reason,
            ).values(status="pending", error=None, updated_at=now)))

    def hold(self, task_id: int, until: datetime | None, *, now: datetime) -> int:
        """Snooze: pending rows of the task wait until ``until`` (None: back to their planned time)."""
        with self.db.session() as s:
            q = update(Delivery).where(Delivery.task_id == task_id, Delivery.status == "pending")
            values = {"not_before": utc(until), "updated_at": now} if until else {
                "not_before": Delivery.send_at, "updated_at": now}
            return _rowcount(s.execute(q.values(**values)))

    # ------------------------------------------------------------------ dispatching
    def acquire(self, owner: str, now: datetime, lease: timedelta) -> bool:
        """SQLite: the one-dispatcher lease (False: another dispatcher holds it). PostgreSQL: always True."""
        if self.dialect == "postgresql":
            return True
        with self.db.session() as s:
            s.execute(sqlite.insert(DispatchLock).values(name=LOCK, owner=None, until=None)
                      .on_conflict_do_nothing(index_elements=["name"]))
        with self.db.session() as s:
            got = s.execute(update(DispatchLock).where(
                DispatchLock.name == LOCK,
                or_(DispatchLock.owner.is_(None), DispatchLock.owner == owner, DispatchLock.until < now),
            ).values(owner=owner, until=now + lease))
            return _rowcount(got) == 1

    def release(self, owner: str) -> None:
        if self.dialect == "postgresql":
            return
        with self.db.session() as s:
            s.execute(update(DispatchLock).where(DispatchLock.name == LOCK, DispatchLock.owner == owner)
                      .values(owner=None, until=None))

    def recover(self, now: datetime) -> tuple[int, list[Claimed]]:
        """Expired leases: back to pending if the request never started, else uncertain (returned,
        so the admins can be told)."""
        expired = and_(Delivery.status == "sending", Delivery.lease_until < now)
        cols = (Delivery.id, Delivery.key, Delivery.task_id, Delivery.recipient, Delivery.channel, Delivery.kind,
                Delivery.due, Delivery.note, Delivery.attempts, Delivery.send_at, Delivery.not_before)
        with self.db.session() as s:
            back = _rowcount(s.execute(update(Delivery).where(expired, Delivery.in_flight.is_(False)).values(
                status="pending", lease_owner=None, lease_until=None, updated_at=now)))
            rows = s.execute(update(Delivery).where(expired, Delivery.in_flight.is_(True)).values(
                status="uncertain", lease_owner=None, lease_until=None, in_flight=False, updated_at=now,
                error="tiến trình gửi dừng giữa chừng sau khi yêu cầu đã đi: có thể đã gửi",
            ).returning(*cols)).all()
        unsure = [_claimed(r) for r in rows]
        if back or unsure:
            logger.warning("ledger: %d expired claims back to pending, %d uncertain", back, len(unsure))
        return back, unsure

    def claim(self, owner: str, now: datetime, lease: timedelta, limit: int = 100) -> list[Claimed]:
        """Claim up to ``limit`` due rows (pending, not held) for ``owner``."""
        due = and_(Delivery.status == "pending", Delivery.not_before <= now)
        where: ColumnElement[bool]
        with self.db.session() as s:
            if self.dialect == "postgresql":
                ids = list(s.scalars(select(Delivery.id).where(due).order_by(Delivery.not_before, Delivery.id)
                                     .limit(limit).with_for_update(skip_locked=True)))
                if not ids:
                    return []
                where = Delivery.id.in_(ids)
            else:
                sub = select(Delivery.id).where(due).order_by(Delivery.not_before, Delivery.id).limit(limit)
                where = and_(Delivery.id.in_(sub.scalar_subquery()), Delivery.status == "pending")
            rows = s.execute(update(Delivery).where(where).values(
                status="sending", lease_owner=owner, lease_until=now + lease, attempts=Delivery.attempts + 1,
                in_flight=False, updated_at=now,
            ).returning(Delivery.id, Delivery.key, Delivery.task_id, Delivery.recipient, Delivery.channel,
                        Delivery.kind, Delivery.due, Delivery.note, Delivery.attempts, Delivery.send_at,
                        Delivery.not_before)).all()
        return sorted((_claimed(r) for r in rows), key=lambda c: c.id)

    def start(self, row_id: int, owner: str, now: datetime) -> bool:
        """Mark the request as leaving (committed before the HTTP call). False: the lease was lost."""
        with self.db.session() as s:
            return _rowcount(s.execute(update(Delivery).where(
                Delivery.id == row_id, Delivery.status == "sending", Delivery.lease_owner == owner,
                Delivery.lease_until >= now,
            ).values(in_flight=True, updated_at=now))) == 1

    def again(self, row_id: int, owner: str, now: datetime) -> int:
        """A retry inside the pass: the failed request certainly did not deliver. Returns the attempt count."""
        with self.db.session() as s:
            s.execute(update(Delivery).where(Delivery.id == row_id, Delivery.lease_owner == owner).values(
                attempts=Delivery.attempts + 1, in_flight=False, updated_at=now))
            return int(s.scalar(select(Delivery.attempts).where(Delivery.id == row_id)) or 0)

    def finish(self, row_id: int, owner: str, status: str, *, now: datetime, error: str | None = None,
               retry_at: datetime | None = None, message_id: str | None = None) -> None:
        """Record the outcome; ``pending`` with ``retry_at`` schedules a retry."""
        values: dict[str, object] = {"status": status, "lease_owner": None, "lease_until": None,
                                     "in_flight": False, "updated_at": now, "error": error}
        if status == "sent":
            values.update(sent_at=now, message_id=message_id)
        if retry_at is not None:
            values["not_before"] = utc(retry_at)
        with self.db.session() as s:
            s.execute(update(Delivery).where(Delivery.id == row_id, Delivery.lease_owner == owner).values(**values))

    def skip(self, row_id: int, owner: str, *, now: datetime, reason: str) -> None:
        self.finish(row_id, owner, "cancelled", now=now, error=reason)

    # ------------------------------------------------------------------ reading
    def rows(self, *, task_id: int | None = None, limit: int = 1000) -> list[dict[str, object]]:
        q = select(Delivery).order_by(Delivery.send_at, Delivery.id).limit(limit)
        if task_id is not None:
            q = q.where(Delivery.task_id == task_id)
        with self.db.session() as s:
            return [_as_dict(d) for d in s.scalars(q)]

    def counts(self) -> dict[str, int]:
        with self.db.session() as s:
            return {st: int(n) for st, n in s.execute(select(Delivery.status, func.count()).group_by(Delivery.status))}

    def sent_today(self, s: Session, recipient: str, since: datetime) -> int:
        return int(s.scalar(select(func.count()).where(
            Delivery.recipient == recipient, Delivery.status == "sent", Delivery.sent_at >= since)) or 0)


def _claimed(r: Any) -> Claimed:
    return Claimed(int(r[0]), str(r[1]), r[2], str(r[3]), str(r[4]), str(r[5]), r[6], r[7], int(r[8]), utc(r[9]),
                   utc(r[10]))


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _as_dict(d: Delivery) -> dict[str, object]:
    return {"key": d.key, "task_id": d.task_id, "recipient": d.recipient, "kind": d.kind, "status": d.status,
            "attempts": d.attempts, "sent_at": utc(d.sent_at).isoformat() if d.sent_at else None,
            "send_at": utc(d.send_at).isoformat(), "error": d.error}
