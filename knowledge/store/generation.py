"""The store generation: a counter bumped (by triggers, migration 0008) in the same transaction as
any change to documents, passages or derived facts. Reading it is one primary-key look-up, cheap
enough for every answering process to poll every few seconds."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.store.db import Database
from knowledge.store.models import Document, StoreGeneration

logger = logging.getLogger(__name__)


def current(db: Database) -> int:
    with db.session() as s:
        return read(s)


def read(s: Session) -> int:
    value = s.scalar(select(StoreGeneration.value).where(StoreGeneration.id == 1))
    return int(value or 0)


def snapshot(db: Database) -> tuple[int, dict[str, int]]:
    """The generation and the stored documents, read in one transaction, as ``{key: id}``. The key
    (id, content hash, ingest time) changes when a document is replaced even if its id is reused."""
    with db.session() as s:
        gen = read(s)
        rows = s.execute(select(Document.id, Document.sha256, Document.ingested_at)).all()
    return gen, {f"{i}:{sha}:{at.isoformat() if at else ''}": int(i) for i, sha, at in rows}
