"""``Knowledge``: the one door the CLI and the channels use. Every use case they need is a typed method
here (ask, search, summary, tasks, task actions, imports, accounts, feedback); they never hold a
session, a model or an index. :class:`knowledge.api.KnowledgeAPI` is the Protocol they depend on.

It owns the database handle and the in-memory retriever, which follows the store
(:mod:`knowledge.search.keeper`): changes by any process are picked up incrementally.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Collection, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from core.errors import CchcError, IndexNotReadyError
from core.settings import Settings
from ingest.limits import Limits
from ingest.sandbox import Isolation, check_table_isolated
from knowledge import answerers, facts
from knowledge.answers import engine
from knowledge.answers.llm_stage import STATS_FILE, GenerativeStage
from knowledge.answers.policy import RefusalPolicy
from knowledge.answers.types import Answer
from knowledge.ingestion import IngestReport, ingest_paths
from knowledge.scores import imports as score_imports
from knowledge.scores import query as score_query
from knowledge.scores.summary import ScoreSummary, summarize
from knowledge.search.keeper import IndexKeeper
from knowledge.search.lexical import LexicalParams
from knowledge.search.retriever import DenseLeg, Filters, Hit, Retriever
from knowledge.store import agencies, feedback
from knowledge.store import documents as docstore
from knowledge.store.accounts import Accounts
from knowledge.store.agencies import load_registry
from knowledge.store.db import Database
from knowledge.tasks import actions, imports
from knowledge.tasks import query as task_query
from knowledge.tasks import refresh as task_refresh
from knowledge.tasks.views import TaskView

logger = logging.getLogger(__name__)

_BUILTINS = answerers  # importing it registers the built-in answerers and fact extractors


class Knowledge:
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url, echo=settings.database.echo)
        self.accounts = Accounts(self.db, settings)
        self.policy = RefusalPolicy.from_settings(settings.answer)
        self._keeper = self._new_keeper()
        self._lock = threading.Lock()
        self._llm: GenerativeStage | None = None

    @property
    def params(self) -> LexicalParams:
        return LexicalParams.from_settings(self.settings.retrieval)

    # ------------------------------------------------------------------ documents
    def ingest(self, paths: list[Path], *, isolate: bool = False) -> IngestReport:
        """Ingest files/folders (``isolate``: parse each in a limited child process), then rebuild the
        derived facts of every document whose facts are not complete: the ones just written and any
        left behind by an interrupted run. The index follows by itself (every process's keeper sees
        the store generation move); this process checks at its next use."""
        report = ingest_paths(self.db, self.settings, paths, isolate=isolate)
        stale = docstore.stale_facts(self.db, facts.FACTS_VERSION)
        if report.ingested:
            self._keeper.mark_stale()
        if stale:
            self.refresh_facts(stale)
            docstore.mark_facts(self.db, stale, facts.FACTS_VERSION)
            written = set(report.changed)
            report.repaired = [d["source"] for d in self.documents() if d["id"] in stale and d["id"] not in written]
            if report.repaired:
                logger.warning("derived facts repaired for %d document(s) left incomplete", len(report.repaired))
        return report

    def refresh_facts(self, documents: Collection[int] | None = None) -> dict[str, object]:
        """Re-extract the derived facts (index results, tasks) of all or the given documents."""
        return facts.refresh_facts(self.db, documents)

    def rebuild(self) -> dict[str, Any]:
        """Rebuild every derived fact of every document and the search index from the stored text."""
        reports = self.refresh_facts(None)
        docstore.mark_facts(self.db, None, facts.FACTS_VERSION)
        retriever = self.refresh(force=True)
        out: dict[str, Any] = {"documents": len(self.documents()), "passages": len(retriever.passages)}
        for name, rep in reports.items():
            as_dict = getattr(rep, "as_dict", None)
            out[name] = as_dict() if callable(as_dict) else str(rep)
        return out

    def documents(self) -> list[dict[str, Any]]:
        return [
            {"id": d.id, "source": d.source, "title": docstore.display_title(d), "type": d.doc_type,
             "number": d.number, "date": d.date, "province": d.province, "passages": n}
            for d, n in docstore.document_rows(self.db)
        ]

    def remove_document(self, ident: str) -> dict[str, Any]:
        """Remove a document (by id or source) with its passages and facts in one transaction; the
        indexes of every process drop it when they see the store generation move."""
        removed = docstore.remove_document(self.db, ident)
        if removed is None:
            raise CchcError(f"Không có văn bản nào có mã hoặc tên '{ident}'. Xem danh sách: cchc documents list")
        self._keeper.mark_stale()  # every process (this one at its next use) drops it by difference
        return removed

    def facts_status(self) -> list[str]:
        """Sources of the documents whose derived facts are incomplete (for ``cchc doctor``)."""
        stale = set(docstore.stale_facts(self.db, facts.FACTS_VERSION))
        return [d["source"] for d in self.documents() if d["id"] in stale]

    # ------------------------------------------------------------------ index
    def refresh(self, *, force: bool = False) -> Retriever:
        """Catch up with the store now (``force``: rebuild the whole index from the store and save it)."""
        if force:
            folder = self.settings.index_dir / "lexical"
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
            self._keeper = self._new_keeper()
        self._keeper.mark_stale()
        return self._keeper.retriever()

    def _new_keeper(self) -> IndexKeeper:
        r = self.settings.retrieval
        dense = self._dense if self.settings.embedding.model else None
        return IndexKeeper(self.db, self.settings.index_dir / "lexical", self.params, check_seconds=r.check_seconds,
                           dense=dense, dense_weight=r.dense_weight)

    def _dense(self, passages: list[docstore.PassageRecord]) -> DenseLeg | None:
        from knowledge.search.dense import DenseIndex  # heavy imports only when configured

        dense = DenseIndex.open(self.settings)
        dense.sync([(p.id, f"{p.context}\n{p.text}") for p in passages])
        return dense

    @property
    def retriever(self) -> Retriever:
        """The retriever, following the store: a document ingested or removed by any process is
        searched (or no longer) here within ``retrieval.check_seconds`` plus the catch-up time."""
        retriever = self._keeper.retriever()
        if not retriever.passages:
            raise IndexNotReadyError()
        return retriever

    # ------------------------------------------------------------------ questions
    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        return self.retriever.search(query, k, filters)

    def ask(self, question: str) -> Answer:
        ctx = engine.AnswerContext(self.db, self.settings, self.policy, lambda: self.retriever)
        answer = engine.ask(ctx, question)
        stage = self._llm_stage()
        if stage is None:
            return answer
        return stage.apply(answer, self._passages, load_registry(self.db), self.settings.province, self._related)

    def _llm_stage(self) -> GenerativeStage | None:
        """The optional generated-answer stage (``llm.enabled``; docs/llm.md), built once."""
        if not self.settings.llm.enabled:
            return None
        with self._lock:
            if self._llm is None:
                self._llm = GenerativeStage(self.settings.llm, self.settings.home / STATS_FILE)
            return self._llm

    def _related(self, question: str) -> list[docstore.PassageRecord]:
        return [h.passage for h in self.search(question, self.settings.llm.max_passages)]

    def _passages(self, ids: Iterable[int]) -> list[docstore.PassageRecord]:
        wanted = set(ids)
        return [p for p in self.retriever.passages if p.id in wanted]

    # ------------------------------------------------------------------ index results
    def scores(self, *, index: str | None = None, year: int | None = None, province: str | None = None,
               field_name: str | None = None) -> list[dict[str, Any]]:
        return score_query.query(self.db, index=index, year=year, province=province, field_name=field_name)

    def score_targets(self, *, province: str | None = None, index: str | None = None) -> list[dict[str, Any]]:
        return score_query.targets(self.db, province=province, index=index)

    def import_scores(self, path: Path) -> score_imports.ImportReport:
        return score_imports.import_table(self.db, path, Limits.from_settings(self.settings.ingest))

    def summary(self, *, args: str = "", year: int | None = None, province: str | None = None,
                index: str | None = None, chart: bool = True) -> ScoreSummary:
        return summarize(self.db, args=args, year=year, province=province, index=index,
                         home_province=self.settings.province, chart=chart)

    # ------------------------------------------------------------------ tasks
    def tasks_for_agency(self, agency: str, *, today: date | None = None) -> task_query.AgencyTasks:
        return task_query.tasks_for_agency(self.db, agency, today=today)

    def tasks_due(self, start: date, end: date, *, agency: str | None = None,
                  today: date | None = None) -> list[TaskView]:
        return task_query.tasks_due_between(self.db, start, end, agency=agency, today=today)

    def list_tasks(self, *, agency: str | None = None, due_before: date | None = None) -> list[TaskView]:
        return task_query.list_tasks(self.db, agency=agency, due_before=due_before)

    def extract_tasks(self) -> task_refresh.RefreshReport:
        return task_refresh.refresh_from_documents(self.db)

    def import_schedule(self, path: Path, *, isolate: bool = False) -> imports.ImportReport:
        """Import a schedule sheet; ``isolate``: read it first in a limited child process (uploads)."""
        limits = Limits.from_settings(self.settings.ingest)
        if isolate:
            check_table_isolated(path, limits=limits, isolation=Isolation.from_settings(self.settings.ingest))
        return imports.import_schedule(self.db, path, limits)

    def mark_done(self, task_id: int, *, by: str, channel: str) -> TaskView:
        return actions.mark_done(self.db, task_id, by=by, channel=channel)

    def task_history(self, task_id: int) -> list[dict[str, Any]]:
        return actions.history(self.db, task_id)

    def task_page(self, agency: str | int, *, offset: int = 0, limit: int = 10, today: date | None = None,
                  due_until: date | None = None) -> task_query.TaskPage:
        return task_query.task_page(self.db, agency, offset=offset, limit=limit, today=today, due_until=due_until)

    def find_task(self, code: str) -> int:
        return actions.find_task_id(self.db, code)

    def task_action(self, task_id: int, action: str, actor: actions.Actor, *, days: int | None = None,
                    version: int | None = None) -> actions.ActionResult:
        """done / snooze / undo, each behind the one authorization rule (:func:`actions.may_act`)."""
        if action == "done":
            return actions.complete(self.db, task_id, actor, version=version)
        if action == "snooze":
            return actions.snooze(self.db, task_id, actor, days or 1, version=version)
        if action == "undo":
            return actions.undo(self.db, task_id, actor, version=version)
        raise ValueError(f"unknown task action {action!r}")

    def task_quote(self, task_id: int, actor: actions.Actor) -> str:
        return actions.quote(self.db, task_id, actor)

    # ------------------------------------------------------------------ agencies
    def agencies(self) -> list[dict[str, Any]]:
        return agencies.list_agencies(self.db)

    def seed_agencies(self, path: Path | None = None) -> int:
        return agencies.seed_from_file(self.db, path)

    # ------------------------------------------------------------------ feedback
    def record_answer(self, *, user_id: int | None, channel: str, answer: Answer) -> int:
        return feedback.record_answer(self.db, user_id=user_id, channel=channel, answer=answer)

    def rate_answer(self, feedback_id: int, *, user_id: int, rating: int) -> bool:
        return feedback.rate(self.db, feedback_id, user_id=user_id, rating=rating)

    def export_feedback(self, *, rated_only: bool = False) -> list[dict[str, Any]]:
        return feedback.export(self.db, rated_only=rated_only)

    def close(self) -> None:
        if self._llm is not None:
            self._llm.composer.close()
        self.db.dispose()
