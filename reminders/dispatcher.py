"""One dispatch pass: plan the recent window, insert missing ledger rows, send the due ones.

The pass is the same whether the scheduler tick runs it every minute inside ``cchc serve`` or an
operator runs ``cchc reminders dispatch --now ...``. Delivery rules (see :mod:`reminders.notifier`):
retry with backoff only on 429 (``retry_after``), 5xx or a connection that failed before sending;
a request that left without an answer is ``uncertain`` and never resent (admins are told); a
blocked or unknown chat marks the recipient undeliverable and alerts the admins once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import time as _time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from reminders import messages
from reminders.ledger import Claimed, Ledger, utc
from reminders.notifier import Delivery, Notice, Notifier, Outcome
from reminders.planner import (
    NUDGE_FAMILY,
    Planner,
    PlanTask,
    PlanUser,
    Reminder,
    catch_up,
    family,
    reminder_key,
)
from reminders.policy import ReminderPolicy
from reminders.throttle import Throttle
from reminders.workdays import WorkCalendar

logger = logging.getLogger(__name__)

MAX_INLINE_WAIT = 5.0  # seconds a retry may wait inside a pass; longer waits go to a later tick
CONCURRENCY = 25


@dataclass(frozen=True)
class PlanInputs:
    tasks: list[PlanTask]
    users: list[PlanUser]
    earliest_open: dict[str, date] = field(default_factory=dict)
    holds: dict[int, datetime] = field(default_factory=dict)  # snoozed task -> until


@dataclass(frozen=True)
class Chat:
    chat_id: str
    name: str | None = None
    agency: str | None = None


class ReminderSource(Protocol):
    """What the dispatcher reads from the store (implemented by :mod:`reminders.source`)."""

    def calendar(self) -> WorkCalendar: ...
    def inputs(self, start: date, end: date, policy: ReminderPolicy) -> PlanInputs: ...
    def brief(self, task_id: int) -> messages.TaskBrief | None: ...
    def chat(self, recipient: str) -> Chat | None: ...
    def digest(self, recipient: str, week: date, today: date) -> str | None: ...
    def mark_undeliverable(self, recipient: str, reason: str, now: datetime) -> bool: ...
    def admins(self) -> list[str]: ...
    def cancel_obsolete(self, ledger: Ledger, now: datetime) -> int: ...


class Hooks:
    """Test seams (fault injection): called around the points where a crash matters."""

    async def after_claim(self, rows: list[Claimed]) -> None:
        return None

    async def before_request(self, row: Claimed) -> None:
        return None


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    uncertain: int = 0
    skipped: int = 0
    planned: int = 0
    stale: int = 0
    retried: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def in_window(local: datetime, policy: ReminderPolicy, cal: WorkCalendar) -> bool:
    return cal.is_working_day(local.date()) and policy.window_start <= local.time() < policy.window_end


class Dispatcher:
    def __init__(self, source: ReminderSource, ledger: Ledger, notifiers: Mapping[str, Notifier],
                 policy: ReminderPolicy, sign: messages.Signer, *, owner: str | None = None,
                 hooks: Hooks | None = None, sleep: Callable[[float], Awaitable[None]] | None = None) -> None:
        self.source = source
        self.ledger = ledger
        self.notifiers = dict(notifiers)
        self.policy = policy
        self.sign = sign
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.hooks = hooks or Hooks()
        self.throttles = {name: Throttle(policy.throttle(name)) for name in self.notifiers}
        self._sleep = sleep or asyncio.sleep
        self._t0 = 0.0
        self._now0 = datetime.now(UTC)
        self._known: set[str] = set()  # keys this process already put in the ledger (saves re-inserting each tick)

    def _clock(self) -> datetime:
        return self._now0 + timedelta(seconds=_time.monotonic() - self._t0)

    async def run_once(self, now: datetime | None = None) -> DispatchReport:
        """One pass at ``now`` (default: the clock)."""
        self._now0, self._t0 = utc(now or datetime.now(UTC)), _time.monotonic()
        now = self._now0
        rep = DispatchReport()
        if not self.policy.enabled:
            return rep
        cal = await asyncio.to_thread(self.source.calendar)
        await self._plan(now, cal, rep)
        if not in_window(now.astimezone(self.policy.zone), self.policy, cal):
            logger.debug("reminders: outside the send window, nothing sent")
            return rep
        lease = timedelta(seconds=self.policy.lease_seconds)
        if not await asyncio.to_thread(self.ledger.acquire, self.owner, now, lease):
            logger.info("reminders: another dispatcher holds the SQLite lease; skipping this pass")
            return rep
        try:
            _, unsure = await asyncio.to_thread(self.ledger.recover, now)
            for r in unsure:
                rep.uncertain += 1
                await self._alert("alert_uncertain", r, now, suffix=r.key)
            while True:
                rows = await asyncio.to_thread(self.ledger.claim, self.owner, self._clock(), lease)
                if not rows:
                    break
                await self.hooks.after_claim(rows)
                await self._batch(rows, rep)
        finally:
            await asyncio.to_thread(self.ledger.release, self.owner)
        logger.info("reminders: %s", rep.as_dict())
        return rep

    async def _plan(self, now: datetime, cal: WorkCalendar, rep: DispatchReport) -> None:
        local = now.astimezone(self.policy.zone)
        days_back = math.ceil(self.policy.catch_up_hours / 24) + 1
        start, end = local.date() - timedelta(days=days_back), local.date()
        inputs = await asyncio.to_thread(self.source.inputs, start, end, self.policy)
        planner = Planner(inputs.users, self.policy, cal)
        due = [r for r in planner.plan(inputs.tasks, start, end, inputs.earliest_open) if r.send_at <= now]
        keep, stale = catch_up(due, now, timedelta(hours=self.policy.catch_up_hours))
        await asyncio.to_thread(self.source.cancel_obsolete, self.ledger, now)
        # The ledger decides (insert ... on conflict do nothing); the in-process set only skips rows
        # this process inserted before. Snoozed tasks are always offered again (their hold may be new).
        keep = [r for r in keep if r.key not in self._known or r.task_id in inputs.holds]
        stale = [r for r in stale if r.key not in self._known]
        rep.planned = await asyncio.to_thread(self.ledger.insert, keep, now=now, holds=inputs.holds)
        rep.stale = await asyncio.to_thread(self.ledger.insert_stale, stale, now=now)
        if len(self._known) > 500_000:
            self._known.clear()
        self._known.update(r.key for r in keep)
        self._known.update(r.key for r in stale)

    async def _batch(self, rows: list[Claimed], rep: DispatchReport) -> None:
        """Send a claimed batch; of several due rows of one task, recipient and family only the latest goes."""
        latest: dict[tuple[int | None, str], Claimed] = {}
        for r in rows:
            k = (r.task_id, r.recipient)
            if family(r.kind) == NUDGE_FAMILY and (k not in latest or r.send_at > latest[k].send_at):
                latest[k] = r
        chosen = {r.id for r in latest.values()} | {r.id for r in rows if family(r.kind) != NUDGE_FAMILY}
        sem = asyncio.Semaphore(CONCURRENCY)
        max_age = timedelta(hours=self.policy.catch_up_hours)

        async def one(r: Claimed) -> None:
            try:
                await guarded(r)
            except Exception:  # a bug must not stop the batch; the row's lease expires and is recovered
                logger.error("reminders: error delivering %s", r.key, exc_info=True)

        async def guarded(r: Claimed) -> None:
            async with sem:
                if r.id not in chosen:
                    await self._skip(r, rep, "đã có nhắc việc mới hơn cho nhiệm vụ này")
                elif self._clock() - r.due_at > max_age and not r.kind.startswith("alert_"):
                    await self._skip(r, rep, "quá hạn gửi (đã chờ quá lâu)")
                else:
                    await self._deliver(r, rep)

        await asyncio.gather(*(one(r) for r in rows))

    async def _skip(self, r: Claimed, rep: DispatchReport, reason: str) -> None:
        rep.skipped += 1
        logger.info("reminders: skipped %s (%s)", r.key, reason)
        await asyncio.to_thread(self.ledger.skip, r.id, self.owner, now=self._clock(), reason=reason)

    async def _notice(self, r: Claimed) -> Notice | str:
        """The message of a row, or the reason it must not be sent."""
        chat = await asyncio.to_thread(self.source.chat, r.recipient)
        if chat is None:
            return "người nhận không còn quyền hoặc chưa nhắn tin cho trợ lý"
        today = self._clock().astimezone(self.policy.zone).date()
        if r.kind == "digest":
            text = await asyncio.to_thread(self.source.digest, r.recipient, r.due or today, today)
            return Notice(chat.chat_id, text) if text else "không còn việc để tổng hợp"
        brief = await asyncio.to_thread(self.source.brief, r.task_id) if r.task_id is not None else None
        if r.kind.startswith("alert_"):
            return Notice(chat.chat_id, await asyncio.to_thread(self._alert_text, r, brief))
        if brief is None or brief.done:
            return "nhiệm vụ đã hoàn thành hoặc không còn"
        text = messages.nudge_text(r.kind, brief, today, note=r.note,
                                   working_days=self.policy.escalate_after_working_days)
        actions = () if r.kind == "unassigned" else messages.task_actions(brief, self.sign)
        return Notice(chat.chat_id, text, actions)

    def _alert_text(self, r: Claimed, brief: messages.TaskBrief | None) -> str:
        subject = r.note or "?"
        if r.kind == "alert_uncertain":
            what = messages.task_line(brief) if brief else "một tin tổng hợp"
            return (f"⚠️ Nhắc việc tới {subject} có thể chưa tới: yêu cầu gửi đã đi nhưng không có trả lời."
                    f" Trợ lý không tự gửi lại để tránh trùng lặp. Nhiệm vụ: {what}")
        chat = self.source.chat(subject)
        return messages.undeliverable_alert(subject, chat.name if chat else None, chat.agency if chat else None,
                                            "cuộc trò chuyện bị chặn hoặc không tồn tại")

    async def _deliver(self, r: Claimed, rep: DispatchReport) -> None:
        notifier = self.notifiers.get(r.channel)
        if notifier is None:
            await self._skip(r, rep, f"kênh {r.channel} chưa được bật")
            return
        notice = await self._notice(r)
        if isinstance(notice, str):
            await self._skip(r, rep, notice)
            return
        attempts = r.attempts
        while True:
            await self.throttles[r.channel].wait(notice.chat_id)
            if not await asyncio.to_thread(self.ledger.start, r.id, self.owner, self._clock()):
                logger.warning("reminders: lost the lease of %s before sending; leaving it", r.key)
                return
            await self.hooks.before_request(r)
            result = await notifier.notify(notice)
            delay = self._retry_delay(result, attempts)
            if delay is None or delay > MAX_INLINE_WAIT:
                await self._record(r, result, attempts, delay, rep)
                return
            rep.retried += 1
            attempts = await asyncio.to_thread(self.ledger.again, r.id, self.owner, self._clock())
            logger.info("reminders: retrying %s in %.1f s (%s)", r.key, delay, result.detail)
            await self._sleep(delay)

    def _retry_delay(self, result: Delivery, attempts: int) -> float | None:
        if result.outcome is not Outcome.RETRY or attempts >= self.policy.max_attempts:
            return None
        backoff = min(300.0, 0.5 * 2 ** (attempts - 1))
        return max(backoff, result.retry_after or 0.0)

    async def _record(self, r: Claimed, result: Delivery, attempts: int, delay: float | None,
                      rep: DispatchReport) -> None:
        now = self._clock()
        out = result.outcome
        if out is Outcome.SENT:
            rep.sent += 1
            await asyncio.to_thread(self.ledger.finish, r.id, self.owner, "sent", now=now, message_id=result.message_id)
        elif out is Outcome.RETRY and delay is not None:
            await asyncio.to_thread(self.ledger.finish, r.id, self.owner, "pending", now=now, error=result.detail,
                                    retry_at=now + timedelta(seconds=delay))
        elif out is Outcome.UNCERTAIN:
            rep.uncertain += 1
            await asyncio.to_thread(self.ledger.finish, r.id, self.owner, "uncertain", now=now, error=result.detail)
            await self._alert("alert_uncertain", r, now, suffix=r.key)
        else:
            rep.failed += 1
            await asyncio.to_thread(self.ledger.finish, r.id, self.owner, "failed", now=now, error=result.detail)
            if out is Outcome.UNDELIVERABLE and not r.kind.startswith("alert_"):
                fresh = await asyncio.to_thread(self.source.mark_undeliverable, r.recipient, result.detail, now)
                if fresh:
                    await self._alert("alert_undeliverable", r, now, suffix=now.date().isoformat())

    async def _alert(self, kind: str, r: Claimed, now: datetime, *, suffix: str) -> None:
        """Ledger rows for an admin alert, sent by this or the next pass, once per admin."""
        admins = [a for a in await asyncio.to_thread(self.source.admins) if a != r.recipient]
        alerts = [Reminder(reminder_key(r.task_id, a, f"{kind}:{r.recipient}:{suffix}", None), r.task_id, a, kind,
                           now, None, r.recipient) for a in admins]
        await asyncio.to_thread(self.ledger.insert, alerts, now=now)
