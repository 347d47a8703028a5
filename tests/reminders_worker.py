"""A dispatcher process for the exactly-once tests: one pass at ``--now`` against a fake Bot API.

    python -m tests.reminders_worker DB_URL HOME BASE_URL TOKEN NOW [--pause-after-claim FILE]

``--pause-after-claim FILE`` writes FILE once rows are claimed and then sleeps, so the test can
``kill -9`` the process between claim and send. Prints the pass report as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import datetime
from pathlib import Path

from bot.push import BotApiNotifier
from core.keys import load_or_create_secret
from knowledge.store.db import Database
from reminders.dispatcher import Hooks
from reminders.ledger import Claimed
from reminders.policy import load_policy
from reminders.service import Reminders


class PauseAfterClaim(Hooks):
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    async def after_claim(self, rows: list[Claimed]) -> None:
        self.marker.write_text(json.dumps([r.key for r in rows]), encoding="utf-8")
        time.sleep(3600)  # blocks the loop on purpose: the process is about to be killed


async def main() -> None:
    ap = argparse.ArgumentParser()
    for name in ("db", "home", "base_url", "token", "now"):
        ap.add_argument(name)
    ap.add_argument("--pause-after-claim", default=None)
    ap.add_argument("--timeout", type=float, default=2.0)
    args = ap.parse_args()
    db = Database(args.db)
    rem = Reminders(db, load_policy({"lease_seconds": 60, "channels": {
        "telegram": {"per_second": 1000, "per_chat_per_second": 1000}}}), load_or_create_secret(Path(args.home)))
    hooks = PauseAfterClaim(Path(args.pause_after_claim)) if args.pause_after_claim else None
    notifier = BotApiNotifier("telegram", args.base_url, args.token, buttons=True, timeout_s=args.timeout)
    try:
        report = await rem.dispatcher({"telegram": notifier}, hooks=hooks).run_once(datetime.fromisoformat(args.now))
    finally:
        await notifier.close()
        db.dispose()
    print(json.dumps(report.as_dict()))


if __name__ == "__main__":
    asyncio.run(main())
