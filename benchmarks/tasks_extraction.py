"""Precision and recall of deadline extraction on the labelled tasks of the sample corpus.

The labelled set (``tests/data/tasks_labelled.jsonl``) lists every dated task of the corpus plus
undated responsibilities; each label is a fragment of the task text, its lead agencies and its due
date (or null). A label is matched by the extracted task whose quote contains the fragment.

- recall (dated): labelled dated tasks whose matched extraction has the same due date / dated labels
- precision: extracted tasks with a due date whose date is right (the matched label has that due date)
  / all extracted tasks with a due date (dated labels are exhaustive for the corpus, so an extracted
  date that matches no dated label is a false positive)
- also: share of labels found at all, and of found labels whose lead agencies are right.

    .venv/bin/python benchmarks/tasks_extraction.py [--labels tests/data/tasks_labelled.jsonl] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", default=str(ROOT / "tests" / "data" / "tasks_labelled.jsonl"))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from conftest import make_settings

    from knowledge.service import Knowledge
    from knowledge.tasks.query import list_tasks

    labels = [json.loads(x) for x in Path(args.labels).read_text(encoding="utf-8").splitlines() if x.strip()]
    with tempfile.TemporaryDirectory() as home:
        kn = Knowledge(make_settings(Path(home)))
        kn.ingest([ROOT / "data" / "corpus"])
        tasks = [t for t in list_tasks(kn.db) if t.origin == "document"]
        kn.close()
    found = agency_ok = dated = dated_ok = 0
    matched_ids: dict[int, dict] = {}
    for lab in labels:
        frag = ws(lab["quote"])
        hits = [t for t in tasks if t.source == lab["source"] and frag in ws(t.quote or "")]
        t = hits[0] if hits else None
        if t is not None:
            found += 1
            matched_ids[t.id] = lab
            agency_ok += int(set(t.leads) == set(lab["lead"]))
        if lab["due"]:
            dated += 1
            ok = t is not None and t.due is not None and t.due.isoformat() == lab["due"]
            dated_ok += int(ok)
            if args.verbose and not ok:
                print("MISS", lab["id"], lab["quote"][:80], "->", t.due if t else "not found")
        if args.verbose and t is not None and set(t.leads) != set(lab["lead"]):
            print("AGENCY", lab["id"], t.leads, "!=", lab["lead"])
    extracted_dated = [t for t in tasks if t.due is not None]
    correct = sum(1 for t in extracted_dated if t.id in matched_ids and t.due and matched_ids[t.id]["due"] == t.due.isoformat())
    if args.verbose:
        for t in extracted_dated:
            if not (t.id in matched_ids and t.due and matched_ids[t.id]["due"] == t.due.isoformat()):
                print("FALSE+", t.id, t.due, t.title[:80])
    out = {
        "labels": len(labels), "dated_labels": dated, "extracted_tasks": len(tasks), "extracted_dated": len(extracted_dated),
        "deadline_recall": round(dated_ok / dated, 3) if dated else None,
        "deadline_precision": round(correct / len(extracted_dated), 3) if extracted_dated else None,
        "task_recall": round(found / len(labels), 3),
        "lead_agency_accuracy": round(agency_ok / found, 3) if found else None,
    }
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
