"""The answer engine: parse the question once, let every registered answerer say how well it can
answer it, and try them best first.

An answerer registers a ``claim(Question) -> float`` (0 = not mine; higher = better placed, e.g. the
index results for "xếp thứ mấy") and a function ``(AnswerContext, Question) -> Answer | None``;
``None`` means its data does not hold the answer, and the next best is tried. The passage answerer
(cited sentences, refusal policy) claims every question weakly and always answers. Register a new
one with :func:`answerer`; no engine code changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.settings import Settings
from knowledge.answers.extractive import check_question, looks_english
from knowledge.answers.policy import RefusalPolicy
from knowledge.answers.question import Question, parse
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


Claim = Callable[[Question], float]
Answerer = Callable[[AnswerContext, Question], Answer | None]


@dataclass(frozen=True)
class Registered:
    name: str
    claim: Claim
    fn: Answerer


_ANSWERERS: dict[str, Registered] = {}


def answerer(name: str, claim: Claim) -> Callable[[Answerer], Answerer]:
    """Decorator: register ``fn`` under ``name``, tried when ``claim(question)`` is the best > 0."""

    def register(fn: Answerer) -> Answerer:
        _ANSWERERS[name] = Registered(name, claim, fn)
        return fn

    return register


def registered() -> list[Registered]:
    """The registered answerers (``knowledge.answerers`` imports the built-in ones)."""
    return list(_ANSWERERS.values())


def understand(ctx: AnswerContext, question: str) -> Question:
    text = check_question(question, ctx.settings.answer.max_question_chars)
    return parse(text, load_registry(ctx.db))


def ask(ctx: AnswerContext, question: str) -> Answer:
    t0 = time.perf_counter()
    q = understand(ctx, question)
    if looks_english(q.text):
        return Answer(q.text, ctx.policy.not_vietnamese, True, [], (time.perf_counter() - t0) * 1000, "english")
    ranked = sorted(((r.claim(q), n, r) for n, r in enumerate(registered())), key=lambda x: (-x[0], x[1]))
    for score, _n, reg in ranked:
        if score <= 0:
            continue
        answer = reg.fn(ctx, q)
        if answer is not None:
            logger.debug("answered by %s (claim %.2f, asked %s)", reg.name, score, q.asked)
            answer.answered_by = reg.name
            answer.question = q.text
            answer.took_ms = (time.perf_counter() - t0) * 1000
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
