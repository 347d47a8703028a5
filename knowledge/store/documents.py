"""The document store: write parsed documents (atomically), read passages for indexing and citing."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, defer

from ingest.pipeline import ParsedDoc
from knowledge.store.db import Database
from knowledge.store.models import Document, Passage, Section

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PassageRecord:
    """A passage with what a citation needs; kept in memory by the retriever."""

    id: int
    document_id: int
    source: str
    document: str  # human title: type, number, date, issuer
    province: str | None
    doc_date: str | None
    section: str
    context: str
    text: str
    kind: str
    start: int
    end: int


def find_by_source(s: Session, source: str) -> Document | None:
    return s.scalars(select(Document).where(Document.source == source)).first()


def replace_document(db: Database, parsed: ParsedDoc) -> tuple[int, str]:
    """Insert a parsed document, replacing an older version with the same source, in one transaction.

    Returns (document id, status) with status 'ingested', 'replaced' or 'skipped' (same content hash).
    """
    with db.session() as s:
        old = find_by_source(s, parsed.source)
        if old is not None and old.sha256 == parsed.sha256:
            return old.id, "skipped"
        status = "ingested"
        if old is not None:
            s.execute(delete(Passage).where(Passage.document_id == old.id))
            s.execute(delete(Section).where(Section.document_id == old.id))
            s.execute(delete(Document).where(Document.id == old.id))
            s.flush()
            status = "replaced"
        m = parsed.meta
        doc = Document(
            source=parsed.source,
            path=parsed.path,
            sha256=parsed.sha256,
            format=parsed.format,
            encoding=parsed.encoding,
            pages=parsed.pages,
            doc_type=m.doc_type,
            number=m.number,
            date=m.date,
            issuer=m.issuer,
            signer=m.signer,
            signer_title=m.signer_title,
            signed_for=m.signed_for,
            province=m.province,
            title=m.title,
            text=parsed.text,
            ingested_at=datetime.now(UTC),
        )
        s.add(doc)
        s.flush()
        _write_outline(s, doc.id, parsed)
        return doc.id, status


def _write_outline(s: Session, doc_id: int, parsed: ParsedDoc) -> None:
    """The document's sections and passages (quotes are slices of its stored text)."""
    section_rows: dict[int, Section] = {}
    for sec in parsed.outline.sections:
        row = Section(
            document_id=doc_id,
            ordinal=sec.id,
            parent_ordinal=sec.parent,
            marker=sec.marker.text if sec.marker else None,
            heading=sec.heading or None,
            path=parsed.outline.path_label(sec.id),
            start=sec.start,
        )
        s.add(row)
        section_rows[sec.id] = row
    s.flush()
    for i, ch in enumerate(parsed.chunks):
        s.add(
            Passage(
                document_id=doc_id,
                section_id=section_rows[ch.section_id].id,
                ordinal=i,
                kind=ch.kind,
                start=ch.start,
                end=ch.end,
                text=parsed.text[ch.start : ch.end],
                section_path=ch.section_path,
                context=ch.context,
            )
        )


def metadata_only() -> Any:
    """Loader option for queries that need a document's metadata, not its (long) text."""
    return defer(Document.text)


def display_title(doc: Document) -> str:
    from ingest.metadata import DocMeta

    meta = DocMeta(doc.doc_type, doc.number, doc.date, doc.issuer, doc.signer, doc.province, doc.title)
    return meta.display()


def load_passages(db: Database, documents: Collection[int] | None = None) -> list[PassageRecord]:
    """The passages of all documents, or of the ``documents`` given (ids), in id order."""
    with db.session() as s:
        dq = select(Document).options(metadata_only())
        pq = select(Passage).order_by(Passage.id)
        if documents is not None:
            dq = dq.where(Document.id.in_(list(documents)))
            pq = pq.where(Passage.document_id.in_(list(documents)))
        docs = {d.id: d for d in s.scalars(dq)}
        rows = s.scalars(pq).all()
        titles = {i: display_title(d) for i, d in docs.items()}
        return [
            PassageRecord(
                id=p.id,
                document_id=p.document_id,
                source=docs[p.document_id].source,
                document=titles[p.document_id],
                province=docs[p.document_id].province,
                doc_date=docs[p.document_id].date,
                section=p.section_path,
                context=p.context,
                text=p.text,
                kind=p.kind,
                start=p.start,
                end=p.end,
            )
            for p in rows
        ]


def list_documents(db: Database) -> list[Document]:
    with db.session() as s:
        return list(s.scalars(select(Document).order_by(Document.id)))


def document_rows(db: Database) -> list[tuple[Document, int]]:
    """Every document (metadata only) with its number of passages, by id."""
    with db.session() as s:
        counts = dict(s.execute(select(Passage.document_id, func.count(Passage.id)).group_by(Passage.document_id)).all())
        docs = list(s.scalars(select(Document).options(metadata_only()).order_by(Document.id)))
        return [(d, int(counts.get(d.id, 0))) for d in docs]


def find_document(s: Session, ident: str) -> Document | None:
    """A document by id (all digits) or by source key."""
    ident = ident.strip()
    doc = s.get(Document, int(ident)) if ident.isdigit() else None
    return doc or find_by_source(s, ident)


def remove_document(db: Database, ident: str) -> dict[str, Any] | None:
    """Delete a document with its passages, sections and derived facts (tasks extracted from it, index
    results and deductions) in one transaction. None when no document matches ``ident``."""
    from knowledge.store.task_models import Task

    with db.session() as s:
        doc = find_document(s, ident)
        if doc is None:
            return None
        out = {"id": doc.id, "source": doc.source, "title": display_title(doc)}
        task_scope = (Task.origin == "document", Task.document_id == doc.id)
        out["tasks"] = s.scalar(select(func.count(Task.id)).where(*task_scope)) or 0
        out["passages"] = s.scalar(select(func.count(Passage.id)).where(Passage.document_id == doc.id)) or 0
        s.execute(delete(Task).where(*task_scope))
        s.execute(delete(Passage).where(Passage.document_id == doc.id))
        s.execute(delete(Section).where(Section.document_id == doc.id))
        s.execute(delete(Document).where(Document.id == doc.id))  # index results cascade
    logger.info("document %s removed (%s passages, %s tasks)", out["source"], out["passages"], out["tasks"])
    return out


def stale_facts(db: Database, version: int) -> list[int]:
    """Ids of the documents whose derived facts were never completed at ``version``."""
    with db.session() as s:
        q = select(Document.id).where((Document.facts_version.is_(None)) | (Document.facts_version != version))
        return list(s.scalars(q.order_by(Document.id)))


def mark_facts(db: Database, ids: list[int] | None, version: int) -> None:
    """Record that the facts of ``ids`` (None: every document) are complete at ``version``."""
    from sqlalchemy import update

    with db.session() as s:
        q = update(Document).values(facts_version=version)
        if ids is not None:
            q = q.where(Document.id.in_(ids))
        s.execute(q)
