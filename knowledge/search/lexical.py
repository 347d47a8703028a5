"""Vietnamese-aware lexical retrieval: multi-field BM25 over immutable sparse segments.

Each passage contributes features from two fields (body text, heading context), each as syllable
unigrams, syllable bigrams, and their diacritic-free forms, plus glossary expansions. A segment is
a CSC matrix (passages x features) of the BM25 term-frequency part times the field/kind weight,
stored in 16 bits (``segments.unit``); idf is applied at query time from collection statistics, so
a query sums a few weighted matrix columns per segment (the sparse scoring bm25s uses). A build
analyses chunks of passages in worker processes (``features``, ``analysis``) and stacks them into
segments of ``segments.SEGMENT_ROWS`` rows; a saved index is memory-mapped when loaded.

Changes are copy-on-write: ``added`` appends a segment built from the new passages only,
``removed`` marks rows dead in a copied live mask; the old index object stays valid for searches
in flight. As in Lucene, dead rows still count in the collection statistics until their segment is
merged, and a segment's length normalisation uses the average lengths known when it was built; a
full ``build`` is exact. Small segments are merged when there are more than ``MAX_SMALL``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy import sparse

from core.private import private_dir, private_files_in
from knowledge.search.features import Doc, encode_chunks
from knowledge.search.query import query_features
from knowledge.search.segments import Segment, Stats, make_segments, merge, unit

logger = logging.getLogger(__name__)

FORMAT_VERSION = 6
MAX_SMALL = 6  # small segments tolerated before they are merged
SMALL_ROWS = 5_000  # a segment smaller than this is an incremental addition
PRUNE_MIN_ROWS = 20_000  # from this many rows, queries skip features in more than MAX_DF_SHARE of them
MAX_DF_SHARE = 0.25


@dataclass(frozen=True)
class LexicalParams:
    k1: float = 0.4
    b: float = 0.6
    bigram_weight: float = 1.3
    folded_weight: float = 0.6
    title_weight: float = 0.2

    @classmethod
    def from_settings(cls, r: object) -> LexicalParams:
        """From a ``RetrievalSettings`` (any object with the same attribute names)."""
        return cls(**{f: getattr(r, f) for f in ("k1", "b", "bigram_weight", "folded_weight", "title_weight")})


# --------------------------------------------------------------------------- segments
class LexicalIndex:
    """Immutable: ``added``/``removed``/``merged`` return new indexes sharing unchanged segments."""

    def __init__(
        self,
        segments: Sequence[Segment],
        vocab: dict[str, int],
        params: LexicalParams,
        stats: Stats,
    ) -> None:
        self.segments = tuple(segments)
        self.vocab = vocab  # append-only; a column past this index's stats is unknown to it
        self.params = params
        self.stats = stats
        self.ids = np.concatenate([s.ids for s in self.segments]) if self.segments else np.zeros(0, dtype=np.int64)
        self.live = np.concatenate([s.live for s in self.segments]) if self.segments else np.zeros(0, dtype=bool)
        self._idf: np.ndarray | None = None

    def __len__(self) -> int:
        """Live passages."""
        return int(self.live.sum())

    @property
    def rows(self) -> int:
        """Rows of the score vector (dead ones included until merged)."""
        return int(self.ids.shape[0])

    @property
    def idf(self) -> np.ndarray:
        """Per feature, for sentence scoring in answers."""
        if self._idf is None:
            self._idf = self.stats.idf()
        return self._idf

    # ------------------------------------------------------------------ build and change
    @classmethod
    def build(cls, docs: Iterable[Doc], params: LexicalParams | None = None, *, workers: int | None = None) -> LexicalIndex:
        """A one-segment index of ``docs`` (id, heading context, text); exact BM25."""
        p = params or LexicalParams()
        batch = list(docs)
        empty = cls((), {}, p, Stats())
        return empty.added(batch, workers=workers) if batch else empty

    def added(self, docs: Iterable[Doc], *, workers: int | None = None) -> LexicalIndex:
        """This index plus ``docs`` as a new segment (cost in proportion to ``docs``)."""
        batch = list(docs)
        if not batch:
            return self
        present = set(self.ids[self.live].tolist()) & {d[0] for d in batch}
        base = self.removed(present) if present else self
        segs, stats = make_segments(encode_chunks(batch, workers), base.vocab, base.stats, base.params)
        out = LexicalIndex((*base.segments, *segs), base.vocab, base.params, stats)
        return out.compacted()

    def removed(self, ids: Iterable[int]) -> LexicalIndex:
        """This index without the passages ``ids`` (their rows marked dead)."""
        gone = np.fromiter(ids, dtype=np.int64)
        if not len(gone):
            return self
        segs = []
        for s in self.segments:
            hit = np.isin(s.ids, gone) & s.live
            segs.append(replace(s, live=s.live & ~hit) if hit.any() else s)
        return LexicalIndex(segs, self.vocab, self.params, self.stats)

    def compacted(self) -> LexicalIndex:
        """Drop segments with no live row, and merge the small segments (fewer than ``SMALL_ROWS``
        rows: incremental additions) when there are more than ``MAX_SMALL``: a bounded cost."""
        segs = [s for s in self.segments if s.n_live]
        stats = self.stats
        dead = [s for s in self.segments if not s.n_live]
        if dead:  # whole segments removed: their rows leave the statistics
            stats = merge(dead, stats, self.params)[1]
        small = [s for s in segs if len(s.ids) < SMALL_ROWS]
        if len(small) > MAX_SMALL:
            merged, stats = merge(small, stats, self.params)
            segs = [s for s in segs if len(s.ids) >= SMALL_ROWS] + [merged]
        if len(segs) == len(self.segments) and stats is self.stats:
            return self
        return LexicalIndex(segs, self.vocab, self.params, stats)

    def merged(self) -> LexicalIndex:
        """All live rows in one segment (exact statistics for what is left)."""
        if not self.segments:
            return self
        seg, stats = merge(self.segments, self.stats, self.params)
        return LexicalIndex((seg,), self.vocab, self.params, stats)

    @property
    def dead_fraction(self) -> float:
        return 1.0 - len(self) / self.rows if self.rows else 0.0

    # ------------------------------------------------------------------ query
    def query_features(self, query: str) -> dict[int, float]:
        """Feature columns and weights for a query (:func:`knowledge.search.query.query_features`)."""
        return query_features(self.vocab, self.stats, query)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row (dead rows score 0): per segment, its columns for the query's
        features times their weight and idf (C code: CSC column slices times a small vector)."""
        out = np.zeros(self.rows, dtype=np.float32)
        feats = self.query_features(query)
        if not feats:
            return out
        cols = np.fromiter(feats.keys(), dtype=np.int64, count=len(feats))
        weights = np.fromiter(feats.values(), dtype=np.float32, count=len(feats)) * self.stats.idf(cols) * np.float32(unit(self.params))
        if self.stats.rows >= PRUNE_MIN_ROWS:
            # In a large corpus, features in more than a quarter of the passages (low idf, the
            # longest posting lists) are skipped: 60 % fewer postings read per ALQAC question,
            # and mrr@10 does not drop (0.9216 / 0.9222 with the cut at 1x, 0.9207 / 0.9214 without).
            common = self.stats.df[cols] > MAX_DF_SHARE * self.stats.rows
            if common.any() and not common.all():
                cols, weights = cols[~common], weights[~common]
        start = 0
        for s in self.segments:
            n = len(s.ids)
            inside = cols < s.matrix.shape[1]
            if inside.any():
                out[start : start + n] = s.matrix[:, cols[inside]] @ weights[inside]
            start += n
        out[~self.live] = 0.0
        return out

    def search(self, query: str, k: int = 10, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (passage id, score); ``mask`` (one bool per row of ``ids``) narrows it."""
        if not self.rows:
            return []
        sc = self.scores(query)
        if mask is not None:
            sc = np.where(mask, sc, 0.0)
        k = min(k, len(sc))
        top = np.argpartition(-sc, k - 1)[:k]
        top = top[np.argsort(-sc[top], kind="stable")]
        return [(int(self.ids[i]), float(sc[i])) for i in top if sc[i] > 0]

    # ------------------------------------------------------------------ persistence
    def save(self, folder: Path, fingerprint: str = "") -> None:
        """Write atomically: a temporary folder renamed over the old one. Segment arrays are plain
        ``.npy`` files, so :meth:`load` can map them instead of reading them."""
        private_dir(folder.parent)  # the new folder itself comes from mkdtemp: 0700
        tmp = Path(tempfile.mkdtemp(prefix=".index-", dir=folder.parent))
        for n, s in enumerate(self.segments):
            m = s.matrix
            arrays = {"data": m.data, "indices": m.indices, "indptr": m.indptr, "ids": s.ids, "live": s.live,
                      "dl": s.dl, "avg": s.avg, "shape": np.asarray(m.shape)}
            for name, arr in arrays.items():
                np.save(tmp / f"segment-{n}.{name}.npy", np.ascontiguousarray(arr))
        np.savez(tmp / "stats.npz", df=self.stats.df, dl_sum=self.stats.dl_sum, rows=np.asarray([self.stats.rows]),
                 kind=self.stats.kind)
        (tmp / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        meta = {"format": FORMAT_VERSION, "fingerprint": fingerprint, "params": self.params.__dict__,
                "segments": len(self.segments)}
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        private_files_in(tmp)  # the folder is 0700 (mkdtemp); its files 0600 as well
        old = folder.with_name(folder.name + ".old")
        if folder.exists():
            if old.exists():
                shutil.rmtree(old)
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old.exists():  # a process that mapped the old files keeps them until it lets go (POSIX)
            shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> tuple[LexicalIndex, str] | None:
        """The saved index and its fingerprint, or None when missing, old or damaged.

        The large arrays (weights, rows, column pointers) are memory-mapped read-only: pages are
        read when a query touches them, and every process on the host that loaded the same files
        shares one copy in the page cache. Changes never write to them (copy-on-write versions)."""
        if not (folder / "meta.json").exists():
            logger.debug("no saved lexical index at %s", folder)
            return None
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT_VERSION:
                logger.info("lexical index at %s has an older format; it will be rebuilt", folder)
                return None
            segs = [_load_segment(folder, n) for n in range(int(meta["segments"]))]
            st = np.load(folder / "stats.npz")
            stats = Stats(int(st["rows"][0]), st["dl_sum"], st["df"], st["kind"])
            vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
            params = LexicalParams(**meta["params"])
            return cls(segs, vocab, params, stats), str(meta.get("fingerprint", ""))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("lexical index at %s unreadable (%s); it will be rebuilt", folder, exc)
            return None


def _load_segment(folder: Path, n: int) -> Segment:
    def arr(name: str, mapped: bool = False) -> np.ndarray:
        return np.asarray(np.load(folder / f"segment-{n}.{name}.npy", mmap_mode="r" if mapped else None,
                                  allow_pickle=False))

    shape = tuple(int(x) for x in arr("shape"))
    data, indices, indptr = arr("data", True), arr("indices", True), arr("indptr", True)
    if len(indptr) != shape[1] + 1 or len(data) != len(indices) or int(indptr[-1]) != len(data):
        raise ValueError(f"segment {n}: arrays do not fit together")
    matrix = sparse.csc_matrix((data, indices, indptr), shape=shape, copy=False)
    return Segment(arr("ids"), matrix, arr("live"), arr("dl"), arr("avg"))

