"""The knowledge facade the CLI and the channels use: ingest files, search, answer.

It owns the database handle and the in-memory retriever (loaded from the persisted lexical index;
rebuilt only when the stored passages changed).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cchc.errors import CchcError, IndexNotReadyError, IngestError
from cchc.settings import Settings
from ingest.pipeline import expand_paths, parse_file, sha256_of
from knowledge import agencies, scores, store, tasks
from knowledge.answer import Answer, compose
from knowledge.db import Database
from knowledge.lexical import LexicalIndex, LexicalParams
from knowledge.retriever import Filters, Hit, Retriever

logger = logging.getLogger(__name__)


@dataclass
class IngestReport:
    ingested: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"ingested": self.ingested, "skipped": self.skipped, "failed": self.failed}


class Knowledge:
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url, echo=settings.database.echo)
        self._retriever: Retriever | None = None
        self._lock = threading.Lock()

    @property
    def params(self) -> LexicalParams:
        return LexicalParams.from_settings(self.settings.retrieval)

    # ------------------------------------------------------------------ ingest
    def ingest(self, paths: list[Path]) -> IngestReport:
        report = IngestReport()
        changed: list[int] = []
        max_bytes = int(self.settings.ingest.max_file_mb * 1024 * 1024)
        files = expand_paths(paths)
        for path in files:
            try:
                if not path.exists():
                    raise IngestError(f"{path}: không tìm thấy tệp", path=str(path))
                sha = sha256_of(path)
                if self._existing_sha(path.name) == sha:
                    report.skipped.append(path.name)
                    continue
                parsed = parse_file(
                    path,
                    sha256=sha,
                    max_bytes=max_bytes,
                    max_pages=self.settings.ingest.max_pdf_pages,
                    max_chars=self.settings.ingest.chunk_chars,
                )
                if not parsed.chunks:
                    raise IngestError(f"{path.name}: không tách được đoạn văn nào", path=str(path))
                doc_id, status = store.replace_document(self.db, parsed)
                (report.skipped if status == "skipped" else report.ingested).append(path.name)
                if status != "skipped":
                    changed.append(doc_id)
                logger.info("%s: %s (%d passages)", path.name, status, len(parsed.chunks))
            except CchcError as exc:
                logger.warning("ingest failed for %s: %s", path.name, exc)
                report.failed.append({"path": str(path), "error": str(exc)})
        if report.ingested:
            self.refresh(force=True)
            self.refresh_facts(changed)
        return report

    def refresh_facts(self, documents: list[int] | None = None) -> None:
        """Re-extract the structured facts (index results, assigned tasks) from the stored documents
        (all of them, or the ``documents`` just ingested).

        Each extractor is a library function ``f(db, documents=None) -> object`` registered below.
        """
        extractors: list[Any] = []
        # -- fact extractors (one line each; see knowledge/scores.py, knowledge/tasks.py) --
        extractors.append(tasks.refresh_from_documents)
        extractors.append(scores.refresh_from_documents)
        for extract in extractors:
            extract(self.db, documents)

    def _existing_sha(self, source: str) -> str | None:
        with self.db.session() as s:
            doc = store.find_by_source(s, source)
            return doc.sha256 if doc else None

    # ------------------------------------------------------------------ index
    def refresh(self, *, force: bool = False) -> Retriever:
        """Load the persisted index if it matches the store; rebuild and save it otherwise."""
        with self._lock:
            fp = store.fingerprint(self.db)
            folder = self.settings.index_dir / "lexical"
            loaded = None if force else LexicalIndex.load(folder)
            passages = store.load_passages(self.db)
            if loaded is not None and loaded[1] == fp:
                index = loaded[0]
            else:
                index = LexicalIndex.build(((p.id, p.context, p.text) for p in passages), self.params)
                index.save(folder, fp)
                logger.info("lexical index built: %d passages", len(index))
            dense = self._dense(passages)
            self._retriever = Retriever(passages, index, dense=dense, dense_weight=self.settings.retrieval.dense_weight)
            return self._retriever

    def _dense(self, passages: list[store.PassageRecord]) -> Any:
        if not self.settings.embedding.model:
            return None
        from knowledge.dense import DenseIndex  # heavy imports only when configured

        dense = DenseIndex.open(self.settings)
        dense.sync([(p.id, f"{p.context}\n{p.text}") for p in passages])
        return dense

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self.refresh()
        assert self._retriever is not None
        if not self._retriever.passages:
            raise IndexNotReadyError()
        return self._retriever

    # ------------------------------------------------------------------ queries
    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        return self.retriever.search(query, k, filters)

    def ask(self, question: str) -> Answer:
        a = self.settings.answer
        # -- structured answerers (score results, responsibilities) go first; None = not theirs --
        structured = scores.answer_score_question(self.db, question, home_province=self.settings.province)
        if structured is None:
            structured = tasks.answer_responsibility_question(self.db, question)
        if structured is not None:
            return structured
        answer = compose(
            question,
            self.retriever,
            passages=a.passages,
            max_sentences=a.max_sentences,
            min_coverage=a.min_coverage,
            max_chars=a.max_question_chars,
            home_province=self.settings.province,
        )
        return self._with_successor_notes(answer)

    def _with_successor_notes(self, answer: Answer) -> Answer:
        """A question about a merged or abolished body gets the documents' answer plus who holds
        that responsibility now ("Sở KH&ĐT" -> Sở Tài chính, per the 2025 reorganisation)."""
        if answer.refused:
            return answer
        reg = agencies.load_registry(self.db)
        if reg.province and any(c.province and c.province != reg.province for c in answer.citations):
            return answer  # the registry's successors are this province's, not the cited one's
        notes = []
        for m in reg.mentions(answer.question):
            note = reg.successor_note(m.agency_id)
            if note and note not in notes:
                notes.append(note)
        if notes:
            answer.text += "\n\nLưu ý: " + " ".join(notes)
        return answer

    def close(self) -> None:
        self.db.dispose()
