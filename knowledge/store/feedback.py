"""Answer feedback: every answer sent is stored with its question and citations; 👍/👎 rates it.

The channels show the rating choices; ``export`` feeds ``cchc feedback export`` for the curators.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select

from knowledge.answers.types import Answer
from knowledge.store.account_models import Feedback
from knowledge.store.accounts import aware, utcnow
from knowledge.store.db import Database

logger = logging.getLogger(__name__)

def record_answer(db: Database, *, user_id: int | None, channel: str, answer: Answer) -> int:
    with db.session() as s:
        row = Feedback(
            user_id=user_id, channel=channel, question=answer.question, answer=answer.text, refused=answer.refused,
            citations=json.dumps([c.as_dict() for c in answer.citations], ensure_ascii=False),
            rating=None, created_at=utcnow(),
        )
        s.add(row)
        s.flush()
        return row.id


def rate(db: Database, feedback_id: int, *, user_id: int, rating: int) -> bool:
    """Store a rating for an answer this user received. False if it is not theirs or does not exist."""
    with db.session() as s:
        row = s.get(Feedback, feedback_id)
        if row is None or row.user_id != user_id:
            return False
        row.rating = 1 if rating > 0 else -1
        row.rated_at = utcnow()
    logger.info("feedback %d rated %+d", feedback_id, rating)
    return True


def export(db: Database, *, rated_only: bool = False) -> list[dict[str, Any]]:
    with db.session() as s:
        q = select(Feedback).order_by(Feedback.id)
        if rated_only:
            q = q.where(Feedback.rating.is_not(None))
        out = []
        for r in s.scalars(q):
            created, rated = aware(r.created_at), aware(r.rated_at)
            out.append({
                "id": r.id, "user_id": r.user_id, "channel": r.channel, "question": r.question, "answer": r.answer,
                "refused": r.refused, "citations": json.loads(r.citations), "rating": r.rating,
                "created_at": created.isoformat() if created else None, "rated_at": rated.isoformat() if rated else None,
            })
        return out
