"""Vietnamese-aware lexical retrieval: multi-field BM25 in one sparse matrix.

Each passage contributes features from two fields (body text, heading context), each as syllable
unigrams, syllable bigrams, and their diacritic-free forms, plus glossary expansions. BM25 weights
are computed per (field, feature kind) and multiplied by the field and kind weights, so a query is
scored by summing a few matrix columns: the same sparse scoring bm25s uses.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from core.private import private_dir, private_files_in
from core.text import QUESTION_STOP, Analyzed, analyze, fold_token, has_diacritics, query_text

logger = logging.getLogger(__name__)

FORMAT_VERSION = 3


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


def _features(a: Analyzed, prefix: str) -> dict[str, list[str]]:
    return {
        f"{prefix}u": a.uni,
        f"{prefix}b": a.bi,
        f"{prefix}fu": a.funi,
        f"{prefix}fb": a.fbi,
    }


class LexicalIndex:
    def __init__(
        self,
        ids: np.ndarray,
        matrix: sparse.csc_matrix,
        vocab: dict[str, int],
        params: LexicalParams,
        idf: np.ndarray,
    ) -> None:
        self.ids = ids
        self.matrix = matrix
        self.vocab = vocab
        self.params = params
        self.idf = idf  # per feature, for sentence scoring in answers

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    # ------------------------------------------------------------------ build
    @classmethod
    def build(cls, docs: Iterable[tuple[int, str, str]], params: LexicalParams | None = None) -> LexicalIndex:
        """``docs``: (id, heading context, text)."""
        p = params or LexicalParams()
        ids: list[int] = []
        vocab: dict[str, int] = {}
        kind_names = [f"{t}{k}" for t in ("", "t") for k in ("u", "b", "fu", "fb")]
        kind_code = {k: i for i, k in enumerate(kind_names)}
        # Compact typed arrays: the 100x benchmark has hundreds of millions of entries.
        rows, cols, tfs, kinds = array("i"), array("i"), array("f"), array("b")
        doc_len: list[array] = [array("i") for _ in kind_names]
        contexts: dict[str, dict[str, list[str]]] = {}  # heading paths repeat across passages
        for row, (pid, context, text) in enumerate(docs):
            ids.append(pid)
            ctx = contexts.get(context)
            if ctx is None:
                ctx = contexts[context] = _features(analyze(context), "t")
            fields = _features(analyze(text), "") | ctx
            for kind, toks in fields.items():
                code = kind_code[kind]
                doc_len[code].append(len(toks))
                counts = Counter(toks)
                n_new = len(counts)
                cols.extend(vocab.setdefault(f"{kind}:{tok}", len(vocab)) for tok in counts)
                tfs.extend(counts.values())
                rows.extend([row] * n_new)
                kinds.extend([code] * n_new)
        n = len(ids)
        if n == 0:
            return cls(np.zeros(0, dtype=np.int64), sparse.csc_matrix((0, 0), dtype=np.float32), {}, p, np.zeros(0))
        r = np.frombuffer(rows, dtype=np.int32)
        c = np.frombuffer(cols, dtype=np.int32)
        tf_arr = np.frombuffer(tfs, dtype=np.float32)
        kind_arr = np.frombuffer(kinds, dtype=np.int8)
        df = np.bincount(c, minlength=len(vocab)).astype(np.float32)
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        weights = np.empty_like(tf_arr)
        for code, kind in enumerate(kind_names):
            sel = kind_arr == code
            dl = np.frombuffer(doc_len[code], dtype=np.int32).astype(np.float32)
            avg = float(dl.mean()) or 1.0
            norm = p.k1 * (1 - p.b + p.b * dl[r[sel]] / avg)
            weights[sel] = idf[c[sel]] * tf_arr[sel] * (p.k1 + 1) / (tf_arr[sel] + norm) * _kind_weight(kind, p)
        matrix = sparse.csc_matrix((weights, (r, c)), shape=(n, len(vocab)), dtype=np.float32)
        matrix.sort_indices()
        return cls(np.asarray(ids, dtype=np.int64), matrix, vocab, p, idf)

    # ------------------------------------------------------------------ query
    def query_features(self, query: str) -> dict[int, float]:
        """Matrix columns and weights for a query. Typed without diacritics -> folded features only."""
        a = analyze(query_text(query))
        folded_only = not has_diacritics(query)
        feats: dict[int, float] = {}

        def add(kind: str, toks: Sequence[str], w: float) -> None:
            for tok in set(toks):
                if kind.endswith("u") and _stop(tok):
                    continue
                for prefix in ("", "t"):
                    col = self.vocab.get(f"{prefix}{kind}:{tok}")
                    if col is not None:
                        feats[col] = feats.get(col, 0.0) + w

        if folded_only:
            add("fu", a.funi, 1.0)
            add("fb", a.fbi, 1.0)
        else:
            add("u", a.uni, 1.0)
            add("b", a.bi, 1.0)
            add("fu", a.funi, 1.0)
            add("fb", a.fbi, 1.0)
        return feats

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage: the weighted sum of the query's feature columns (C code:
        a CSC column slice times a small dense vector)."""
        feats = self.query_features(query)
        if not feats:
            return np.zeros(len(self), dtype=np.float32)
        cols = np.fromiter(feats.keys(), dtype=np.int64, count=len(feats))
        weights = np.fromiter(feats.values(), dtype=np.float32, count=len(feats))
        return np.asarray(self.matrix[:, cols] @ weights, dtype=np.float32)

    def search(self, query: str, k: int = 10, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        if len(self) == 0:
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
        """Write atomically: a temporary folder renamed over the old one."""
        private_dir(folder.parent)  # the new folder itself comes from mkdtemp: 0700
        tmp = Path(tempfile.mkdtemp(prefix=".index-", dir=folder.parent))
        np.savez(
            tmp / "matrix.npz",
            data=self.matrix.data,
            indices=self.matrix.indices,
            indptr=self.matrix.indptr,
            shape=np.asarray(self.matrix.shape),
            ids=self.ids,
            idf=self.idf,
        )
        (tmp / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        meta = {"format": FORMAT_VERSION, "fingerprint": fingerprint, "params": self.params.__dict__}
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        private_files_in(tmp)  # the folder is 0700 (mkdtemp); its files 0600 as well
        old = folder.with_name(folder.name + ".old")
        if folder.exists():
            if old.exists():
                shutil.rmtree(old)
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> tuple[LexicalIndex, str] | None:
        """The saved index and its fingerprint, or None when missing, old or damaged."""
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT_VERSION:
                return None
            z = np.load(folder / "matrix.npz")
            shape = tuple(int(x) for x in z["shape"])
            matrix = sparse.csc_matrix((z["data"], z["indices"], z["indptr"]), shape=shape)
            vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
            params = LexicalParams(**meta["params"])
            return cls(z["ids"], matrix, vocab, params, z["idf"]), str(meta.get("fingerprint", ""))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("lexical index at %s unreadable (%s); it will be rebuilt", folder, exc)
            return None


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


def _stop(tok: str) -> bool:
    return fold_token(tok) in QUESTION_STOP
