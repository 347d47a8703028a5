"""The answer engine: registered answerers, tried in order; the first that answers wins.

An answerer is a function ``(AnswerContext, question) -> Answer | None``: ``None`` means "not mine".
Structured answerers (index results, responsibilities) register with a low ``order`` and answer only
questions their data covers; the passage answerer (extractive, cited sentences) comes last and owns
the refusal policy. Register a new one with :func:`answerer`; no engine code changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from core.settings import Settings
from knowledge.answers.policy import RefusalPolicy
from knowledge.answers.types import Answer
from knowledge.search.retriever import Retriever
from knowledge.store.agencies import load_registry
from knowledge.store.db import Database

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnswerContext:
    db: Database
    settings: Settings
    policy: RefusalPolicy
    retriever: Callable[[], Retriever]  # loads the index on first use only

    @property
    def home_province(self) -> str:
        return self.settings.province


Answerer = Callable[[AnswerContext, str], Answer | None]


@dataclass(frozen=True)
class Registered:
    name: str
    order: int
    fn: Answerer


_ANSWERERS: dict[str, Registered] = {}


def answerer(name: str, order: int) -> Callable[[Answerer], Answerer]:
    """Decorator: register ``fn`` under ``name``; lower ``order`` is tried first."""

    def register(fn: Answerer) -> Answerer:
        _ANSWERERS[name] = Registered(name, order, fn)
        return fn

    return register


def registered() -> list[Registered]:
    """The registered answerers, in order (``knowledge.answerers`` imports the built-in ones)."""
    return sorted(_ANSWERERS.values(), key=lambda r: r.order)


def ask(ctx: AnswerContext, question: str) -> Answer:
    for reg in registered():
        answer = reg.fn(ctx, question)
        if answer is not None:
            logger.debug("answered by %s", reg.name)
            answer.answered_by = reg.name
            return with_successor_notes(ctx, answer)
    raise RuntimeError("no answerer answered; the passage answerer must always answer")  # pragma: no cover


def with_successor_notes(ctx: AnswerContext, answer: Answer) -> Answer:
    """A question about a merged or abolished body gets the documents' answer plus who holds
    that responsibility now ("Sở KH&ĐT" -> Sở Tài chính, per the 2025 reorganisation)."""
    if answer.refused:
        return answer
    reg = load_registry(ctx.db)
    if reg.province and any(c.province and c.province != reg.province for c in answer.citations):
        return answer  # the registry's successors are this province's, not the cited one's
    notes: list[str] = []
    for m in reg.mentions(answer.question):
        note = reg.successor_note(m.agency_id)
        if note and note not in notes and note not in answer.text:
            notes.append(note)
    if notes:
        answer.text += "\n\nLưu ý: " + " ".join(notes)
    return answer
