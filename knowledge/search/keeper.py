"""Keeps one process's retriever in step with the store, whoever changes the store.

Every answering process (chat, each webhook worker, the CLI) reads the store generation at most
every ``retrieval.check_seconds``; when it moved, it diffs the stored documents against the ones
its retriever holds and applies only the difference: new documents' passages are analysed into a
new index segment, removed ones are marked dead. The new retriever is swapped in with one
attribute assignment, so answers in flight finish on the version they started with.

At start the persisted index (``index_dir/lexical``) is loaded and brought up to date the same way;
it is saved again only after a full build or when the difference applied was large.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from knowledge.search.lexical import LexicalIndex, LexicalParams
from knowledge.search.restore import form_table
from knowledge.search.retriever import DenseLeg, Retriever
from knowledge.store import documents as docstore
from knowledge.store import generation
from knowledge.store.db import Database
from knowledge.store.documents import PassageRecord

logger = logging.getLogger(__name__)

MERGE_DEAD_FRACTION = 0.3  # merge every segment when this share of rows is dead
EXACT_MAX_PASSAGES = 10_000  # up to this size a catch-up ends with a merge (well under a second)
SAVE_CHANGED_FRACTION = 0.1  # save the index again when a catch-up changed this share of it


@dataclass(frozen=True)
class IndexState:
    retriever: Retriever
    generation: int
    documents: dict[str, list[int]]  # document key (id, hash, ingest time) -> its passage ids


DenseSync = Callable[[list[PassageRecord]], DenseLeg | None]


class IndexKeeper:
    def __init__(self, db: Database, folder: Path, params: LexicalParams, *, check_seconds: float = 2.0,
                 dense: DenseSync | None = None, dense_weight: float = 0.0) -> None:
        self.db = db
        self.folder = folder
        self.params = params
        self.check_seconds = check_seconds
        self._dense = dense
        self._dense_weight = dense_weight
        self._state: IndexState | None = None
        self._checked = 0.0
        self._lock = threading.Lock()  # one thread loads or catches up at a time

    def retriever(self) -> Retriever:
        """The current retriever, caught up with the store if the last check is older than
        ``check_seconds``. Never waits for another thread's catch-up: it answers from the version
        it has meanwhile."""
        state = self._state
        if state is None:
            with self._lock:
                if self._state is None:
                    loaded = self._load()
                    index = loaded.retriever.index
                    form_table(index.vocab, index.stats.kind)  # so the first unaccented question does not build it
                    self._state = loaded
                    self._checked = time.monotonic()
            state = self._state
        elif time.monotonic() - self._checked >= self.check_seconds:
            self.follow()
            state = self._state
        assert state is not None
        return state.retriever

    def mark_stale(self) -> None:
        """Check the store at the next access (this process changed it)."""
        self._checked = 0.0

    def follow(self) -> bool:
        """Catch up with the store if its generation moved. True when a new retriever was swapped in."""
        if self._state is None or not self._lock.acquire(blocking=False):
            return False
        try:
            self._checked = time.monotonic()
            state = self._state
            if generation.current(self.db) == state.generation:
                return False
            gen, keys = generation.snapshot(self.db)
            new = self._apply(state, gen, keys)
            self._state = new
            return new.retriever is not state.retriever
        finally:
            self._lock.release()

    @property
    def generation(self) -> int | None:
        return self._state.generation if self._state else None

    # ------------------------------------------------------------------ internals
    def _apply(self, state: IndexState, gen: int, keys: dict[str, int]) -> IndexState:
        gone = state.documents.keys() - keys.keys()
        new = keys.keys() - state.documents.keys()
        if not gone and not new:
            return IndexState(state.retriever, gen, state.documents)
        t = time.perf_counter()
        added = docstore.load_passages(self.db, [keys[k] for k in new])
        removed = {pid for k in gone for pid in state.documents[k]}
        retriever = state.retriever.changed(added, removed)
        if len(retriever.passages) <= EXACT_MAX_PASSAGES or retriever.index.dead_fraction > MERGE_DEAD_FRACTION:
            # Merging renormalises every weight with the statistics of the live passages: the
            # index then scores exactly as a fresh build, whatever this process's history.
            retriever = self._retriever(retriever.passages, retriever.index.merged())
        elif self._dense is not None:
            retriever = self._retriever(retriever.passages, retriever.index)
        documents = {k: v for k, v in state.documents.items() if k not in gone} | _group(added, keys, new)
        logger.info("index caught up to generation %d: %d documents added (%d passages), %d removed, in %.2f s",
                    gen, len(new), len(added), len(gone), time.perf_counter() - t)
        return IndexState(retriever, gen, documents)

    def _retriever(self, passages: list[PassageRecord], index: LexicalIndex) -> Retriever:
        dense = self._dense(passages) if self._dense is not None else None
        return Retriever(passages, index, dense=dense, dense_weight=self._dense_weight)

    def _load(self) -> IndexState:
        """The persisted index caught up with the store, or a full build (then saved)."""
        gen, keys = generation.snapshot(self.db)
        passages = docstore.load_passages(self.db)
        documents = _group(passages, keys, set(keys))
        saved = self._load_saved()
        if saved is None:
            t = time.perf_counter()
            index = LexicalIndex.build(((p.id, p.context, p.text) for p in passages), self.params)
            logger.info("lexical index built: %d passages in %.1f s", len(index), time.perf_counter() - t)
            state = IndexState(self._retriever(passages, index), gen, documents)
            return self._save(state)
        index, saved_docs = saved
        known = {pid for k in saved_docs.keys() & keys.keys() for pid in saved_docs[k]}
        base = self._retriever([p for p in passages if p.id in known], index)
        state = self._apply(IndexState(base, -1, saved_docs), gen, keys)
        changed = sum(len(v) for k, v in saved_docs.items() if k not in keys) + len(passages) - len(known)
        if changed > SAVE_CHANGED_FRACTION * max(len(passages), 1):
            state = self._save(state)
        return state

    def _load_saved(self) -> tuple[LexicalIndex, dict[str, list[int]]] | None:
        loaded = LexicalIndex.load(self.folder)
        if loaded is None:
            return None
        index, fingerprint = loaded
        docs = _documents_of(fingerprint)
        if index.params != self.params or docs is None:
            return None
        return index, docs

    def _save(self, state: IndexState) -> IndexState:
        """Save the state's index, then serve it from the saved files (memory-mapped, so shared
        with the other processes on this host that load them) instead of this process's copy."""
        try:
            state.retriever.index.save(self.folder, json.dumps({"documents": state.documents}))
        except OSError as exc:  # another process saving at the same moment: its copy will do
            logger.warning("lexical index not saved (%s)", exc)
            return state
        saved = self._load_saved()
        try:
            return state if saved is None else IndexState(state.retriever.with_index(saved[0]), state.generation,
                                                          state.documents)
        except ValueError:  # another process saved a different version in between
            return state


def _group(passages: list[PassageRecord], keys: dict[str, int], wanted: set[str]) -> dict[str, list[int]]:
    """Passage ids by document key, for the document keys ``wanted`` (documents with no passage too)."""
    by_id: dict[int, list[int]] = {}
    for p in passages:
        by_id.setdefault(p.document_id, []).append(p.id)
    return {k: by_id.get(keys[k], []) for k in wanted}


def saved_documents(folder: Path) -> dict[str, list[int]] | None:
    """The document keys (and passage ids) a saved index covers, or None when there is none."""
    loaded = LexicalIndex.load(folder)
    return _documents_of(loaded[1]) if loaded is not None else None


def _documents_of(fingerprint: str) -> dict[str, list[int]] | None:
    try:
        docs = json.loads(fingerprint)["documents"]
        return {str(k): [int(i) for i in v] for k, v in docs.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
