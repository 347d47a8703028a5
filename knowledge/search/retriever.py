"""Retrieval over the stored passages: the lexical index, the optional dense leg, score fusion,
and province/year filters. ``Retriever.search`` is the one entry point; a LangChain adapter wraps it."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from core.agencies import norm_name
from ingest.metadata import provinces_in
from knowledge.search.lexical import LexicalIndex, LexicalParams
from knowledge.store.documents import PassageRecord

logger = logging.getLogger(__name__)

YEAR_RE = re.compile(r"(?<![\d/.,])(19[5-9]\d|20[0-4]\d)(?![\d/])")


@dataclass(frozen=True)
class Filters:
    province: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class Hit:
    passage: PassageRecord
    score: float
    rank: int


class DenseLeg(Protocol):
    """What the retriever needs from a dense index (see knowledge.search.dense)."""

    def search(self, query: str, k: int) -> list[tuple[int, float]]: ...


def fuse(lexical: list[tuple[int, float]], dense: list[tuple[int, float]], weight: float) -> list[tuple[int, float]]:
    """Weighted score fusion: each leg's scores min-max normalised over its own hits, then
    ``(1 - weight) * lexical + weight * dense``."""

    def norm(hits: list[tuple[int, float]]) -> dict[int, float]:
        if not hits:
            return {}
        vals = np.asarray([s for _, s in hits], dtype=np.float64)
        lo, hi = float(vals.min()), float(vals.max())
        span = hi - lo or 1.0
        return {i: (s - lo) / span if hi > lo else 1.0 for i, s in hits}

    a, b = norm(lexical), norm(dense)
    scores = {i: (1 - weight) * a.get(i, 0.0) + weight * b.get(i, 0.0) for i in set(a) | set(b)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


@dataclass(frozen=True)
class _Facets:
    """What filters need of a passage, computed once per passage and kept across index versions."""

    years: frozenset[int]
    agency: str | None  # normalised agency heading


class Retriever:
    """Passages and their index, aligned by index row. Immutable: ``changed`` returns a new one, so
    a search in flight keeps a consistent view while another thread swaps in the next version."""

    def __init__(
        self,
        passages: list[PassageRecord],
        index: LexicalIndex,
        dense: DenseLeg | None = None,
        dense_weight: float = 0.3,
        *,
        facets: dict[int, _Facets] | None = None,
    ) -> None:
        self.index = index
        self.dense = dense
        self.dense_weight = dense_weight
        by_id = {p.id: p for p in passages}
        old = facets or {}
        self._facets = {pid: old.get(pid) or _facets_of(p) for pid, p in by_id.items()}
        # Row i of every array is row i of the index; dead rows and unknown ids hold None.
        live = index.live.tolist()
        self._rows: list[PassageRecord | None] = [
            by_id.get(pid) if ok else None for pid, ok in zip(index.ids.tolist(), live, strict=True)
        ]
        self.passages = [p for p in self._rows if p is not None]
        self._row_of = {p.id: row for row, p in enumerate(self._rows) if p is not None}
        self._by_id = {p.id: p for p in self.passages}
        self._province = np.asarray([(p.province or "") if p else "" for p in self._rows], dtype=object)
        self._years = [self._facets[p.id].years if p else frozenset() for p in self._rows]
        self._province_list = sorted({p.province for p in self.passages if p.province})
        self._year_list = sorted(set().union(*self._years)) if self._years else []
        self._agencies: dict[str, set[int]] = {}
        for p in self.passages:
            head = self._facets[p.id].agency
            if head:
                self._agencies.setdefault(head, set()).add(p.id)

    @classmethod
    def build(cls, passages: list[PassageRecord], params: LexicalParams | None = None, **kw: object) -> Retriever:
        index = LexicalIndex.build(((p.id, p.context, p.text) for p in passages), params)
        return cls(passages, index, **kw)  # type: ignore[arg-type]

    def changed(self, added: list[PassageRecord], removed: set[int], *, workers: int | None = 1) -> Retriever:
        """This retriever with passages ``added`` (new ids, or new versions of known ones) and the
        passage ids ``removed``; the index work is in proportion to the change."""
        gone = removed | {p.id for p in added}
        index = self.index.removed(gone).added(((p.id, p.context, p.text) for p in added), workers=workers)
        kept = [p for p in self.passages if p.id not in gone]
        facets = {pid: f for pid, f in self._facets.items() if pid not in gone}  # ids can be reused
        return Retriever(kept + added, index, self.dense, self.dense_weight, facets=facets)

    def with_index(self, index: LexicalIndex) -> Retriever:
        """The same passages over another copy of the same index (one read back memory-mapped)."""
        if not np.array_equal(index.ids, self.index.ids) or not np.array_equal(index.live, self.index.live):
            raise ValueError("not a copy of this retriever's index")
        return Retriever(self.passages, index, self.dense, self.dense_weight, facets=self._facets)

    # ------------------------------------------------------------------
    def provinces(self) -> list[str]:
        return self._province_list

    def years(self) -> list[int]:
        return self._year_list

    def agencies_named(self, question: str) -> dict[str, set[int]]:
        """Agencies (as section headings of the documents) that the question names, with their passages."""
        key = f" {norm_name(question)} "
        found = {a: ids for a, ids in self._agencies.items() if f" {a} " in key}
        # "sở tư pháp" inside "văn phòng ... sở tư pháp"? keep only the longest overlapping names
        return {a: ids for a, ids in found.items() if not any(a != b and a in b for b in found)}

    def mask(self, filters: Filters) -> np.ndarray | None:
        if filters.province is None and filters.year is None:
            return None
        m = np.ones(len(self._rows), dtype=bool)
        if filters.province is not None:
            m &= self._province == filters.province
        if filters.year is not None:
            m &= np.asarray([filters.year in ys for ys in self._years], dtype=bool)
        return m

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, restrict: set[int] | None = None
    ) -> list[Hit]:
        """Top ``k`` passages; ``filters`` (province, year) and ``restrict`` (allowed passage ids) narrow it."""
        t = time.perf_counter()
        mask = self.mask(filters or Filters())
        if restrict is not None:
            allowed = np.zeros(len(self._rows), dtype=bool)
            allowed[[self._row_of[i] for i in restrict if i in self._row_of]] = True
            mask = allowed if mask is None else mask & allowed
        if mask is not None and not mask.any():
            return []
        lex = self.index.search(query, max(k, 30) if self.dense else k, mask)
        ranked = lex
        if self.dense is not None and self.dense_weight > 0:
            dense_hits = [(i, s) for i, s in self.dense.search(query, max(k, 30)) if i in self._row_of]
            if mask is not None:
                dense_hits = [(i, s) for i, s in dense_hits if mask[self._row_of[i]]]
            ranked = fuse(lex, dense_hits, self.dense_weight)
        hits = [
            Hit(self._by_id[pid], score, rank)
            for rank, (pid, score) in enumerate(ranked[:k], 1)
            if pid in self._row_of
        ]
        logger.debug("search took %.2f ms", (time.perf_counter() - t) * 1000)
        return hits


AGENCY_HEAD_RE = re.compile(
    r"^(Sở|Văn phòng|Ban|Ủy ban|Uỷ ban|UBND|Báo|Đài|Công an|Thanh tra|Bảo hiểm|Ngân hàng|Cục|Chi cục|Trung tâm|"
    r"Hội đồng|Đảng ủy|Kho bạc|Bưu điện)\b"
)


def agency_heading(section_path: str) -> str | None:
    """The nearest heading in a section path that names an agency ("7. Sở Khoa học và Công nghệ")."""
    for part in reversed(section_path.split(" > ")):
        m = re.match(r"^\S+\s+(.*)$", part)
        head = m.group(1) if m else ""
        if head and AGENCY_HEAD_RE.match(head) and len(head) < 90:
            return head.rstrip(":")
    return None


def _facets_of(p: PassageRecord) -> _Facets:
    head = agency_heading(p.section)
    return _Facets(frozenset(passage_years(p)), norm_name(head) if head else None)


def passage_years(p: PassageRecord) -> set[int]:
    years = {int(y) for y in YEAR_RE.findall(p.text + " " + p.context)}
    return years


def question_filters(question: str) -> tuple[Filters, set[str]]:
    """Province and year named in a question. Returns the filters and every province named."""
    named = provinces_in(question)
    years = {int(y) for y in YEAR_RE.findall(question)}
    province = next(iter(named)) if len(named) == 1 else None
    year = next(iter(years)) if len(years) == 1 else None
    return Filters(province=province, year=year), named
