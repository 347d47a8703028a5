"""Planner speed and memory: 100,000 tasks and 5,000 users over a 60-day window (target <= 5 s).

The planner is pure and streams its reminders, so memory stays bounded by the inputs, not by the
number of reminders; this script counts them without keeping them.

    .venv/bin/python benchmarks/reminders_plan.py [--tasks 100000] [--users 5000] [--days 60]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reminders.planner import Planner, PlanTask, PlanUser  # noqa: E402
from reminders.policy import ReminderPolicy  # noqa: E402
from reminders.workdays import WorkCalendar  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def inputs(n_tasks: int, n_users: int, start: date, seed: int = 7) -> tuple[list[PlanTask], list[PlanUser]]:
    rnd = random.Random(seed)
    agencies = [f"agency {i}" for i in range(max(1, n_users // 25))]
    users = []
    for i in range(n_users):
        role = "admin" if i % 50 == 0 else "leader" if i % 10 == 1 else "official"
        users.append(PlanUser(f"telegram:{100000 + i}", role, None if role == "admin" else rnd.choice(agencies),
                              muted=rnd.random() < 0.05, hour=rnd.choice([None, None, 9, 10, 14])))
    officials = [u.recipient for u in users if u.role == "official"]
    tasks = []
    for i in range(n_tasks):
        due = start + timedelta(days=rnd.randint(-365, 365))
        done = due < start and rnd.random() < 0.9
        assignee = rnd.choice(officials) if rnd.random() < 0.3 else None
        tasks.append(PlanTask(i + 1, due, done, (rnd.choice(agencies),), (rnd.choice(agencies),), assignee))
    return tasks, users


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=5_000)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--start", default="2026-11-01")
    args = ap.parse_args()
    start = date.fromisoformat(args.start)
    end = start + timedelta(days=args.days - 1)
    tasks, users = inputs(args.tasks, args.users, start)
    rss_inputs = rss_mb()
    cal = WorkCalendar()
    t0 = time.perf_counter()
    planner = Planner(users, ReminderPolicy(), cal)
    kinds: Counter[str] = Counter()
    for r in planner.plan(tasks, start, end):
        kinds[r.kind.split("_")[0] if r.kind.startswith("lead_") else r.kind] += 1
    took = time.perf_counter() - t0
    out = {"tasks": args.tasks, "users": args.users, "window_days": args.days, "reminders": sum(kinds.values()),
           "per_kind": dict(sorted(kinds.items())), "plan_s": round(took, 2),
           "rss_inputs_mb": round(rss_inputs, 1), "rss_peak_mb": round(rss_mb(), 1), "target_s": 5.0,
           "ok": took <= 5.0}
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
