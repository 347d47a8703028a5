"""A simulated quarter over the sample schedule: registered users, the real dispatcher, the fake
Telegram server over HTTP. Ticks every ``--step`` minutes through working hours (and once at night
and at weekends, which must send nothing), completes some tasks along the way, and prints the
messages per kind, the ledger states and the duplicate count (must be 0).

    .venv/bin/python benchmarks/reminders_quarter.py [--start 2026-12-01] [--days 91] [--step 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.push import BotApiNotifier  # noqa: E402
from core.keys import load_or_create_secret  # noqa: E402
from knowledge.store.db import Database  # noqa: E402
from knowledge.store.provisioning import NewUser, add_user  # noqa: E402
from knowledge.tasks import actions  # noqa: E402
from knowledge.tasks.imports import import_schedule  # noqa: E402
from reminders.policy import load_policy  # noqa: E402
from reminders.service import Reminders  # noqa: E402
from tests.fakes.fake_telegram import FakeTelegram  # noqa: E402

AGENCIES = ("Sở Nội vụ", "Văn phòng UBND tỉnh", "Sở Tài chính", "Sở Khoa học và Công nghệ", "Sở Tư pháp",
            "Sở Xây dựng", "Sở Nông nghiệp và Môi trường")


def setup(home: Path) -> tuple[Database, dict[int, str]]:
    db = Database(f"sqlite:///{home / 'q.sqlite3'}")
    import_schedule(db, ROOT / "data" / "schedule" / "lich-cong-tac-mau.xlsx")
    kinds: dict[int, str] = {}
    uid = 100
    for agency in AGENCIES:
        for role in ("official", "official", "leader"):
            uid += 1
            add_user(db, NewUser("telegram", str(uid), role, agency))
            kinds[uid] = f"{role}:{agency}"
    add_user(db, NewUser("telegram", "9001", "admin", None))
    kinds[9001] = "admin"
    return db, kinds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", default="2026-12-01")
    ap.add_argument("--days", type=int, default=91)
    ap.add_argument("--step", type=int, default=60, help="minutes between ticks in working hours")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="cchc-quarter-"))
    db, _ = setup(home)
    rem = Reminders(db, load_policy({"channels": {"telegram": {"per_second": 1000, "per_chat_per_second": 1000}}}),
                    load_or_create_secret(home))
    fake = FakeTelegram()
    fake.start()
    zone = rem.policy.zone
    start = date.fromisoformat(args.start)
    t0 = time.perf_counter()
    passes = 0
    done_codes = ("HY-2026-001", "HY-2026-009")  # completed on the due day: no overdue notices after

    async def run() -> None:
        nonlocal passes
        n = BotApiNotifier("telegram", fake.base_url, fake.token, buttons=True)
        try:
            for d in range(args.days):
                day = start + timedelta(days=d)
                for hour_min in [(7, 30), *[(8 + m // 60, m % 60) for m in range(0, 9 * 60, args.step)], (20, 0)]:
                    now = datetime(day.year, day.month, day.day, *hour_min, tzinfo=zone)
                    await rem.dispatcher({"telegram": n}).run_once(now)
                    passes += 1
                for code in done_codes:
                    tid = actions.find_task_id(db, code)
                    view = actions.get_task(db, tid)
                    if view.due == day and view.status != "hoàn thành":
                        actions.mark_done(db, tid, by="telegram:101", channel="telegram")
        finally:
            await n.close()

    asyncio.run(run())
    took = time.perf_counter() - t0
    rows = rem.deliveries()
    sent_rows = [r for r in rows if r["status"] == "sent"]
    with fake.cond:
        texts = Counter((s.chat_id, s.text) for s in fake.sent)
    out = {
        "window": f"{start} + {args.days} days", "passes": passes, "took_s": round(took, 1),
        "messages": sum(texts.values()), "duplicates": sum(c - 1 for c in texts.values() if c > 1),
        "sent_per_kind": dict(sorted(Counter(str(r["kind"]) for r in sent_rows).items())),
        "ledger_states": dict(sorted(Counter(str(r["status"]) for r in rows).items())),
        "sent_outside_window": sum(1 for r in sent_rows if not _in_window(str(r["sent_at"]), zone)),
    }
    fake.stop()
    print(json.dumps(out, ensure_ascii=False))
    return 0


def _in_window(iso: str, zone: object) -> bool:
    t = datetime.fromisoformat(iso).astimezone(zone)  # type: ignore[arg-type]
    return t.weekday() < 5 and 8 <= t.hour < 17


if __name__ == "__main__":
    raise SystemExit(main())
