"""Targets a document sets for an index (``nằm trong nhóm 10 địa phương dẫn đầu``, ``tăng từ 2 đến 5 bậc``)."""

from __future__ import annotations

import logging
import re

from core.indices import INDEX_CODES, INDEX_RE, index_of_match
from core.text import split_sentences
from ingest.facts.score_rules import ExtractedTarget, Found, trim_span

logger = logging.getLogger(__name__)


_TOP_RE = re.compile(r"(?:nằm\s+)?(?:trong|thuộc)\s+nhóm\s+(\d{1,2})\s+(?:địa\s+phương|tỉnh(?:,\s*thành(?:\s+phố)?)?)\s+dẫn\s+đầu", re.I)
_UP_RE = re.compile(r"tăng\s+(?:từ\s+)?(\d{1,2})\s+(?:đến|-|–)\s+(\d{1,2})\s+bậc(?:\s+so\s+với\s+năm\s+((?:19|20)\d\d))?", re.I)
_SCORE_UP_RE = re.compile(r"điểm\s+Chỉ\s+số\s+tăng\s+cao\s+hơn\s+so\s+với\s+năm\s+((?:19|20)\d\d)", re.I)


def find_targets(text: str, province: str | None, title: str | None) -> list[ExtractedTarget]:
    out: list[ExtractedTarget] = []
    if not province:
        return out
    title_idx = sorted({index_of_match(m) for m in INDEX_RE.finditer(title or "")})
    period = re.search(r"giai\s+đoạn\s+((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)", title or "", re.I)
    for sp in split_sentences(text):
        sent = text[sp.start : sp.end]
        top, up, sup = _TOP_RE.search(sent), _UP_RE.search(sent), _SCORE_UP_RE.search(sent)
        if not (top or up or sup):
            continue
        idx = sorted({index_of_match(m) for m in INDEX_RE.finditer(sent)}, key=INDEX_CODES.index)
        if re.search(r"\bcác\s+chỉ\s+số\b", sent, re.I):
            idx = sorted(set(idx) | set(title_idx), key=INDEX_CODES.index)
        if not idx:
            continue
        ym = re.search(r"(?:trong\s+năm|năm|đến\s+năm)\s+((?:19|20)\d\d)(?!\s*[-–])", sent, re.I)
        y_from = y_to = int(ym.group(1)) if ym and not (up and up.group(3) == ym.group(1)) else None
        if y_from is None and period:
            y_from, y_to = int(period.group(1)), int(period.group(2))
        q = Found(*trim_span(text, sp.start, sp.end))
        for code in idx:
            if top:
                n = int(top.group(1))
                out.append(ExtractedTarget(code, province, "top", None, n, y_from, y_to, None, q))
            if up:
                base = int(up.group(3)) if up.group(3) else None
                yf = y_from if y_from is not None else (base + 1 if base else None)
                yt = y_to if y_to is not None else yf
                out.append(ExtractedTarget(code, province, "rank_up", int(up.group(1)), int(up.group(2)), yf, yt, base, q))
            if sup:
                base = int(sup.group(1))
                out.append(ExtractedTarget(code, province, "score_up", None, None, y_from or base + 1, y_to or base + 1, base, q))
    return out
