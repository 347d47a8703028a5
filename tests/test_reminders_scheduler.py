"""The tick inside ``cchc serve``: APScheduler 3 wakes the dispatcher on the running loop, one pass at a time."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.keys import load_or_create_secret
from knowledge.store.db import Database
from reminders.dispatcher import DispatchReport
from reminders.policy import load_policy
from reminders.scheduler import ReminderTick
from reminders.service import Reminders


class CountingDispatcher:
    def __init__(self) -> None:
        self.calls = 0
        self.running = 0
        self.overlap = False

    async def run_once(self) -> DispatchReport:
        self.running += 1
        self.overlap = self.overlap or self.running > 1
        self.calls += 1
        await asyncio.sleep(0.1)
        self.running -= 1
        if self.calls == 2:
            raise RuntimeError("one bad pass must not stop the next ones")
        return DispatchReport()


def test_tick_runs_the_dispatcher_every_interval(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 't.sqlite3'}")
    rem = Reminders(db, load_policy({"tick_seconds": 5}), load_or_create_secret(tmp_path))

    async def run() -> CountingDispatcher:
        tick = ReminderTick(rem, {})
        counting = CountingDispatcher()
        tick.dispatcher = counting  # type: ignore[assignment]
        tick.start()
        await asyncio.sleep(16)  # first run after 5 s, then every 5 s
        tick.stop()
        return counting

    counting = asyncio.run(run())
    assert counting.calls >= 3 and not counting.overlap  # the pass after the failing one ran too
    db.dispose()


def test_disabled_policy_starts_nothing(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 't.sqlite3'}")
    rem = Reminders(db, load_policy({"enabled": False}), load_or_create_secret(tmp_path))

    async def run() -> bool:
        tick = ReminderTick(rem, {})
        tick.start()
        running = tick.scheduler.running
        tick.stop()
        return running

    assert asyncio.run(run()) is False
    db.dispose()
