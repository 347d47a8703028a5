"""How the lexical index grows with the corpus: 1x, 10x, 100x the ALQAC passages (synthetic copies,
each copy's heading tagged so passages stay distinct). Per factor, in a child process of its own
(so peak memory is that factor's): full build (analysis in ``--workers`` processes), save, then load
into a fresh index (as a restarted worker does; the built one is dropped first), query p50/p95 (ALQAC
questions with and without diacritics), adding one 50-page document (~150,000 characters of
passages) with a search that finds it, and removing it again.

``build_cpu_s`` is the CPU time the build used in all processes: on an otherwise idle machine with
``--workers 2`` on 2 cores, ``build_s`` is about half of it; much more means other load.

Memory is sampled every 20 ms: ``peak_mb`` is the largest sum of the main process's resident
memory and its analysis workers' private memory (pages a forked worker shares with the main process
are counted once), ``build_peak_mb`` the same during the build. After the queries, a process holding
the loaded index has ``served_anon_mb`` of its own memory (anonymous pages) and ``served_mapped_mb``
of index pages mapped from the saved files, which every worker on the host shares.

    .venv/bin/python benchmarks/scale.py [--factors 1 10 100] [--queries 200] [--workers 2]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.search.lexical import LexicalIndex  # noqa: E402

DOC_CHARS = 150_000  # a 50-page plan: about 3,000 characters a page


class MemorySampler(threading.Thread):
    """Peak of (main RSS + children's private memory), read from /proc every ``interval`` s."""

    def __init__(self, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak, self.stopped = interval, 0, threading.Event()

    @staticmethod
    def _kb(path: str, keys: tuple[str, ...]) -> int:
        try:
            with open(path, encoding="ascii") as fh:
                return sum(int(line.split()[1]) for line in fh if line.startswith(keys))
        except (OSError, ValueError, IndexError):
            return 0

    def now(self) -> int:
        """Current total in kB."""
        me = os.getpid()
        total = self._kb("/proc/self/status", ("VmRSS:",))
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == me:
                total += self._kb(f"/proc/{pid}/smaps_rollup", ("Private_Clean:", "Private_Dirty:"))
        return total

    def reset(self) -> None:
        self.peak = self.now()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.peak = max(self.peak, self.now())


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the build's workers), user + system."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def dir_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def default_alqac() -> Path:
    for up in ROOT.parents:
        if (up / "shared" / "eval" / "alqac").is_dir():
            return up / "shared" / "eval" / "alqac"
    return ROOT.parent / "shared" / "eval" / "alqac"


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def measure(base: Path, factor: int, n_queries: int, workers: int) -> dict[str, Any]:
    docs = load(base / "corpus.jsonl")
    qs = [q["question"] for name in ("dev_questions.jsonl", "dev_questions_nodiacritics.jsonl")
          for q in load(base / name)[:n_queries]]
    corpus = [(copy * len(docs) + j, d.get("title", "") + (f" bản {copy}" if copy else ""), d["text"])
              for copy in range(factor) for j, d in enumerate(docs)]
    mem = MemorySampler()
    mem.start()
    mem.reset()
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    index = LexicalIndex.build(corpus, workers=workers)
    build_s = time.perf_counter() - t0
    build_cpu = cpu_seconds() - cpu0
    build_peak = mem.peak
    del corpus
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "lexical"
        t1 = time.perf_counter()
        index.save(folder, "bench")
        save_s = time.perf_counter() - t1
        size_mb = dir_size(folder) / 1e6
        del index
        gc.collect()
        t1 = time.perf_counter()
        loaded = LexicalIndex.load(folder)
        load_s = time.perf_counter() - t1
        assert loaded is not None
        index = loaded[0]
        del loaded
    lat = []
    for q in qs:
        t = time.perf_counter()
        index.search(q, 10)
        lat.append((time.perf_counter() - t) * 1000)
    anon = MemorySampler._kb("/proc/self/smaps_rollup", ("Anonymous:",))
    served_rss = MemorySampler._kb("/proc/self/smaps_rollup", ("Rss:",))
    new_doc, chars = [], 0
    for j, d in enumerate(docs):  # one new document, about 50 pages of passages
        new_doc.append((10**9 + j, f"Văn bản mới > {d.get('title', '')}", d["text"]))
        chars += len(d["text"])
        if chars >= DOC_CHARS:
            break
    probe = new_doc[len(new_doc) // 2]
    t2 = time.perf_counter()
    grown = index.added(new_doc, workers=1)
    found = [i for i, _ in grown.search(probe[1] + " " + probe[2][:300], 10)]
    add_s = time.perf_counter() - t2
    assert probe[0] in found, "the added document is not found"
    t3 = time.perf_counter()
    shrunk = grown.removed([d[0] for d in new_doc])
    still = [i for i, _ in shrunk.search(probe[1] + " " + probe[2][:300], 10)]
    remove_s = time.perf_counter() - t3
    assert probe[0] not in still, "the removed document is still found"
    return {
        "factor": factor, "passages": len(index), "features": len(index.stats.df), "workers": workers,
        "build_s": round(build_s, 2), "build_cpu_s": round(build_cpu, 1), "build_peak_mb": round(build_peak / 1024), "index_mb": round(size_mb, 1),
        "save_s": round(save_s, 2), "load_s": round(load_s, 2),
        "p50_ms": round(float(np.percentile(lat, 50)), 3), "p95_ms": round(float(np.percentile(lat, 95)), 3),
        "add_doc_passages": len(new_doc), "add_doc_s": round(add_s, 3), "remove_doc_s": round(remove_s, 3),
        "served_anon_mb": round(anon / 1024), "served_mapped_mb": round((served_rss - anon) / 1024), "peak_mb": round(max(mem.peak, build_peak) / 1024),
        "main_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alqac", default=str(default_alqac()))
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.alqac), args.factors[0], args.queries, args.workers)), flush=True)
        return 0
    for factor in args.factors:
        cmd = [sys.executable, __file__, "--child", "--alqac", args.alqac, "--factors", str(factor),
               "--queries", str(args.queries), "--workers", str(args.workers)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        out = res.stdout.strip().splitlines()
        print(out[-1] if out else json.dumps({"factor": factor, "error": res.stderr.strip()[-500:]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
