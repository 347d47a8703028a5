"""Task actions: status changes recorded in the task history (who, when, through which channel)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from core.errors import CchcError, NotFoundError
from core.vocabulary import DONE, STATUSES
from knowledge.store.db import Database
from knowledge.store.task_models import Task, TaskStatusChange
from knowledge.tasks.query import get_task
from knowledge.tasks.views import TaskView

logger = logging.getLogger(__name__)


def set_status(db: Database, task_id: int, status: str, *, by: str, channel: str, note: str | None = None) -> TaskView:
    if status not in STATUSES:
        raise CchcError(f"Trạng thái “{status}” không hợp lệ; dùng: {', '.join(STATUSES)}.")
    with db.session() as s:
        t = s.get(Task, task_id)
        if t is None:
            raise NotFoundError(f"task {task_id}", user_message=f"Không có nhiệm vụ số {task_id}.")
        if t.status != status:
            s.add(TaskStatusChange(task_id=t.id, from_status=t.status, to_status=status, by=by, channel=channel,
                                   at=datetime.now(UTC), note=note))
            t.status = status
            t.updated_at = datetime.now(UTC)
    return get_task(db, task_id)


def mark_done(db: Database, task_id: int, *, by: str, channel: str) -> TaskView:
    """Mark a task done, recording who, when and from which channel."""
    return set_status(db, task_id, DONE, by=by, channel=channel)


def history(db: Database, task_id: int) -> list[dict[str, Any]]:
    with db.session() as s:
        if s.get(Task, task_id) is None:
            raise NotFoundError(f"task {task_id}", user_message=f"Không có nhiệm vụ số {task_id}.")
        rows = s.scalars(select(TaskStatusChange).where(TaskStatusChange.task_id == task_id).order_by(TaskStatusChange.id))
        return [{"from": r.from_status, "to": r.to_status, "by": r.by, "channel": r.channel,
                 "at": r.at.isoformat(), "note": r.note} for r in rows]
