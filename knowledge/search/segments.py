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
SEGMENT_ROWS = 32_768  # a build stacks analysed chunks into segments of about this many rows
LEVELS = 65_535  # weights are stored as uint16 fractions of the largest weight the parameters allow


@dataclass(frozen=True)
class Segment:
    ids: np.ndarray  # int64 passage id per row
    matrix: sparse.csc_matrix  # rows x features known when built; uint16 weights (see ``unit``)
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


def unit(p: LexicalParams) -> float:
    """The weight of one stored step. A BM25 term-frequency part is below ``k1 + 1``, so every
    weight fits in ``LEVELS`` steps of this, whenever its segment was built: 16-bit weights are
    exact to 1/65,535 of the largest, take half the memory of float32 and are faster to read."""
    return float((p.k1 + 1) * _kind_weights(p).max()) / LEVELS


def _quantised(w: np.ndarray, p: LexicalParams) -> np.ndarray:
    return np.minimum(np.rint(w / unit(p)), LEVELS).astype(np.uint16)


def make_segments(parts: Iterable[Encoded], vocab: dict[str, int], stats: Stats, p: LexicalParams) -> tuple[list[Segment], Stats]:
    """Segments of up to ``SEGMENT_ROWS`` rows from encoded chunks, as they arrive. A chunk becomes
    a compact matrix of term frequencies at once (its entries are dropped), chunks are stacked into
    segments, and weights are computed once, in place, when the final statistics are known: exact,
    with one pass over the entries. ``vocab`` grows (append-only, shared by index versions)."""
    segs: list[Segment] = []
    pending: list[tuple[np.ndarray, sparse.csc_matrix, np.ndarray]] = []  # (ids, tf matrix, dl) per chunk
    df, col_kind = stats.df.copy(), stats.kind.copy()  # the old index keeps its own
    rows, dl_sum = stats.rows, stats.dl_sum.copy()
    for enc in parts:
        new = dict.fromkeys(t for t in enc.terms if t not in vocab)  # in order, each once
        vocab.update(zip(new, range(len(vocab), len(vocab) + len(new)), strict=True))
        gcol = np.fromiter(map(vocab.__getitem__, enc.terms), dtype=np.int32, count=len(enc.terms))
        grown = len(vocab) - len(df)
        if grown:
            df = np.concatenate([df, np.zeros(grown, dtype=np.int32)])
            col_kind = np.concatenate([col_kind, np.zeros(grown, dtype=np.int8)])
        col_kind[gcol] = enc.term_kind
        cols = gcol[enc.cols]
        df += np.bincount(cols, minlength=len(df)).astype(np.int32)
        rows += len(enc.ids)
        dl_sum += enc.dl.sum(axis=1)
        pending.append((enc.ids, _csc(enc.tfs, enc.rows, cols, (len(enc.ids), len(df))), enc.dl))
        del enc, cols
        if sum(len(c[0]) for c in pending) >= SEGMENT_ROWS:
            segs.append(_stacked(pending, len(df)))
            pending = []
    if pending:
        segs.append(_stacked(pending, len(df)))
    new_stats = Stats(rows, dl_sum, df, col_kind)
    final = new_stats.avg()
    for s in segs:
        _weigh(s.matrix, s.dl, final, col_kind, p)
    return [replace(s, avg=final) for s in segs], new_stats


def _csc(data: np.ndarray, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sparse.csc_matrix:
    """A CSC matrix from entries whose rows are in order within each column: scipy's conversion
    is a counting sort that keeps that order, so no sort is needed."""
    return sparse.coo_matrix((data, (rows, cols)), shape=shape).tocsc()


def _stacked(chunks: list[tuple[np.ndarray, sparse.csc_matrix, np.ndarray]], ncols: int) -> Segment:
    """One segment of chunks' matrices stacked row-wise (columns padded to ``ncols``): each entry
    is copied to its place, computed per chunk with numpy, so no sort and small temporaries."""
    counts = np.zeros(ncols, dtype=np.int64)
    for _, m, _ in chunks:
        counts[: m.shape[1]] += np.diff(m.indptr)
    indptr = np.zeros(ncols + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    out_rows = np.empty(int(indptr[-1]), dtype=np.int32)
    out_data = np.empty(int(indptr[-1]), dtype=chunks[0][1].dtype)
    fill, offset = indptr[:-1].copy(), 0  # next free place in each column
    for _, m, _ in chunks:
        per_col = np.diff(m.indptr)
        col = np.repeat(np.arange(m.shape[1], dtype=np.int64), per_col)
        dest = fill[col] + (np.arange(m.nnz, dtype=np.int64) - m.indptr[col])
        out_rows[dest] = m.indices + offset
        out_data[dest] = m.data
        fill[: m.shape[1]] += per_col
        offset += m.shape[0]
        del col, dest
    matrix = sparse.csc_matrix((out_data, out_rows, indptr), shape=(offset, ncols))
    ids = np.concatenate([c[0] for c in chunks])
    return Segment(ids, matrix, np.ones(len(ids), dtype=bool), np.concatenate([c[2] for c in chunks], axis=1),
                   np.ones(len(KIND_NAMES), dtype=np.float32))


def _weigh(m: sparse.csc_matrix, dl: np.ndarray, avg: np.ndarray, col_kind: np.ndarray, p: LexicalParams) -> None:
    """Turn a matrix of term frequencies into stored weights, in place, a slice of columns at a
    time (about ``SLICE`` entries), so the temporaries stay small."""
    ncols, c0 = m.shape[1], 0
    while c0 < ncols:
        c1 = max(c0 + 1, int(np.searchsorted(m.indptr, m.indptr[c0] + SLICE, side="right")) - 1)
        c1 = min(c1, ncols)
        a, b = int(m.indptr[c0]), int(m.indptr[c1])
        if b > a:
            kind = np.repeat(col_kind[c0:c1], np.diff(m.indptr[c0 : c1 + 1]))
            lens = dl[kind, m.indices[a:b]]
            m.data[a:b] = _quantised(_weights(m.data[a:b].astype(np.float32), lens, avg[kind], kind, p), p)
        c0 = c1


def _weights(tf: np.ndarray, dl: np.ndarray, avg: np.ndarray, kind: np.ndarray, p: LexicalParams) -> np.ndarray:
    """BM25 term-frequency part times the field/kind weight, per entry."""
    norm = p.k1 * (1 - p.b + p.b * dl.astype(np.float32) / avg)
    return (tf * (p.k1 + 1) / (tf + norm) * _kind_weights(p)[kind]).astype(np.float32)


def _term_freqs(w: np.ndarray, dl: np.ndarray, avg: np.ndarray, kind: np.ndarray, p: LexicalParams) -> np.ndarray:
    """The inverse of ``_weights``: term frequencies back from stored (uint16) weights (for merges)."""
    x = w.astype(np.float32) * np.float32(unit(p)) / _kind_weights(p)[kind]
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
        weights.append(_quantised(_weights(tf, dl, avg[kind], kind, p), p))
        rows.append(coo.row.astype(np.int64) + offset)
        cols.append(coo.col)
        offset += s.n_live
    r, c, w = (np.concatenate(x) if x else np.zeros(0) for x in (rows, cols, weights))
    matrix = sparse.csc_matrix((w, (r, c)), shape=(offset, ncols), dtype=np.uint16)
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
