"""The Protocol the channels depend on: what ``bot/`` may ask of the knowledge door.

:class:`knowledge.service.Knowledge` implements it; tests may pass any object that does. Keeping the
channels on this Protocol (and off the database) is what lets a channel be tested without a store.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Protocol

from core.settings import Settings
from knowledge.answers.types import Answer
from knowledge.ingestion import IngestReport
from knowledge.scores.summary import ScoreSummary
from knowledge.search.retriever import Retriever
from knowledge.store.accounts import Accounts
from knowledge.tasks.actions import ActionResult, Actor
from knowledge.tasks.imports import ImportReport
from knowledge.tasks.query import AgencyTasks, TaskPage
from knowledge.tasks.views import TaskView

logger = logging.getLogger(__name__)


class KnowledgeAPI(Protocol):
    settings: Settings
    accounts: Accounts

    def refresh(self, *, force: bool = False) -> Retriever: ...

    def ask(self, question: str) -> Answer: ...

    def ingest(self, paths: list[Path], *, isolate: bool = False) -> IngestReport: ...

    def summary(self, *, args: str = "", year: int | None = None, province: str | None = None,
                index: str | None = None, chart: bool = True) -> ScoreSummary: ...

    def tasks_for_agency(self, agency: str, *, today: date | None = None) -> AgencyTasks: ...

    def tasks_due(self, start: date, end: date, *, agency: str | None = None,
                  today: date | None = None) -> list[TaskView]: ...

    def import_schedule(self, path: Path, *, isolate: bool = False) -> ImportReport: ...

    def mark_done(self, task_id: int, *, by: str, channel: str) -> TaskView: ...

    def task_page(self, agency: str | int, *, offset: int = 0, limit: int = 10, today: date | None = None,
                  due_until: date | None = None) -> TaskPage: ...

    def find_task(self, code: str) -> int: ...

    def task_action(self, task_id: int, action: str, actor: Actor, *, days: int | None = None,
                    version: int | None = None) -> ActionResult: ...

    def task_quote(self, task_id: int, actor: Actor) -> str: ...

    def record_answer(self, *, user_id: int | None, channel: str, answer: Answer) -> int: ...

    def rate_answer(self, feedback_id: int, *, user_id: int, rating: int) -> bool: ...
