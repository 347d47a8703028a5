"""Documents record which version of the fact extractors last ran on them (``facts_version``).

NULL means "never completed": a crash between storing a document and extracting its facts leaves
it NULL, and the next ingest (or ``cchc documents rebuild``) repairs it. Existing documents start
NULL, so the first ingest after this migration re-extracts their facts once.
"""

from __future__ import annotations

from sqlalchemy import Connection, text


def upgrade(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE documents ADD COLUMN facts_version INTEGER"))
