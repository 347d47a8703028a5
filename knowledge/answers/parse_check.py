"""Scoring the question parser against a labelled set (``tests/data/question_parse.jsonl``): per slot,
(correct predictions, predictions, labelled values). Shared by the test and ``benchmarks/qa_strict.py``."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from core.agencies import Registry
from knowledge.answers.question import Question

logger = logging.getLogger(__name__)

SLOTS = ("asked", "agency", "index", "year", "province")


def tally_slots(pairs: Iterable[tuple[Mapping[str, object], Question]], reg: Registry) -> dict[str, tuple[int, int, int]]:
    """``pairs``: (labelled row, parsed question). Agencies are compared by registry id, years as ints."""
    out = {s: [0, 0, 0] for s in SLOTS}
    for row, q in pairs:
        want = dict(row)
        if "agency" in want:
            a = reg.resolve(str(want["agency"]))
            want["agency"] = a.id if a else -1
        if "year" in want:
            want["year"] = int(str(want["year"]))
        got = {"asked": q.asked, "agency": q.agency_ids[0] if q.agency_ids else None, "index": q.index,
               "year": q.year, "province": q.province}
        for s in SLOTS:
            out[s][1] += got[s] is not None
            out[s][2] += want.get(s) is not None
            out[s][0] += got[s] is not None and got[s] == want.get(s)
    return {s: (c, p, e) for s, (c, p, e) in out.items()}
