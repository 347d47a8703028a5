"""Passages -> sparse feature rows for the lexical index: the analyser's eight feature fields (body
and heading x syllable, bigram, folded syllable, folded bigram), counted per passage, in chunks that
worker processes can analyse in parallel."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context

import numpy as np

from core.text import analyze

logger = logging.getLogger(__name__)

KIND_NAMES = tuple(f"{t}{k}" for t in ("", "t") for k in ("u", "b", "fu", "fb"))
PARALLEL_MIN = 20_000  # passages from which a build analyses in chunks (worker processes if allowed)
CHUNK_MIN = 5_000  # passages per chunk (one segment each), at least
BATCH = 2_000  # passages analysed together inside a chunk
Doc = tuple[int, str, str]  # (passage id, heading context, text)


@dataclass(frozen=True)
class Encoded:
    """Analysed passages as compressed sparse rows of chunk-local features (what a worker returns)."""

    ids: np.ndarray  # int64, one per passage
    terms: list[str]  # local feature number -> "kind:token"
    term_kind: np.ndarray  # int8 per local feature (index into KIND_NAMES)
    indptr: np.ndarray  # int64 (passages + 1)
    cols: np.ndarray  # int32 per entry (local feature number)
    tfs: np.ndarray  # uint16 per entry
    dl: np.ndarray  # int32 (kinds, passages): field lengths


def encode(docs: Sequence[Doc]) -> Encoded:
    """Analyse passages into sparse rows. Pure, so it can run in a worker process.

    Passages are analysed in batches of ``BATCH`` (only one batch's token strings are alive at a
    time); per field kind a batch's tokens are numbered with C-level dict look-ups, and (row,
    feature) pairs are counted with one numpy sort: no per-token Python loop."""
    n = len(docs)
    vocabs: list[dict[str, int]] = [{} for _ in KIND_NAMES]  # per kind: token -> chunk feature number
    dl = np.zeros((len(KIND_NAMES), n), dtype=np.int32)
    contexts: dict[str, tuple[list[str], ...]] = {}  # heading paths repeat across passages
    keys: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    n_terms = 0
    for start in range(0, n, BATCH):
        flat: list[list[str]] = [[] for _ in KIND_NAMES]
        for row, (_pid, context, text) in enumerate(docs[start : start + BATCH], start):
            ctx = contexts.get(context)
            if ctx is None:
                a = analyze(context)
                ctx = contexts[context] = (a.uni, a.bi, a.funi, a.fbi)
            b = analyze(text)
            for code, toks in enumerate((b.uni, b.bi, b.funi, b.fbi, *ctx)):
                dl[code, row] = len(toks)
                flat[code].extend(toks)
        batch_keys = []
        for code, toks in enumerate(flat):
            if not toks:
                continue
            vocab = vocabs[code]
            for tok in dict.fromkeys(toks).keys() - vocab.keys():
                vocab[tok] = n_terms
                n_terms += 1
            codes = np.fromiter(map(vocab.__getitem__, toks), dtype=np.int64, count=len(toks))
            rows = np.repeat(np.arange(start, start + len(dl[code, start : start + BATCH]), dtype=np.int64),
                             dl[code, start : start + BATCH])
            batch_keys.append((rows << 32) | codes)
        if batch_keys:
            k, c = np.unique(np.concatenate(batch_keys), return_counts=True)
            keys.append(k)
            counts.append(np.minimum(c, 65535).astype(np.uint16))
        if len(contexts) > BATCH:  # headings repeat within a document, rarely across a chunk
            contexts.clear()
    terms = [""] * n_terms
    term_kind = np.zeros(n_terms, dtype=np.int8)
    for code, vocab in enumerate(vocabs):
        for tok, i in vocab.items():
            terms[i] = f"{KIND_NAMES[code]}:{tok}"
            term_kind[i] = code
    key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(key >> 32, minlength=n), out=indptr[1:])
    tf = np.concatenate(counts) if counts else np.zeros(0, dtype=np.uint16)
    return Encoded(
        np.asarray([d[0] for d in docs], dtype=np.int64), terms, term_kind, indptr,
        (key & 0xFFFFFFFF).astype(np.int32), tf, dl,
    )


def encode_chunks(docs: list[Doc], workers: int | None = None) -> Iterator[Encoded]:
    """Analyse in chunks (one segment each), in worker processes when the batch is large; chunks
    are yielded in order as they are done, so the caller can turn each into a segment and drop it."""
    if len(docs) < PARALLEL_MIN:
        if docs:
            yield encode(docs)
        return
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    size = max(CHUNK_MIN, -(-len(docs) // (max(workers, 2) * 4)))
    chunks = [docs[i : i + size] for i in range(0, len(docs), size)]
    if workers <= 1:
        yield from map(encode, chunks)
        return
    # fork: the workers share the parent's loaded analyser and need no main-module re-import; they
    # only run ``encode`` (no logging, no locks), so threads elsewhere in the parent do not matter.
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(workers, mp_context=get_context(method)) as pool:
        yield from pool.map(encode, chunks)
