"""Grid search of the lexical weights on ALQAC (development tool; prints the best settings).

Builds per-feature-kind BM25 scores once per (k1, b), then tries weight combinations.

    .venv/bin/python benchmarks/tune_retrieval.py [--alqac ../shared/eval/alqac]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import knowledge.search.lexical as lex  # noqa: E402
import knowledge.search.segments as segments  # noqa: E402

KINDS = ["u", "b", "fu", "fb", "tu", "tb", "tfu", "tfb"]


def kind_scores(index: lex.LexicalIndex, query: str) -> dict[str, np.ndarray]:
    """Per feature kind, the query's BM25 scores with the index's own query features (restoration
    of diacritics, heading scope and hints included), so kind weights can be tried afterwards."""
    feats = index.query_features(query)
    cols = np.fromiter(feats.keys(), dtype=np.int64, count=len(feats))
    w = np.fromiter(feats.values(), dtype=np.float32, count=len(feats)) * index.stats.idf(cols)
    w *= np.float32(segments.unit(index.params))  # weights are stored as uint16 steps
    kinds = index.stats.kind[cols]
    assert len(index.segments) == 1  # a full build below 20,000 passages is one segment
    m = index.segments[0].matrix  # segments store the term-frequency part; idf is applied here
    out = {}
    for code, kind in enumerate(KINDS):
        sel = kinds == code
        out[kind] = m[:, cols[sel]] @ w[sel] if sel.any() else np.zeros(index.rows, dtype=np.float32)
    return out


def evaluate(per_q: list[dict[str, np.ndarray]], gold: list[set[int]], w: dict[str, float]) -> tuple[float, float]:
    rec, mrr = [], []
    for sc, g in zip(per_q, gold, strict=True):
        total = sum(w[k] * sc[k] for k in KINDS if w[k])
        top = np.argpartition(-total, 10)[:10]
        top = top[np.argsort(-total[top])]
        rec.append(len(g & set(top.tolist())) / len(g))
        rr = 0.0
        for pos, i in enumerate(top, 1):
            if int(i) in g:
                rr = 1 / pos
                break
        mrr.append(rr)
    return float(np.mean(rec)), float(np.mean(mrr))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alqac", default=str(ROOT.parent / "shared" / "eval" / "alqac"))
    ap.add_argument("--questions", default="dev_questions.jsonl")
    ap.add_argument("--k1", type=float, nargs="+", default=[0.9, 1.2, 1.5])
    ap.add_argument("--b", type=float, nargs="+", default=[0.6, 0.75, 0.9])
    ap.add_argument("--bigram", type=float, nargs="+", default=[0.4, 0.6, 0.8, 1.0])
    ap.add_argument("--folded", type=float, nargs="+", default=[0.0, 0.2, 0.35, 0.6])
    ap.add_argument("--title", type=float, nargs="+", default=[0.2, 0.35, 0.5, 0.8])
    args = ap.parse_args()
    base = Path(args.alqac)
    docs = [json.loads(x) for x in (base / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    qs = [json.loads(x) for x in (base / args.questions).read_text(encoding="utf-8").splitlines() if x.strip()]
    pos = {d["id"]: i for i, d in enumerate(docs)}
    gold = [{pos[g] for g in q["relevant_ids"] if g in pos} for q in qs]
    segments._kind_weight = lambda kind, p: 1.0  # raw per-kind BM25 for the sweep
    best: list[tuple[float, float, str]] = []
    for k1, b in itertools.product(args.k1, args.b):
        index = lex.LexicalIndex.build(((i, d.get("title", ""), d["text"]) for i, d in enumerate(docs)), lex.LexicalParams(k1=k1, b=b))
        per_q = [kind_scores(index, q["question"]) for q in qs]
        for bw, fw, tw in itertools.product(args.bigram, args.folded, args.title):
            w = {"u": 1, "b": bw, "fu": fw, "fb": fw * bw, "tu": tw, "tb": tw * bw, "tfu": tw * fw, "tfb": tw * fw * bw}
            r, m = evaluate(per_q, gold, w)
            best.append((m, r, f"k1={k1} b={b} bigram={bw} folded={fw} title={tw}"))
        best.sort(reverse=True)
        print(f"k1={k1} b={b}: best so far mrr={best[0][0]:.4f} r@10={best[0][1]:.4f} {best[0][2]}", flush=True)
    for m, r, name in best[:10]:
        print(f"mrr@10={m:.4f} recall@10={r:.4f} {name}")


if __name__ == "__main__":
    main()
