"""How index build time, index size on disk and query latency grow with the corpus: 1x, 10x and
100x the ALQAC passages (synthetic copies, each copy's text tagged so passages stay distinct).

    .venv/bin/python benchmarks/scale.py [--factors 1 10 100] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.search.lexical import LexicalIndex  # noqa: E402


def dir_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alqac", default=str(ROOT.parent / "shared" / "eval" / "alqac"))
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    base = Path(args.alqac)
    docs = [json.loads(x) for x in (base / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    qs = [json.loads(x)["question"] for x in (base / "dev_questions.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    qs = qs[: args.queries]
    for factor in args.factors:
        def gen(factor: int = factor):
            n = 0
            for copy in range(factor):
                for d in docs:
                    tag = f" bản {copy}" if copy else ""
                    yield n, d.get("title", "") + tag, d["text"]
                    n += 1

        t0 = time.perf_counter()
        index = LexicalIndex.build(gen())
        build_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "lexical"
            index.save(folder, "bench")
            size_mb = dir_size(folder) / 1e6
            t1 = time.perf_counter()
            loaded = LexicalIndex.load(folder)
            load_s = time.perf_counter() - t1
            assert loaded is not None
        lat = []
        for q in qs:
            t = time.perf_counter()
            index.search(q, 10)
            lat.append((time.perf_counter() - t) * 1000)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({
            "factor": factor, "passages": len(index), "build_s": round(build_s, 2), "index_mb": round(size_mb, 1),
            "load_s": round(load_s, 2), "p50_ms": round(float(np.percentile(lat, 50)), 3),
            "p95_ms": round(float(np.percentile(lat, 95)), 3), "max_rss_mb": round(rss),
        }), flush=True)
        del index
    return 0


if __name__ == "__main__":
    sys.exit(main())
