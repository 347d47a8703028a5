"""Time the leader's summary (``/diem``, ``cchc summary``) on the sample corpus.

Ingests ``data/corpus`` into a throw-away home, then times ``knowledge.scores.summarize``: warm text-only
calls (the bar: <= 300 ms), the first call with the chart in a fresh process state (matplotlib import
included), and warm calls with the chart (the bar: <= 2 s). Also times the CLI end to end.

    .venv/bin/python benchmarks/summary_speed.py [--n 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        cfg = Path(home) / "config.yaml"
        cfg.write_text("{}\n", encoding="utf-8")
        env = dict(os.environ, CCHC_HOME=home, CCHC_CONFIG=str(cfg), CCHC_LOG_LEVEL="WARNING")
        subprocess.run([str(ROOT / ".venv/bin/cchc"), "ingest", str(ROOT / "data/corpus")], env=env, check=True,
                       capture_output=True)
        from knowledge.scores.summary import summarize
        from knowledge.store.db import Database

        db = Database(f"sqlite:///{Path(home) / 'cchc.sqlite3'}")
        out: dict[str, float] = {}
        for label, a in (("home_2024", ""), ("hai_duong_2022_detailed", "2022 Hải Dương")):
            summarize(db, args=a, chart=False)  # warm the store
            ts = []
            for _ in range(args.n):
                t = time.perf_counter()
                summarize(db, args=a, chart=False)
                ts.append((time.perf_counter() - t) * 1000)
            out[f"{label}_text_p50_ms"] = round(statistics.median(ts), 1)
            out[f"{label}_text_max_ms"] = round(max(ts), 1)
        t = time.perf_counter()
        summarize(db, args="2022 Hải Dương", chart=True)
        out["first_chart_call_ms (matplotlib import)"] = round((time.perf_counter() - t) * 1000, 1)
        ts = []
        for _ in range(max(3, args.n // 4)):
            t = time.perf_counter()
            summarize(db, args="2022 Hải Dương", chart=True)
            ts.append((time.perf_counter() - t) * 1000)
        out["warm_chart_p50_ms"] = round(statistics.median(ts), 1)
        out["warm_chart_max_ms"] = round(max(ts), 1)
        t = time.perf_counter()
        subprocess.run([str(ROOT / ".venv/bin/cchc"), "summary", "--json"], env=env, check=True, capture_output=True)
        out["cli_summary_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        subprocess.run([str(ROOT / ".venv/bin/cchc"), "summary", "--chart", str(Path(home) / "c.png"), "--json"],
                       env=env, check=True, capture_output=True)
        out["cli_summary_with_chart_s"] = round(time.perf_counter() - t, 2)
        db.dispose()
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
