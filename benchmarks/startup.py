"""Start-to-first-answer of ``cchc ask`` from a persisted index (no re-indexing at start-up), and
the in-process answer latency over the dev questions.

    .venv/bin/python benchmarks/startup.py
"""

from __future__ import annotations

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
    cchc = str(ROOT / ".venv" / "bin" / "cchc")
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, CCHC_HOME=home, CCHC_LOG_LEVEL="WARNING")
        subprocess.run([cchc, "ingest", str(ROOT / "data" / "corpus")], env=env, check=True, capture_output=True)
        runs = []
        for _ in range(5):
            t = time.perf_counter()
            subprocess.run([cchc, "ask", "Chỉ số PAPI năm 2024 của Hưng Yên đứng thứ mấy?", "--json"], env=env, check=True,
                           capture_output=True)
            runs.append(time.perf_counter() - t)
        index_mtime = (Path(home) / "index" / "lexical" / "meta.json").stat().st_mtime
        from core.settings import load_settings
        from knowledge.service import Knowledge

        os.environ["CCHC_HOME"] = home
        kn = Knowledge(load_settings())
        qa = [json.loads(x)["q"] for x in (ROOT.parent / "shared" / "eval" / "dev_qa.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
        kn.ask(qa[0])
        lat = []
        for _ in range(5):
            for q in qa:
                t = time.perf_counter()
                kn.ask(q)
                lat.append((time.perf_counter() - t) * 1000)
        lat.sort()
        rebuilt = (Path(home) / "index" / "lexical" / "meta.json").stat().st_mtime != index_mtime
        print(json.dumps({
            "start_to_first_answer_s": {"min": round(min(runs), 2), "median": round(statistics.median(runs), 2)},
            "index_rebuilt_at_startup": rebuilt,
            "answer_ms": {"p50": round(lat[len(lat) // 2], 1), "p95": round(lat[int(len(lat) * 0.95)], 1)},
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
