"""Run the dev question set through ``cchc ask --file --json`` and print the share that passes.

A question passes when: (answerable) it is not refused, a gold span appears in one of the top-3
citation quotes (whitespace folded), every ``must`` group has one string in the answer text, and no
``must_not`` string appears; (kind ``refuse``) it is refused.

    .venv/bin/python benchmarks/dev_qa.py [--qa ../shared/eval/dev_qa.jsonl] [--qa tests/data/qa_extra.jsonl] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fold_ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().lower()


def judge(item: dict, ans: dict) -> tuple[bool, str]:
    if item["kind"] == "refuse":
        return (ans["refused"], "" if ans["refused"] else "not refused")
    if ans["refused"]:
        return False, "refused"
    text = fold_ws(ans["answer"])
    quotes = [fold_ws(c["quote"]) for c in ans["citations"][:3]]
    gold = fold_ws(item.get("gold") or "")
    if gold and not any(gold in q for q in quotes):
        return False, "gold span not in top-3 citations"
    for group in item.get("must", []):
        if not any(fold_ws(s) in text for s in group):
            return False, f"missing {group}"
    for s in item.get("must_not", []):
        if fold_ws(s) in text:
            return False, f"contains forbidden {s!r}"
    return True, ""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--qa", action="append", help="question set(s); default: ../shared/eval/dev_qa.jsonl")
    ap.add_argument("--cchc", default=str(ROOT / ".venv" / "bin" / "cchc"))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    files = args.qa or [str(ROOT.parent / "shared" / "eval" / "dev_qa.jsonl")]
    items = [json.loads(line) for f in files for line in Path(f).read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, CCHC_HOME=home, CCHC_LOG_LEVEL="WARNING")
        subprocess.run([args.cchc, "ingest", str(ROOT / "data" / "corpus"), "--json"], env=env, check=True,
                       capture_output=True)
        qfile = Path(home) / "questions.txt"
        qfile.write_text("\n".join(i["q"] for i in items) + "\n", encoding="utf-8")
        out = subprocess.run([args.cchc, "ask", "--file", str(qfile), "--json"], env=env, check=True,
                             capture_output=True, text=True).stdout
    answers = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(answers) == len(items), (len(answers), len(items))
    passed = 0
    by_kind: dict[str, list[int]] = {}
    for item, ans in zip(items, answers, strict=True):
        ok, why = judge(item, ans)
        passed += ok
        by_kind.setdefault(item["kind"], [0, 0])
        by_kind[item["kind"]][0] += ok
        by_kind[item["kind"]][1] += 1
        if args.verbose or not ok:
            print(f"{'PASS' if ok else 'FAIL'} {item['id']} [{item['kind']}] {item['q']}" + (f"  -- {why}" if why else ""))
            if not ok and args.verbose:
                print("   ", ans["answer"][:300].replace("\n", " | "))
    print(json.dumps({"n": len(items), "passed": passed, "pass_rate": round(passed / len(items), 3),
                      "by_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_kind.items())}}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
