"""The tick inside ``cchc serve``: APScheduler 3 wakes the dispatcher every ``tick_seconds``.

The scheduler holds no state worth keeping. APScheduler's job stores must not be shared between
processes (its FAQ), so the job lives in memory (the default ``MemoryJobStore``) in each worker and
the ledger (:mod:`reminders.ledger`) is the single source of truth: each tick is an idempotent pass
(insert-on-conflict-do-nothing, leased claims), so any number of ``cchc serve`` workers on one
PostgreSQL send every reminder once. ``max_instances=1`` and ``coalesce=True`` keep one pass at a
time per worker; a slow pass delays the next tick instead of stacking them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from reminders.notifier import Notifier
from reminders.service import Reminders

logger = logging.getLogger(__name__)


class ReminderTick:
    """Start and stop the per-minute dispatch job on the running asyncio loop."""

    def __init__(self, reminders: Reminders, notifiers: Mapping[str, Notifier]) -> None:
        self.reminders = reminders
        self.dispatcher = reminders.dispatcher(notifiers)
        self.scheduler = AsyncIOScheduler(timezone=reminders.policy.timezone)

    async def tick(self) -> None:
        try:
            await self.dispatcher.run_once()
        except Exception:  # one bad pass must not stop the next ones
            logger.error("reminder tick failed", exc_info=True)

    def start(self) -> None:
        if not self.reminders.policy.enabled:
            logger.info("reminders disabled (reminders.enabled: false)")
            return
        self.scheduler.add_job(self.tick, "interval", seconds=self.reminders.policy.tick_seconds,
                               id="reminders", max_instances=1, coalesce=True,
                               misfire_grace_time=self.reminders.policy.tick_seconds,
                               next_run_time=datetime.now(UTC) + timedelta(seconds=5))
        self.scheduler.start()
        logger.info("reminder scheduler started (every %d s)", self.reminders.policy.tick_seconds)

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
