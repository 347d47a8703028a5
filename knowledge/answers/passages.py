"""The passage answerer: cited sentences from the retrieved passages (``extractive.compose``), or an
honest refusal under the :class:`~knowledge.answers.policy.RefusalPolicy`. Always answers, so it is
registered last."""

from __future__ import annotations

import logging

from knowledge.answers.engine import AnswerContext, answerer
from knowledge.answers.extractive import compose
from knowledge.answers.question import Question
from knowledge.answers.types import Answer

logger = logging.getLogger(__name__)


def _claim(q: Question) -> float:
    return 0.1  # every question, weakly: the fallback that cites sentences or refuses


@answerer("passages", claim=_claim)
def answer_from_passages(ctx: AnswerContext, q: Question) -> Answer:
    a = ctx.settings.answer
    return compose(
        q.text,
        ctx.retriever(),
        passages=a.passages,
        max_sentences=a.max_sentences,
        policy=ctx.policy,
        max_chars=a.max_question_chars,
        home_province=ctx.home_province,
        parsed=q,
    )
