"""Latency of the `/nhiemvu` library call (``tasks_for_agency(...).text()``) on the sample corpus plus
the sample schedule; optionally the import time of a large generated sheet.

    .venv/bin/python benchmarks/tasks_speed.py [--runs 50] [--big-rows 50000]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
AGENCIES = ["Sở Nội vụ", "so tai chinh", "Sở TT&TT", "UBND các xã, phường", "Văn phòng UBND tỉnh", "UBND cấp huyện"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--big-rows", type=int, default=0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from conftest import make_settings

    from knowledge.service import Knowledge
    from knowledge.tasks.imports import import_schedule
    from knowledge.tasks.query import tasks_for_agency

    with tempfile.TemporaryDirectory() as home:
        kn = Knowledge(make_settings(Path(home)))
        kn.ingest([ROOT / "data" / "corpus"])
        import_schedule(kn.db, ROOT / "data" / "schedule" / "lich-cong-tac-mau.xlsx")
        kn.close()
        kn = Knowledge(make_settings(Path(home)))  # a fresh process state: first call pays the registry load
        t0 = time.perf_counter()
        tasks_for_agency(kn.db, "Sở Nội vụ").text()
        first = (time.perf_counter() - t0) * 1000
        times = []
        for i in range(args.runs):
            name = AGENCIES[i % len(AGENCIES)]
            t0 = time.perf_counter()
            tasks_for_agency(kn.db, name).text()
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        out: dict[str, object] = {
            "first_call_ms": round(first, 1), "runs": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1), "max_ms": round(times[-1], 1),
        }
        if args.big_rows:
            big = Path(home) / "big.xlsx"
            subprocess.run([sys.executable, str(ROOT / "data" / "schedule" / "make_sample.py"), "--rows",
                            str(args.big_rows), "--out", str(big)], check=True, capture_output=True)
            t0 = time.perf_counter()
            rep = import_schedule(kn.db, big)
            out["big_import_s"] = round(time.perf_counter() - t0, 1)
            out["big_import_rows"] = rep.added
            out["process_max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        kn.close()
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
