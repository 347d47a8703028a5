"""Diacritic restoration of a query typed without marks, from the index's own statistics.

People often type on phones without Vietnamese diacritics ("nang luc hanh vi dan su"). Folded
features match such a query, but they cannot tell "bán" from "bạn" or "bàn", so the accented
features (which rank well) are lost. This restores the marks from what the index holds:

- the accented forms of a folded syllable are the body unigrams ``u:<form>`` of the vocabulary
  whose folded form it is (built once per vocabulary, extended as the append-only vocabulary grows);
- how likely a form is comes from document frequencies (``stats.df``) of that index version: of the
  unigram on its own, and of the body bigram ``b:<prev>_<form>`` it makes with its neighbour, in a
  bigram model over the query syllables; forward-backward gives each position's form and each
  adjacent pair's probability, which weight the accented features added to the query.

Cost per query: a few hundred dictionary look-ups (at most ``MAX_FORMS`` squared per adjacent pair).
"""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass

import numpy as np

from core.text import fold_token
from knowledge.search.features import KIND_NAMES

logger = logging.getLogger(__name__)

MAX_FORMS = 6  # accented candidates kept per syllable (most frequent first)
SMOOTH = 2.0  # pseudo-count of the unigram prior in a bigram transition
MIN_PROB = 0.05  # forms and pairs less likely than this add no feature
_UNI = KIND_NAMES.index("u")


@dataclass(frozen=True)
class Restored:
    """Accented unigrams and bigrams of a query with their probabilities."""

    uni: dict[str, float]
    bi: dict[str, float]


class FormTable:
    """Folded syllable -> (accented form, vocabulary column) pairs of body unigrams in a vocabulary.

    One table per vocabulary dict (shared by the index versions that share the vocabulary); it
    reads only the entries added since its last look, so incremental segments cost in proportion
    to their new features."""

    def __init__(self, vocab: dict[str, int]) -> None:
        self.vocab = vocab
        self.seen = 0
        self.forms: dict[str, list[tuple[str, int]]] = {}
        self._lock = threading.Lock()

    def refresh(self, kind: np.ndarray) -> None:
        """Take in the columns up to ``len(kind)`` (an index version's feature kinds): the body
        unigrams among them are found from ``kind``, their keys by position in the vocabulary
        (columns are numbered in insertion order), so no Python work per other feature."""
        if min(len(self.vocab), len(kind)) <= self.seen:
            return
        with self._lock:
            n = min(len(self.vocab), len(kind))
            if n <= self.seen:
                return
            try:  # another thread may grow the vocabulary meanwhile: retry at the next query
                keys = list(itertools.islice(self.vocab, self.seen, n))
            except RuntimeError:
                return
            new = [(keys[c - self.seen], c) for c in (self.seen + np.flatnonzero(kind[self.seen : n] == _UNI)).tolist()]
            if any(self.vocab.get(k) != c or not k.startswith("u:") for k, c in new):
                logger.warning("vocabulary not in column order; accented forms found by a scan")
                new = [(k, self.vocab[k]) for k in keys if k.startswith("u:")]
            for key, col in new:
                tok = key[2:]
                self.forms.setdefault(fold_token(tok), []).append((tok, col))
            self.seen = n


_TABLES: dict[int, FormTable] = {}  # by id of the vocabulary, which each table holds (so the id stays its own)
_KEEP = 2  # the live vocabulary and the one a full rebuild replaces: an older one is not kept alive
_TABLES_LOCK = threading.Lock()


def form_table(vocab: dict[str, int], kind: np.ndarray) -> FormTable:
    """The table of ``vocab``, up to date with the columns of ``kind`` (the tables of the ``_KEEP``
    vocabularies seen last are kept)."""
    t = _TABLES.get(id(vocab))
    if t is None or t.vocab is not vocab:
        with _TABLES_LOCK:
            t = _TABLES.get(id(vocab))
            if t is None or t.vocab is not vocab:
                t = _TABLES[id(vocab)] = FormTable(vocab)
                while len(_TABLES) > _KEEP:
                    del _TABLES[next(iter(_TABLES))]
    t.refresh(kind)
    return t


def _candidates(table: FormTable, syl: str, df: np.ndarray) -> list[tuple[str, int]]:
    """The most frequent accented forms of a folded syllable in this index version, with their
    document frequencies; a syllable the index does not know stays as typed (frequency 0)."""
    ncols = len(df)
    forms = [(tok, int(df[c])) for tok, c in table.forms.get(syl, ()) if c < ncols and df[c] > 0]
    if not forms:
        return [(syl, 0)]
    forms.sort(key=lambda x: -x[1])
    return forms[:MAX_FORMS]


def restore(syllables: list[str], vocab: dict[str, int], df: np.ndarray, kind: np.ndarray, rows: int) -> Restored:
    """Accented forms of folded ``syllables`` (in query order) and of their adjacent pairs.

    A bigram model over forms, with document frequencies for counts: P(b | a) = (df(a b) + SMOOTH
    * df(b) / rows) / (df(a) + SMOOTH), so a form that is rarely followed by any form of the next
    syllable loses to one that often is; forward-backward gives the marginals. Candidates are
    padded to ``MAX_FORMS`` per position (frequency 0, probability 0) so each step is one array op."""
    if not syllables:
        return Restored({}, {})
    table = form_table(vocab, kind)
    cands = [_candidates(table, s, df) for s in syllables]
    n, k = len(cands), max(len(c) for c in cands)
    forms = [[t for t, _ in c] + [""] * (k - len(c)) for c in cands]
    udf = np.asarray([[f for _, f in c] + [-0.5] * (k - len(c)) for c in cands], dtype=np.float64) + 0.5
    pair = np.zeros((max(n - 1, 0), k, k))
    if n > 1:
        cols = np.fromiter((vocab.get(f"b:{a}_{b}", -1) if a and b else -1 for left, right in itertools.pairwise(forms)
                            for a in left for b in right), dtype=np.int64, count=(n - 1) * k * k)
        known = (cols >= 0) & (cols < len(df))
        pair = np.where(known, df[np.where(known, cols, 0)], 0).reshape(n - 1, k, k).astype(np.float64)
    trans = (pair + SMOOTH * udf[1:, None, :] / max(rows, 1)) / (udf[:-1, :, None] + SMOOTH)
    fwd = np.empty((n, k))
    bwd = np.empty((n, k))
    fwd[0] = udf[0] / udf[0].sum()
    bwd[-1] = 1.0
    for i in range(n - 1):
        f = fwd[i] @ trans[i]
        fwd[i + 1] = f / f.sum()
        b = trans[n - 2 - i] @ bwd[n - 1 - i]
        bwd[n - 2 - i] = b / b.sum()
    marg = fwd * bwd
    marg /= marg.sum(axis=1, keepdims=True)
    uni: dict[str, float] = {}
    for i, j in zip(*np.nonzero(marg >= MIN_PROB), strict=True):
        uni[forms[i][j]] = max(uni.get(forms[i][j], 0.0), float(marg[i, j]))
    joint = fwd[:-1, :, None] * trans * bwd[1:, None, :]
    joint /= joint.sum(axis=(1, 2), keepdims=True)
    bi: dict[str, float] = {}
    for i, a, b in zip(*np.nonzero((joint >= MIN_PROB) & (pair > 0)), strict=True):
        key = f"{forms[i][a]}_{forms[i + 1][b]}"
        bi[key] = max(bi.get(key, 0.0), float(joint[i, a, b]))
    return Restored(uni, bi)
