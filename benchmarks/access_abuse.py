"""Invite-code guessing through the real router and store: how many codes one user, and many users,
get checked during a flood, and what a refused update costs.

    .venv/bin/python benchmarks/access_abuse.py [--updates 2000] [--users 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def sink() -> object:
    """A channel that only counts what the bot sends."""
    from bot.channel import Channel

    class Sink(Channel):
        name = "telegram"

        def __init__(self) -> None:
            self.sent: list[str] = []

        async def send_text(self, chat_id: str, text: str, buttons: object = None) -> None:
            self.sent.append(text)

        async def send_photo(self, chat_id: str, png: bytes, caption: str | None = None) -> None:
            pass

    return Sink()


async def flood(updates: int, users: int) -> None:
    from bot.channel import Incoming
    from bot.router import Router
    from core.settings import load_settings
    from knowledge.service import Knowledge
    from knowledge.store.account_models import RegistrationFailure

    home = Path(tempfile.mkdtemp(prefix="cchc-abuse-"))
    (home / "config.yaml").write_text("{}\n", encoding="utf-8")
    settings = load_settings(home / "config.yaml", home=home)
    kn = Knowledge(settings)
    router = Router(settings, kn)
    channel: Any = sink()

    def checked() -> int:
        with kn.db.session() as s:
            return s.query(RegistrationFailure).count()

    for label, n_users in (("one user", 1), (f"{users} users", users)):
        start = checked()
        t = time.perf_counter()
        for i in range(updates):
            uid = str(900_000 + (i % n_users) + (0 if n_users == 1 else 1))
            await router.handle(Incoming(channel="telegram", user_id=uid, chat_id=uid, text=f"/dangky GUESS-{i:05d}"), channel)
        took = time.perf_counter() - t
        print(f"{label}: {updates} /dangky updates in {took:.2f} s ({updates / took:.0f}/s handled); "
              f"codes actually checked: {checked() - start}")
    kn.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--updates", type=int, default=2000)
    ap.add_argument("--users", type=int, default=200)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    asyncio.run(flood(args.updates, args.users))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
