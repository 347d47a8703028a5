"""Facts about a document itself: who signed it (and on behalf of whom), when and by whom it was
issued. The question is matched to one stored document by its type, title, issuer and year; a
question naming another document (a number no stored document has) is not this answerer's."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import select

from core.agencies import fold_aligned
from core.text import squash_ws
from ingest.metadata import DocMeta
from ingest.signature import Signature, parse_signature
from knowledge.answers.engine import AnswerContext, answerer
from knowledge.answers.question import Question
from knowledge.answers.types import Answer, Citation
from knowledge.store.models import Document

logger = logging.getLogger(__name__)

_SIGN_RE = re.compile(r"\b(?:ai ky|nguoi ky|do ai ky|ky thay|ky boi|ai da ky)\b")
_ISSUE_RE = re.compile(r"\b(?:ban hanh|phat hanh|ky ngay|ra ngay)\b")
_DOC_NUMBER_RE = re.compile(r"\b\d+/\d{0,4}/?[a-z][\w\-]*\b")
_STOP = frozenset([
    "ai", "ky", "nguoi", "do", "la", "gi", "nao", "thay", "chuc", "vu", "co", "quan", "ban", "hanh", "vao",
    "thoi", "gian", "ngay", "thang", "nam", "cua", "ve", "duoc", "cac", "nhung", "va", "tinh",
])


def _claim(q: Question) -> float:
    if q.asked == "person" and _SIGN_RE.search(q.folded):
        return 0.9
    if q.asked in ("agency", "date") and q.document and _ISSUE_RE.search(q.folded):
        return 0.6
    return 0.0


@dataclass(frozen=True)
class Match:
    doc: Document
    score: float


def _tokens(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", fold_aligned(text)) if w not in _STOP}


def _doc_tokens(d: Document) -> set[str]:
    return _tokens(" ".join(x or "" for x in (d.doc_type, d.title, d.issuer, d.date, d.number, d.province,
                                              d.source.replace("-", " ").replace("_", " "))))


def find_document(docs: list[Document], q: Question) -> Match | None:
    """The stored document the question is about, or None (unclear, or another document)."""
    asked_numbers = set(_DOC_NUMBER_RE.findall(q.folded))
    want = _tokens(q.folded)
    if not want:
        return None
    scored: list[Match] = []
    for d in docs:
        if asked_numbers and not (d.number and fold_aligned(d.number) in asked_numbers):
            continue
        if q.province and d.province and q.province != d.province:
            continue
        toks = _doc_tokens(d)
        if q.years and not any(str(y) in toks for y in q.years):
            continue
        scored.append(Match(d, len(want & toks) / len(want)))
    scored.sort(key=lambda m: -m.score)
    if not scored or scored[0].score < 0.5:
        return None
    if len(scored) > 1 and scored[1].score >= scored[0].score - 0.05:
        return None  # two documents fit equally: let the passages answer
    return scored[0]


def _title(d: Document) -> str:
    meta = DocMeta(doc_type=d.doc_type, number=d.number, date=d.date, issuer=None)
    name = meta.display()
    return f"{name} “{d.title}”" if d.title else name


def _signer_answer(q: Question, d: Document) -> Answer | None:
    """From the signature block read at ingest (signer, title, on behalf of whom), quoted from the text."""
    sig = parse_signature(d.text)
    signer = d.signer or (sig.signer if sig else None)
    if not signer:
        return None
    title = d.signer_title or (sig.title if sig else None)
    behalf = d.signed_for or ("; ".join(sig.on_behalf) if sig else None)
    who = Signature(signer, title, tuple(x.strip() for x in (behalf or "").split(";") if x.strip()), 0, 0).describe()
    if sig is not None and sig.signer == signer:
        quote = d.text[sig.start:sig.end].strip()
    else:
        at = d.text.rfind(signer)
        quote = d.text[max(at - 80, 0):at + len(signer)].strip() if at >= 0 else signer
    text = f"{who} ký {_title(d)}. [1]"
    return Answer(q.text, text, False, [Citation(d.source, _title(d), "Chữ ký", quote, d.province, None)], coverage=1.0)


def _header_line(d: Document, pattern: str) -> str | None:
    m = re.search(pattern, d.text[:3000], re.IGNORECASE | re.MULTILINE)
    return squash_ws(m.group(0)) if m else None


def _date_answer(q: Question, d: Document) -> Answer | None:
    if not d.date:
        return None
    bits = d.date.split("-")
    when = {3: lambda: f"ngày {int(bits[2])}/{int(bits[1])}/{bits[0]}", 2: lambda: f"tháng {int(bits[1])}/{bits[0]}",
            1: lambda: f"năm {bits[0]}"}[len(bits)]()
    quote = _header_line(d, r"^[^\n]*,\s*ngày[^\n]*tháng[^\n]*năm\s+\d{4}[^\n]*$") or d.title or ""
    text = f"{_title(d)} được ban hành {when}. [1]"
    return Answer(q.text, text, False, [Citation(d.source, _title(d), "Đầu văn bản", quote, d.province, None)], coverage=1.0)


def _issuer_answer(q: Question, d: Document) -> Answer | None:
    if not d.issuer:
        return None
    quote = _header_line(d, r"^[^\n]*\bban hành\b[^\n]*$") or d.title or ""
    text = f"{d.issuer} ban hành {_title(d)}. [1]"
    return Answer(q.text, text, False, [Citation(d.source, _title(d), "Đầu văn bản", quote, d.province, None)], coverage=1.0)


@answerer("document_facts", claim=_claim)
def answer_document_fact(ctx: AnswerContext, q: Question) -> Answer | None:
    with ctx.db.session() as s:
        docs = list(s.scalars(select(Document)))
        match = find_document(docs, q)
        if match is None:
            return None
        d = match.doc
        if q.asked == "person":
            return _signer_answer(q, d)
        if q.asked == "date":
            return _date_answer(q, d)
        return _issuer_answer(q, d)
