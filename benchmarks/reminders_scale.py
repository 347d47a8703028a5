"""The phone task views and a reminder tick at 100,000 tasks: both must stay bounded (paged and
filtered in SQL, never loading every row).

Imports a generated 100,000-row schedule (due dates over two years, seven agencies, 90 % of past
tasks done), then times ``task_page`` (one ``/nhiemvu`` page and the last page), the ``/hanchot``
page, and one dispatch pass's planning read (``StoreSource.inputs``) plus the plan itself.

    .venv/bin/python benchmarks/reminders_scale.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.store.db import Database  # noqa: E402
from knowledge.store.provisioning import NewUser, add_user  # noqa: E402
from knowledge.tasks.imports import import_schedule  # noqa: E402
from knowledge.tasks.query import task_page  # noqa: E402
from reminders.planner import Planner  # noqa: E402
from reminders.policy import load_policy  # noqa: E402
from reminders.source import StoreSource  # noqa: E402

AGENCIES = ("Sở Nội vụ", "Văn phòng UBND tỉnh", "Sở Tài chính", "Sở Khoa học và Công nghệ", "Sở Tư pháp",
            "Sở Xây dựng", "Sở Nông nghiệp và Môi trường")
TODAY = date(2026, 12, 1)


def sheet(path: Path, rows: int) -> None:
    rnd = random.Random(3)
    lines = ["Mã,Nhiệm vụ,Cơ quan chủ trì,Hạn hoàn thành,Trạng thái"]
    for i in range(rows):
        due = TODAY + timedelta(days=rnd.randint(-365, 365))
        status = "hoàn thành" if due < TODAY and rnd.random() < 0.9 else "chưa làm"
        lines.append(f"B-{i:06d},Nhiệm vụ thử {i},{rnd.choice(AGENCIES)},{due:%d/%m/%Y},{status}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def timed(fn: object) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()  # type: ignore[operator]
    return round((time.perf_counter() - t0) * 1000, 1), out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="cchc-scale-"))
    db = Database(f"sqlite:///{home / 's.sqlite3'}")
    sheet(home / "big.csv", args.rows)
    t0 = time.perf_counter()
    import_schedule(db, home / "big.csv")
    imported = round(time.perf_counter() - t0, 1)
    for n in range(200):
        add_user(db, NewUser("telegram", str(5000 + n), "official", AGENCIES[n % len(AGENCIES)]))
    first_ms, first = timed(lambda: task_page(db, "Sở Nội vụ", today=TODAY))
    total = first.total  # type: ignore[attr-defined]
    last_ms, _ = timed(lambda: task_page(db, "Sở Nội vụ", offset=max(0, total - 10), today=TODAY))
    due_ms, _ = timed(lambda: task_page(db, "Sở Nội vụ", today=TODAY, due_until=TODAY + timedelta(days=30)))
    policy = load_policy({})
    src = StoreSource(db)
    start = TODAY - timedelta(days=2)
    read_ms, inputs = timed(lambda: src.inputs(start, TODAY, policy))
    plan_ms, planned = timed(lambda: list(Planner(inputs.users, policy, src.calendar())  # type: ignore[attr-defined]
                                          .plan(inputs.tasks, start, TODAY, inputs.earliest_open)))  # type: ignore[attr-defined]
    print(json.dumps({
        "tasks": args.rows, "import_s": imported, "agency_open_tasks": total,
        "nhiemvu_first_page_ms": first_ms, "nhiemvu_last_page_ms": last_ms, "hanchot_page_ms": due_ms,
        "tick_read_ms": read_ms, "tick_tasks_read": len(inputs.tasks),  # type: ignore[attr-defined]
        "tick_plan_ms": plan_ms, "tick_reminders": len(planned),  # type: ignore[arg-type]
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
