"""Retrieval evaluation on a JSONL corpus and question set (the ``cchc eval retrieval`` command)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import CchcError
from knowledge.search.lexical import LexicalIndex, LexicalParams

logger = logging.getLogger(__name__)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise CchcError(f"{path.name} dòng {n}: JSON không hợp lệ ({exc.msg})") from exc
    except FileNotFoundError as exc:
        raise CchcError(f"Không tìm thấy tệp {path}") from exc
    return rows


def eval_retrieval(
    corpus: Path,
    questions: Path,
    *,
    k: int = 10,
    params: LexicalParams | None = None,
    dense: Any = None,
    dense_weight: float = 0.0,
) -> dict[str, Any]:
    docs = _read_jsonl(corpus)
    qs = _read_jsonl(questions)
    t0 = time.perf_counter()
    index = LexicalIndex.build(((i, d.get("title", ""), d["text"]) for i, d in enumerate(docs)), params)
    index_s = time.perf_counter() - t0
    ext_ids = [d["id"] for d in docs]
    if dense is not None:
        dense.index_texts([f"{d.get('title', '')}\n{d['text']}" for d in docs])
    rec: dict[int, list[float]] = {1: [], 5: [], 10: [], k: []}
    mrr: list[float] = []
    times: list[float] = []
    for q in qs:
        t = time.perf_counter()
        if dense is not None and dense_weight > 0:
            from knowledge.search.retriever import fuse

            hits = fuse(index.search(q["question"], max(k, 50)), dense.search(q["question"], max(k, 50)), dense_weight)[:k]
        else:
            hits = index.search(q["question"], max(k, 10))
        times.append((time.perf_counter() - t) * 1000)
        ranked = [ext_ids[i] for i, _ in hits]
        gold = set(q["relevant_ids"])
        for kk in rec:
            rec[kk].append(len(gold & set(ranked[:kk])) / max(1, len(gold)))
        rr = 0.0
        for pos, pid in enumerate(ranked[:10], 1):
            if pid in gold:
                rr = 1.0 / pos
                break
        mrr.append(rr)
    out: dict[str, Any] = {
        "n": len(qs),
        "recall@1": round(float(np.mean(rec[1])), 4),
        "recall@5": round(float(np.mean(rec[5])), 4),
        "recall@10": round(float(np.mean(rec[10])), 4),
        f"recall@{k}": round(float(np.mean(rec[k])), 4),
        "mrr@10": round(float(np.mean(mrr)), 4),
        "p50_ms": round(float(np.percentile(times, 50)), 3),
        "p95_ms": round(float(np.percentile(times, 95)), 3),
        "index_s": round(index_s, 3),
    }
    return out
