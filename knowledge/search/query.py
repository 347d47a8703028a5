"""A question -> weighted feature columns of the lexical index (the query side of
:class:`knowledge.search.lexical.LexicalIndex`).

Besides the question's own features (syllables, bigrams, folded forms; each in the body and the
heading field), three classes of questions get help from what the index knows:

- typed without diacritics: accented features restored from the index's statistics
  (:mod:`knowledge.search.restore`), weighted by their probability;
- naming a document ("Theo Bộ luật Dân sự 2015, ..."): a term found mostly in headings (its heading
  document frequency more than ``SCOPE_RATIO`` times its body one, in at least ``SCOPE_MIN_DF``
  passages) says which document, not what the passage says: it is matched in headings only, with
  ``SCOPE_BOOST`` times the weight, so the body of other documents that merely cite the name
  ("Bộ luật này có hiệu lực ...") does not outrank the right article;
- asking for a definition ("X là gì?") or citing an article ("theo Điều 22"): Vietnamese legal
  texts define terms in an article headed "Giải thích từ ngữ" and head articles "Điều N", so those
  heading words are added to the heading field with ``HINT_WEIGHT``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import numpy as np

from core.text import QUESTION_STOP, analyze, fold_chars, fold_token, has_diacritics, is_definition, nfc, query_text, words
from knowledge.search.restore import restore
from knowledge.search.segments import Stats

logger = logging.getLogger(__name__)

RESTORE_WEIGHT = 1.0  # restored accented features, times their probability
SCOPE_RATIO = 2.0
SCOPE_MIN_DF = 20
SCOPE_BOOST = 2.0
HINT_WEIGHT = 1.0
DEFINITION_HEADING = "giải thích từ ngữ"
_ARTICLE_RE = re.compile(r"\bdieu (\d{1,4})\b")


def stop(tok: str) -> bool:
    return fold_token(tok) in QUESTION_STOP


class _Features:
    """Feature columns and weights being collected for one query."""

    def __init__(self, vocab: dict[str, int], ncols: int) -> None:
        self.vocab = vocab
        self.ncols = ncols
        self.weights: dict[int, float] = {}
        self.body_title: list[tuple[int, int]] = []  # (body column, heading column) of the same token

    def add(self, kind: str, toks: Iterable[str], weight: float = 1.0, *, fields: tuple[str, ...] = ("", "t")) -> None:
        for tok in toks:
            if kind.endswith("u") and stop(tok):
                continue
            cols = []
            for prefix in fields:
                col = self.vocab.get(f"{prefix}{kind}:{tok}")
                if col is not None and col < self.ncols:
                    self.weights[col] = self.weights.get(col, 0.0) + weight
                cols.append(col if col is not None and col < self.ncols else None)
            if len(cols) == 2 and cols[0] is not None and cols[1] is not None:
                self.body_title.append((cols[0], cols[1]))


def query_features(vocab: dict[str, int], stats: Stats, query: str) -> dict[int, float]:
    """Feature columns known to an index with statistics ``stats``, and their query weights."""
    df = stats.df
    text = query_text(query)
    a = analyze(text)
    f = _Features(vocab, len(df))
    if has_diacritics(query):
        f.add("u", set(a.uni))
        f.add("b", set(a.bi))
    elif RESTORE_WEIGHT > 0:
        r = restore([fold_token(w) for w in words(text)], vocab, df, stats.kind, stats.rows)
        for tok, p in r.uni.items():
            f.add("u", (tok,), RESTORE_WEIGHT * p)
        for tok, p in r.bi.items():
            f.add("b", (tok,), RESTORE_WEIGHT * p)
    f.add("fu", set(a.funi))
    f.add("fb", set(a.fbi))
    _scope(f, df)
    for hint in _heading_hints(query):
        h = analyze(hint, expand=False)
        for kind, toks in (("u", h.uni), ("b", h.bi), ("fu", h.funi), ("fb", h.fbi)):
            f.add(kind, set(toks), HINT_WEIGHT, fields=("t",))
    return f.weights


def _scope(f: _Features, df: np.ndarray) -> None:
    """Terms that mostly occur in headings are matched in headings only (see the module doc)."""
    for body, title in f.body_title:
        if df[title] >= SCOPE_MIN_DF and df[title] > SCOPE_RATIO * df[body] and f.weights.get(body):
            f.weights[title] = f.weights.get(title, 0.0) * SCOPE_BOOST
            f.weights[body] = 0.0


def _heading_hints(query: str) -> list[str]:
    """Heading words of the article a question asks about: "giải thích từ ngữ" for a definition,
    "điều N" for an article it cites."""
    q = fold_chars(nfc(query))
    hints = [DEFINITION_HEADING] if is_definition(query) else []
    hints += [f"điều {m.group(1)}" for m in _ARTICLE_RE.finditer(q)]
    return hints
