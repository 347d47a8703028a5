"""Batch analysis for index builds: the features of :func:`core.text.analyze`, computed on token
numbers instead of token strings.

``analyze`` makes eight lists of strings per passage (syllables, bigrams, and their folded forms,
for the body and the heading). At a province's scale that Python work is most of a build. Here a
batch's syllables are found with one regex call per text and numbered with C-level dict look-ups;
each distinct syllable is made canonical and folded once, and bigrams are pairs of syllable numbers
formed with numpy. Strings are made only for distinct features. The result is the same counts as
``analyze`` gives (tests/test_index_analysis.py holds that on real and awkward texts).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.text import _WORD_RE, canonical_syllable, fold_token, glossary, nfc, words

logger = logging.getLogger(__name__)

UNI, BI, FUNI, FBI = range(4)  # feature kinds of one field, in KIND_NAMES order
_NOT_WORD_OR_SPACE = re.compile(r"[^\w ]+")


@functools.lru_cache(maxsize=1)
def _anchors() -> frozenset[str]:
    """Lower-cased syllables without which no glossary entry can match a text: the first ``\\w+``
    run of each abbreviation and each any-case form. Texts with none of them skip the glossary's
    regular expressions (an exact filter: a whole-word match starts with that syllable)."""
    g = glossary()
    out = set()
    for k in [*(k for k in g.expansions if not k.startswith("~")), *g.forms]:
        runs = _WORD_RE.findall(k.lower())
        if runs:
            out.add(runs[0])
    return frozenset(out)


def expansions(text: str) -> list[str]:
    """The glossary expansions ``analyze`` adds for an NFC ``text`` (in its order). Called only
    for texts with an anchor syllable (:func:`count_field` finds them with numpy)."""
    g = glossary()
    extra = [g.expansions[m.group(1)] for m in g.pattern.finditer(text)]
    extra += [g.expansions[g.typed[fold_token(m.group(1))]] for m in g.typed_pattern.finditer(text)]
    return extra


@functools.lru_cache(maxsize=4096)
def _expansion_words(text: str) -> tuple[str, ...]:
    return tuple(words(text))


@dataclass
class Numbering:
    """Syllables of one chunk, by number: as found (lower-cased), canonical, and folded."""

    found: dict[str, int] = field(default_factory=dict)  # lower-cased token -> number
    anchor: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per found token
    canon: dict[str, int] = field(default_factory=dict)  # canonical syllable -> number (UNI feature)
    folded: dict[str, int] = field(default_factory=dict)  # folded syllable -> number (FUNI feature)
    to_canon: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    canon_to_folded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))

    def number(self, toks: list[str]) -> np.ndarray:
        """Found-token numbers of ``toks`` (C-level look-ups; new tokens numbered first); their
        canonical syllable numbers are ``to_canon[...]`` of these."""
        new = [t for t in dict.fromkeys(toks) if t not in self.found]
        if new:
            self.anchor = np.concatenate([self.anchor, np.fromiter(map(_anchors().__contains__, new), dtype=bool,
                                                                   count=len(new))])
            n_canon = len(self.canon)
            canon = [self._canonical(canonical_syllable(t)) for t in new]
            self.found.update(zip(new, range(len(self.found), len(self.found) + len(new)), strict=True))
            self.to_canon = np.concatenate([self.to_canon, np.asarray(canon, dtype=np.int32)])
            added = list(self.canon)[n_canon:]
            folded = [self.folded.setdefault(fold_token(c), len(self.folded)) for c in added]
            self.canon_to_folded = np.concatenate([self.canon_to_folded, np.asarray(folded, dtype=np.int32)])
        return np.fromiter(map(self.found.__getitem__, toks), dtype=np.int32, count=len(toks))

    def _canonical(self, syl: str) -> int:
        return self.canon.setdefault(syl, len(self.canon))


@dataclass
class Pairs:
    """Bigram numbers: pairs of syllable numbers, numbered as first seen (a sorted table of pair
    keys, looked up and grown with numpy: no Python code per pair)."""

    table: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # sorted pair keys
    numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # beside ``table``
    order: list[np.ndarray] = field(default_factory=list)  # pair keys in number order, by batch

    @property
    def keys(self) -> np.ndarray:
        """Pair key (a << 32 | b) of each number."""
        return np.concatenate(self.order) if self.order else np.zeros(0, dtype=np.int64)

    def number(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        key = (a.astype(np.int64) << 32) | b.astype(np.int64)
        uniq, inv = np.unique(key, return_inverse=True)
        pos = np.asarray(np.searchsorted(self.table, uniq))
        hit: np.ndarray = np.zeros(len(uniq), dtype=bool)
        if len(self.table):
            hit = self.table[np.minimum(pos, len(self.table) - 1)] == uniq
        out = np.empty(len(uniq), dtype=np.int32)
        out[hit] = self.numbers[pos[hit]]
        fresh = ~hit
        start = len(self.numbers)
        out[fresh] = np.arange(start, start + int(fresh.sum()), dtype=np.int32)
        if fresh.any():
            self.order.append(uniq[fresh])
            self.table = np.insert(self.table, pos[fresh], uniq[fresh])
            self.numbers = np.insert(self.numbers, pos[fresh], out[fresh])
        return out[inv.reshape(-1)]


@dataclass
class FieldBatch:
    """One field's token sequences for a batch of passages: each text's syllables (and, added by
    :func:`count_field`, each glossary expansion's), with the texts for the expansions."""

    toks: list[str] = field(default_factory=list)
    seq_len: list[int] = field(default_factory=list)
    seq_row: list[int] = field(default_factory=list)
    texts: dict[int, str] = field(default_factory=dict)  # row -> NFC text

    def add(self, row: int, text: str, toks: Sequence[str]) -> None:
        self.toks.extend(toks)
        self.seq_len.append(len(toks))
        self.seq_row.append(row)
        self.texts[row] = text


def field_tokens(text: str) -> tuple[str, list[str]]:
    """The NFC text and its syllables as found (lower-cased ``\\w+`` runs, not yet canonical)."""
    text = nfc(text)
    return text, _NOT_WORD_OR_SPACE.sub(" ", text.lower()).split()  # == \\w+ runs, faster than findall


def _expanded(batch: FieldBatch, num: Numbering, found: np.ndarray, rows: np.ndarray) -> FieldBatch | None:
    """The glossary expansions of the batch's texts that hold an anchor syllable, as a batch of
    sequences (None when no text does): the regular expressions run on those texts only."""
    hit = np.unique(rows[num.anchor[found]]).tolist()
    extra = FieldBatch()
    for row in hit:
        for e in expansions(batch.texts[row]):
            extra.add(row, "", _expansion_words(e))
    return extra if extra.seq_len else None


@dataclass
class FieldCounts:
    """Per feature kind of one field: (row << 32 | feature number) keys and their counts."""

    keys: list[list[np.ndarray]] = field(default_factory=lambda: [[] for _ in range(4)])
    counts: list[list[np.ndarray]] = field(default_factory=lambda: [[] for _ in range(4)])

    def add(self, kind: int, rows: np.ndarray, feats: np.ndarray) -> None:
        if not len(rows):
            return
        k, c = np.unique((rows.astype(np.int64) << 32) | feats.astype(np.int64), return_counts=True)
        self.keys[kind].append(k)
        self.counts[kind].append(np.minimum(c, 65535).astype(np.uint16))


def count_field(batch: FieldBatch, num: Numbering, pairs: tuple[Pairs, Pairs], out: FieldCounts,
                dl: np.ndarray) -> None:
    """Count a batch's features of one field into ``out``; field lengths into ``dl`` (4 x rows)."""
    if not batch.toks:
        return
    found = num.number(batch.toks)
    seq_len = np.asarray(batch.seq_len, dtype=np.int64)
    seq_row = np.asarray(batch.seq_row, dtype=np.int64)
    rows = np.repeat(seq_row, seq_len)
    extra = _expanded(batch, num, found, rows)
    if extra is not None:  # appended as sequences of their own: no bigram crosses into them
        found = np.concatenate([found, num.number(extra.toks)])
        seq_len = np.concatenate([seq_len, np.asarray(extra.seq_len, dtype=np.int64)])
        rows = np.concatenate([rows, np.repeat(np.asarray(extra.seq_row, dtype=np.int64), extra.seq_len)])
    uni = num.to_canon[found]
    ends = np.cumsum(seq_len)
    pair_ok = np.ones(len(uni), dtype=bool)
    pair_ok[ends[seq_len > 0] - 1] = False  # the last syllable of a sequence starts no bigram
    first = np.flatnonzero(pair_ok)
    folded = num.canon_to_folded[uni]
    out.add(UNI, rows, uni)
    out.add(FUNI, rows, folded)
    out.add(BI, rows[first], pairs[0].number(uni[first], uni[first + 1]))
    out.add(FBI, rows[first], pairs[1].number(folded[first], folded[first + 1]))
    n_uni = np.bincount(rows, minlength=dl.shape[1])
    n_bi = np.bincount(rows[first], minlength=dl.shape[1])
    dl[UNI] += n_uni.astype(np.int32)
    dl[FUNI] += n_uni.astype(np.int32)
    dl[BI] += n_bi.astype(np.int32)
    dl[FBI] += n_bi.astype(np.int32)


def feature_strings(num: Numbering, pairs: tuple[Pairs, Pairs]) -> list[list[str]]:
    """Per kind (UNI, BI, FUNI, FBI), the token string of each feature number."""
    canon = list(num.canon)
    folded = list(num.folded)

    def pair_str(names: list[str], keys: np.ndarray) -> list[str]:  # C-level: map, not a Python loop
        left = map(names.__getitem__, (keys >> 32).tolist())
        right = map(names.__getitem__, (keys & 0xFFFFFFFF).tolist())
        return list(map("_".join, zip(left, right, strict=True)))

    return [canon, pair_str(canon, pairs[0].keys), folded, pair_str(folded, pairs[1].keys)]
