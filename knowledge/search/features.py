"""Passages -> sparse feature rows for the lexical index: the analyser's eight feature fields (body
and heading x syllable, bigram, folded syllable, folded bigram), counted per passage, in chunks that
worker processes can analyse in parallel."""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context

import numpy as np

from knowledge.search.analysis import FieldBatch, FieldCounts, Numbering, Pairs, count_field, feature_strings, field_tokens

logger = logging.getLogger(__name__)

KIND_NAMES = tuple(f"{t}{k}" for t in ("", "t") for k in ("u", "b", "fu", "fb"))
PARALLEL_MIN = 20_000  # passages from which a build analyses in chunks (worker processes if allowed)
CHUNK = 8_192  # passages per chunk (one segment each): a worker's memory is in proportion to it
BATCH = 2_000  # passages analysed together inside a chunk
Doc = tuple[int, str, str]  # (passage id, heading context, text)


@dataclass(frozen=True)
class Encoded:
    """Analysed passages as sparse (row, feature, count) entries of chunk-local features (what a
    worker returns). Entries are grouped by feature kind and sorted by row within a kind, so every
    feature's entries are in row order."""

    ids: np.ndarray  # int64, one per passage
    terms: list[str]  # local feature number -> "kind:token"
    term_kind: np.ndarray  # int8 per local feature (index into KIND_NAMES)
    rows: np.ndarray  # int32 per entry
    cols: np.ndarray  # int32 per entry (local feature number)
    tfs: np.ndarray  # uint16 per entry
    dl: np.ndarray  # int32 (kinds, passages): field lengths


def encode(docs: Sequence[Doc]) -> Encoded:
    """Analyse passages into sparse entries with the features of ``core.text.analyze``. Pure, so
    it can run in a worker process.

    Passages are analysed in batches of ``BATCH`` (only one batch's token strings are alive at a
    time); syllables are numbered with C-level dict look-ups and bigrams are pairs of numbers
    (``knowledge.search.analysis``), so there is no per-token Python code and strings are made
    only for distinct features."""
    n = len(docs)
    dl = np.zeros((len(KIND_NAMES), n), dtype=np.int32)
    fields = [(Numbering(), (Pairs(), Pairs()), FieldCounts()) for _ in range(2)]  # body, heading
    contexts: dict[str, tuple[str, list[str]]] = {}  # heading paths repeat across passages
    for start in range(0, n, BATCH):
        body, head = FieldBatch(), FieldBatch()
        for row, (_pid, context, text) in enumerate(docs[start : start + BATCH], start):
            ctx = contexts.get(context)
            if ctx is None:
                ctx = contexts[context] = field_tokens(context)
            body.add(row, *field_tokens(text))
            head.add(row, *ctx)
        for f, (batch, (num, pairs, counts)) in enumerate(zip((body, head), fields, strict=True)):
            count_field(batch, num, pairs, counts, dl[4 * f : 4 * f + 4])
        if len(contexts) > BATCH:  # headings repeat within a document, rarely across a chunk
            contexts.clear()
    return _assemble(np.asarray([d[0] for d in docs], dtype=np.int64), fields, dl)


def _assemble(ids: np.ndarray, fields: list[tuple[Numbering, tuple[Pairs, Pairs], FieldCounts]],
              dl: np.ndarray) -> Encoded:
    """Number the features of all kinds one after another and gather the entries."""
    terms: list[str] = []
    kinds, rows, cols, tfs = [], [], [], []
    for f, (num, pairs, counts) in enumerate(fields):
        for kind, names in enumerate(feature_strings(num, pairs)):
            code = 4 * f + kind
            offset = len(terms)
            terms.extend(map(f"{KIND_NAMES[code]}:".__add__, names))
            kinds.append(np.full(len(names), code, dtype=np.int8))
            if counts.keys[kind]:
                key = np.concatenate(counts.keys[kind])
                counts.keys[kind].clear()  # freed kind by kind: a chunk's entries are held about twice at most
                rows.append((key >> 32).astype(np.int32))
                cols.append((key & 0xFFFFFFFF).astype(np.int32) + offset)
                del key
                tfs.append(np.concatenate(counts.counts[kind]))
                counts.counts[kind].clear()
    return Encoded(
        ids, terms, np.concatenate(kinds), _cat(rows, np.int32), _cat(cols, np.int32), _cat(tfs, np.uint16), dl
    )


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def encode_chunks(docs: list[Doc], workers: int | None = None) -> Iterator[Encoded]:
    """Analyse in chunks of ``CHUNK`` passages (one segment each), in worker processes when the
    batch is large. Chunks are yielded in order as they are done, so the caller can turn each into a
    segment and drop it; at most ``workers + 1`` chunks are in flight, so results cannot pile up in
    memory when the caller is slower than the workers."""
    if len(docs) < PARALLEL_MIN:
        if docs:
            yield encode(docs)
        return
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    chunks = (docs[i : i + CHUNK] for i in range(0, len(docs), CHUNK))
    if workers <= 1:
        yield from map(encode, chunks)
        return
    # fork: the workers share the parent's loaded analyser and need no main-module re-import; they
    # only run ``encode`` (no logging, no locks), so threads elsewhere in the parent do not matter.
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(workers, mp_context=get_context(method)) as pool:
        pending: deque[Future[Encoded]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(encode, chunk))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
