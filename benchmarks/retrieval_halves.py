"""ALQAC retrieval by half of the question set, for developing on one half and checking on the other.

The 500 dev questions are split in two fixed halves by the hash of their id (sha1, first byte even:
half A, 264 questions; odd: half B, 236). Changes were developed looking at half A only; half B is
the held-out check. Prints mrr@10 and recall@10 on all questions and each half, with and without
diacritics (the same index and search as ``cchc eval retrieval``).

    .venv/bin/python benchmarks/retrieval_halves.py [--alqac ../shared/eval/alqac] [--failures A]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.text import fold_token, query_text, words  # noqa: E402
from knowledge.search.lexical import LexicalIndex  # noqa: E402
from knowledge.search.restore import restore  # noqa: E402


def half(qid: str) -> str:
    return "A" if hashlib.sha1(qid.encode()).digest()[0] % 2 == 0 else "B"


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alqac", default=str(ROOT.parent / "shared" / "eval" / "alqac"))
    ap.add_argument("--failures", choices=["A", "B"], help="also list the questions of this half not ranked first")
    args = ap.parse_args()
    base = Path(args.alqac)
    docs = load(base / "corpus.jsonl")
    index = LexicalIndex.build((i, d.get("title", ""), d["text"]) for i, d in enumerate(docs))
    ext = [d["id"] for d in docs]
    for name in ("dev_questions.jsonl", "dev_questions_nodiacritics.jsonl"):
        rr: dict[str, list[float]] = {"A": [], "B": []}
        rec: dict[str, list[float]] = {"A": [], "B": []}
        for q in load(base / name):
            ranked = [ext[i] for i, _ in index.search(q["question"], 10)]
            gold = set(q["relevant_ids"])
            h = half(q["qid"])
            rr[h].append(next((1 / p for p, x in enumerate(ranked, 1) if x in gold), 0.0))
            rec[h].append(len(gold & set(ranked)) / max(1, len(gold)))
            if args.failures == h and rr[h][-1] < 1:
                print(f"  {name} rr={rr[h][-1]:.2f} {q['question'][:100]!r}")
        row = {"questions": name}
        for part, keys in (("all", ("A", "B")), ("A", ("A",)), ("B", ("B",))):
            row[f"mrr@10 {part}"] = round(float(np.mean([x for k in keys for x in rr[k]])), 4)
            row[f"recall@10 {part}"] = round(float(np.mean([x for k in keys for x in rec[k]])), 4)
        row["n A/B"] = f"{len(rr['A'])}/{len(rr['B'])}"
        print(json.dumps(row))
    print(json.dumps(restoration_accuracy(index, load(base / "dev_questions.jsonl"),
                                          load(base / "dev_questions_nodiacritics.jsonl"))))
    return 0


def restoration_accuracy(index: LexicalIndex, accented: list[dict[str, Any]], folded: list[dict[str, Any]]) -> dict[str, Any]:
    """How often the restoration's most likely form of a syllable is the one the accented question
    has: per syllable of the accented question that the index knows, among the restored forms that
    fold to it (the two files hold the same questions, matched by id)."""
    by_id = {q["qid"]: q["question"] for q in accented}
    right = total = 0
    for q in folded:
        truth = words(query_text(by_id[q["qid"]]))
        r = restore([fold_token(w) for w in words(query_text(q["question"]))], index.vocab, index.stats.df,
                    index.stats.kind, index.stats.rows)
        for syl in truth:
            forms = {f: p for f, p in r.uni.items() if fold_token(f) == fold_token(syl)}
            if syl != fold_token(syl) and f"u:{syl}" in index.vocab and forms:
                total += 1
                right += max(forms, key=lambda f: forms[f]) == syl
    return {"restoration": "accented syllables restored to their form", "right": right, "of": total,
            "share": round(right / max(total, 1), 4)}


if __name__ == "__main__":
    sys.exit(main())
