"""Immutable index segments: CSC matrices of BM25 term-frequency parts times field/kind weights,
their collection statistics, and how segments are made from analysed chunks, renormalised and
merged. Used by :class:`knowledge.search.lexical.LexicalIndex`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from knowledge.search.features import KIND_NAMES, Encoded

if TYPE_CHECKING:
    from knowledge.search.lexical import LexicalParams

logger = logging.getLogger(__name__)

SLICE = 1 << 22  # entries per slice when computing weights


@dataclass(frozen=True)
class Segment:
    ids: np.ndarray  # int64 passage id per row
    matrix: sparse.csc_matrix  # rows x features known when built
    live: np.ndarray  # bool per row
    dl: np.ndarray  # int32 (kinds, rows)
    avg: np.ndarray  # float32 (kinds,): average field lengths its weights were normalised with

    @property
    def n_live(self) -> int:
        return int(self.live.sum())


@dataclass(frozen=True)
class Stats:
    """Collection statistics: rows (dead ones included until merged), field length sums, df."""

    rows: int = 0
    dl_sum: np.ndarray = field(default_factory=lambda: np.zeros(len(KIND_NAMES), dtype=np.float64))
    df: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    kind: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))  # per feature

    def avg(self) -> np.ndarray:
        return np.where(self.dl_sum > 0, self.dl_sum / max(self.rows, 1), 1.0).astype(np.float32)

    def idf(self, cols: np.ndarray | None = None) -> np.ndarray:
        df = (self.df if cols is None else self.df[cols]).astype(np.float32)
        return np.log1p((self.rows - df + 0.5) / (df + 0.5)).astype(np.float32)


def _kind_weights(p: LexicalParams) -> np.ndarray:
    return np.asarray([_kind_weight(k, p) for k in KIND_NAMES], dtype=np.float32)


def make_segments(parts: Iterable[Encoded], vocab: dict[str, int], stats: Stats, p: LexicalParams) -> tuple[list[Segment], Stats]:
    """One segment per encoded chunk, made as soon as the chunk arrives (normalised with the
    statistics so far), then renormalised with the final ones: exact, and only one chunk's rows
    are held uncompressed at a time. ``vocab`` grows (append-only, shared by index versions)."""
    segs: list[Segment] = []
    df, col_kind = stats.df.copy(), stats.kind.copy()  # the old index keeps its own
    rows, dl_sum = stats.rows, stats.dl_sum.copy()
    for enc in parts:
        gcol = np.fromiter((vocab.setdefault(t, len(vocab)) for t in enc.terms), dtype=np.int32, count=len(enc.terms))
        grown = len(vocab) - len(df)
        if grown:
            df = np.concatenate([df, np.zeros(grown, dtype=np.int32)])
            col_kind = np.concatenate([col_kind, np.zeros(grown, dtype=np.int8)])
        col_kind[gcol] = enc.term_kind
        cols = gcol[enc.cols]
        df += np.bincount(cols, minlength=len(df)).astype(np.int32)
        rows += len(enc.ids)
        dl_sum += enc.dl.sum(axis=1)
        avg = Stats(rows, dl_sum).avg()
        row = np.repeat(np.arange(len(enc.ids), dtype=np.int32), np.diff(enc.indptr))
        w = _sliced_weights(enc.tfs, None, row, cols, enc.dl, None, avg, col_kind, p)
        del row
        matrix = sparse.csr_matrix((w, cols, enc.indptr), shape=(len(enc.ids), len(df))).tocsc()
        matrix.sort_indices()
        segs.append(Segment(enc.ids, matrix, np.ones(len(enc.ids), dtype=bool), enc.dl, avg))
    new = Stats(rows, dl_sum, df, col_kind)
    final = new.avg()
    for i, s in enumerate(segs):  # in place: each old weight array is freed as soon as replaced
        if not np.array_equal(s.avg, final):
            segs[i] = _renormalised(s, final, col_kind, p)
        del s
    return segs, new


def _renormalised(s: Segment, avg: np.ndarray, col_kind: np.ndarray, p: LexicalParams) -> Segment:
    """The segment's weights normalised with other average field lengths."""
    m = s.matrix
    cols = np.repeat(np.arange(m.shape[1], dtype=np.int32), np.diff(m.indptr))
    data = _sliced_weights(None, m.data, m.indices, cols, s.dl, s.avg, avg, col_kind, p)
    return replace(s, matrix=sparse.csc_matrix((data, m.indices, m.indptr), shape=m.shape), avg=avg)


def _sliced_weights(tfs: np.ndarray | None, old: np.ndarray | None, rows: np.ndarray, cols: np.ndarray, dl: np.ndarray,
                    old_avg: np.ndarray | None, avg: np.ndarray, col_kind: np.ndarray, p: LexicalParams) -> np.ndarray:
    """Weights per entry from term frequencies ``tfs``, or from ``old`` weights normalised with
    ``old_avg``; computed in slices so a build's temporaries stay small."""
    out = np.empty(len(rows), dtype=np.float32)
    for a in range(0, len(rows), SLICE):
        b = a + SLICE
        kind = col_kind[cols[a:b]]
        lens = dl[kind, rows[a:b]]
        if tfs is not None:
            tf = tfs[a:b].astype(np.float32)
        else:
            assert old is not None and old_avg is not None
            tf = _term_freqs(old[a:b], lens, old_avg[kind], kind, p)
        out[a:b] = _weights(tf, lens, avg[kind], kind, p)
    return out


def _weights(tf: np.ndarray, dl: np.ndarray, avg: np.ndarray, kind: np.ndarray, p: LexicalParams) -> np.ndarray:
    """BM25 term-frequency part times the field/kind weight, per entry."""
    norm = p.k1 * (1 - p.b + p.b * dl.astype(np.float32) / avg)
    return (tf * (p.k1 + 1) / (tf + norm) * _kind_weights(p)[kind]).astype(np.float32)


def _term_freqs(w: np.ndarray, dl: np.ndarray, avg: np.ndarray, kind: np.ndarray, p: LexicalParams) -> np.ndarray:
    """The inverse of ``_weights``: term frequencies back from stored weights (for merges)."""
    x = w / _kind_weights(p)[kind]
    norm = p.k1 * (1 - p.b + p.b * dl.astype(np.float32) / avg)
    return np.rint(x * norm / np.maximum(p.k1 + 1 - x, 1e-9)).astype(np.float32)


def merge(segs: Sequence[Segment], stats: Stats, p: LexicalParams) -> tuple[Segment, Stats]:
    """One segment of the live rows of ``segs``, normalised anew; their dead rows leave the statistics."""
    ncols = len(stats.df)
    kept, dead_cols = [], []
    dead_dl = np.zeros(len(KIND_NAMES), dtype=np.float64)
    for s in segs:
        m = s.matrix.tocsr()
        m.resize((m.shape[0], ncols))
        kept.append(m[s.live].tocoo())
        if not s.live.all():
            dead_cols.append(m[~s.live].indices)
            dead_dl += s.dl[:, ~s.live].sum(axis=1)
    df = stats.df.copy()
    if dead_cols:
        df -= np.bincount(np.concatenate(dead_cols), minlength=ncols).astype(np.int32)
    n_dead = sum(len(s.ids) - s.n_live for s in segs)
    new = Stats(stats.rows - n_dead, stats.dl_sum - dead_dl, df, stats.kind)
    avg = new.avg()
    rows, cols, weights, offset = [], [], [], 0
    for s, coo in zip(segs, kept, strict=True):
        kind = stats.kind[coo.col]
        dl = s.dl[:, s.live][kind, coo.row]
        tf = _term_freqs(coo.data, dl, s.avg[kind], kind, p)
        weights.append(_weights(tf, dl, avg[kind], kind, p))
        rows.append(coo.row.astype(np.int64) + offset)
        cols.append(coo.col)
        offset += s.n_live
    r, c, w = (np.concatenate(x) if x else np.zeros(0) for x in (rows, cols, weights))
    matrix = sparse.csc_matrix((w, (r, c)), shape=(offset, ncols), dtype=np.float32)
    matrix.sort_indices()
    merged = Segment(
        np.concatenate([s.ids[s.live] for s in segs]), matrix, np.ones(offset, dtype=bool),
        np.concatenate([s.dl[:, s.live] for s in segs], axis=1), avg,
    )
    return merged, new


def _kind_weight(kind: str, p: LexicalParams) -> float:
    title = kind.startswith("t")
    k = kind[1:] if title else kind
    w = 1.0
    if k in ("b", "fb"):
        w *= p.bigram_weight
    if k in ("fu", "fb"):
        w *= p.folded_weight
    if title:
        w *= p.title_weight
    return w
