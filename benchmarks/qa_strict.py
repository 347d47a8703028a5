"""Score answers strictly on the public question set, both halves, plus a consistency check.

Runs the product as a user would (``cchc ingest`` the sample corpus, ``cchc tasks import`` the sample
schedule, then ``cchc ask --file --json``) in a throw-away home, and judges every answer:

- an answerable question passes when it is not refused, its gold span is inside one of the first
  three citations' quotes, every ``must`` group has one string within the first 300 characters of
  the answer, no ``must_not`` string appears, and the answer has at most 700 characters (1,500 for
  lists of duties or tasks);
- a ``refuse`` question passes when it is refused.
Matching is case-insensitive after NFC normalisation and whitespace folding.

Consistency: 30 facts, each asked three ways (``tests/data/qa_consistency.jsonl``); a fact is
consistent when all three answers carry the key fact in their first 300 characters.

    .venv/bin/python benchmarks/qa_strict.py [--qa tests/data/qa_public.jsonl] [--split heldout] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LIST_ASKED = {"duties", "tasks", "list", "summary"}


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", s)).strip().lower()


def judge(item: dict, ans: dict) -> str:
    """'' when the answer passes, else why it fails."""
    if item["kind"] == "refuse":
        return "" if ans["refused"] else "not refused"
    if ans["refused"]:
        return "refused"
    text = norm(ans["answer"])
    cap = 1500 if item.get("asked") in LIST_ASKED else 700
    if len(ans["answer"]) > cap:
        return f"too long ({len(ans['answer'])} > {cap})"
    gold = norm(item.get("gold") or "")
    if gold and not any(gold in norm(c["quote"]) for c in ans["citations"][:3]):
        return "gold not in top-3 citations"
    head = text[:300]
    for group in item.get("must", []):
        if not any(norm(s) in head for s in group):
            return f"missing {group} in first 300 chars"
    for s in item.get("must_not", []):
        if norm(s) in text:
            return f"contains {s!r}"
    return ""


def parse_stats(home: str, labelled: Path) -> dict[str, object]:
    """Per-slot precision and recall of the question parser on the labelled set, and its speed."""
    os.environ["CCHC_HOME"] = home
    from core.settings import load_settings
    from knowledge.answers.parse_check import tally_slots
    from knowledge.answers.question import parse
    from knowledge.service import Knowledge
    from knowledge.store.agencies import load_registry

    kn = Knowledge(load_settings())
    reg = load_registry(kn.db)
    rows = load(labelled)
    t0 = time.perf_counter()
    parsed = [parse(r["q"], reg) for r in rows]
    per_ms = (time.perf_counter() - t0) * 1000 / len(rows)
    tally = tally_slots(zip(rows, parsed, strict=True), reg)
    kn.close()
    return {"n": len(rows), "ms_per_parse": round(per_ms, 3),
            "precision": {s: round(c / max(p, 1), 3) for s, (c, p, _e) in tally.items()},
            "recall": {s: round(c / max(e, 1), 3) for s, (c, _p, e) in tally.items()}}


def run_questions(cchc: str, questions: list[str], labelled: Path | None = None) -> tuple[list[dict], dict[str, object]]:
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, CCHC_HOME=home, CCHC_LOG_LEVEL="WARNING")
        subprocess.run([cchc, "ingest", str(ROOT / "data" / "corpus"), "--json"], env=env, check=True, capture_output=True)
        subprocess.run([cchc, "tasks", "import", str(ROOT / "data" / "schedule" / "lich-cong-tac-mau.csv"), "--json"],
                       env=env, check=True, capture_output=True)
        qfile = Path(home) / "questions.txt"
        qfile.write_text("\n".join(questions) + "\n", encoding="utf-8")
        out = subprocess.run([cchc, "ask", "--file", str(qfile), "--json"], env=env, check=True,
                             capture_output=True, text=True).stdout
        stats = parse_stats(home, labelled) if labelled else {}
    answers = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(answers) == len(questions), (len(answers), len(questions))
    return answers, stats


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--qa", default=str(ROOT / "tests" / "data" / "qa_public.jsonl"))
    ap.add_argument("--consistency", default=str(ROOT / "tests" / "data" / "qa_consistency.jsonl"))
    ap.add_argument("--parse", default=str(ROOT / "tests" / "data" / "question_parse.jsonl"))
    ap.add_argument("--split", choices=["tune", "heldout"], help="only print failures of this half")
    ap.add_argument("--cchc", default=str(ROOT / ".venv" / "bin" / "cchc"))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    items = load(Path(args.qa))
    cons = load(Path(args.consistency))
    answers, parser = run_questions(args.cchc, [i["q"] for i in items] + [c["q"] for c in cons], Path(args.parse))
    qa_answers, cons_answers = answers[: len(items)], answers[len(items):]
    halves: dict[str, list[int]] = {}
    kinds: dict[str, list[int]] = {}
    refusals = [0, 0]
    for item, ans in zip(items, qa_answers, strict=True):
        why = judge(item, ans)
        ok = not why
        for table, key in ((halves, item.get("split", "all")), (kinds, item["kind"])):
            table.setdefault(key, [0, 0])
            table[key][0] += ok
            table[key][1] += 1
        if item["kind"] == "refuse":
            refusals[0] += ok
            refusals[1] += 1
        if (not ok and (args.split in (None, item.get("split")))) or args.verbose:
            print(f"{'PASS' if ok else 'FAIL'} {item['id']} [{item['kind']}/{item.get('asked')}/{item.get('split')}] {item['q']}"
                  + (f"  -- {why}" if why else ""))
            if not ok:
                print("    ", ans["answer"][:300].replace("\n", " | "))
    groups: dict[str, list[bool]] = {}
    for c, ans in zip(cons, cons_answers, strict=True):
        head = "" if ans["refused"] else norm(ans["answer"])[:300]
        groups.setdefault(c["group"], []).append(all(any(norm(s) in head for s in g) for g in c["must"]))
    consistent = sum(all(v) for v in groups.values())
    for c, ans in zip(cons, cons_answers, strict=True):
        if not all(groups[c["group"]]) and (args.verbose or args.split is None):
            ok = all(any(norm(s) in ("" if ans["refused"] else norm(ans["answer"])[:300]) for s in g) for g in c["must"])
            print(f"INCONSISTENT {c['group']} {'ok ' if ok else 'BAD'} {c['q']}  ->  {ans['answer'][:160]!r}")
    took = sorted(a.get("took_ms", 0.0) for a in answers)
    p95 = took[int(0.95 * (len(took) - 1))] if took else 0.0
    print(json.dumps({
        "n": len(items),
        "strict": {k: f"{v[0]}/{v[1]} = {v[0] / v[1]:.3f}" for k, v in sorted(halves.items())},
        "refusals_right": f"{refusals[0]}/{refusals[1]}",
        "by_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(kinds.items())},
        "consistency": f"{consistent}/{len(groups)}",
        "ask_took_ms_p95": round(p95, 2),
        "parser": parser,
    }, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
