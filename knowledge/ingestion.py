"""Ingest files into the store: parse each file (``ingest.pipeline``), skip unchanged ones by content
hash, replace changed ones atomically, and report per file. The caller refreshes the index and the
derived facts for the documents that changed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import CchcError, IngestError
from core.settings import Settings
from ingest.pipeline import expand_paths, parse_file, sha256_of
from knowledge.store import documents
from knowledge.store.db import Database

logger = logging.getLogger(__name__)


@dataclass
class IngestReport:
    ingested: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)  # ids of the documents written

    def as_dict(self) -> dict[str, object]:
        return {"ingested": self.ingested, "skipped": self.skipped, "failed": self.failed}


def ingest_paths(db: Database, settings: Settings, paths: list[Path]) -> IngestReport:
    report = IngestReport()
    max_bytes = int(settings.ingest.max_file_mb * 1024 * 1024)
    for path in expand_paths(paths):
        try:
            _ingest_one(db, settings, path, max_bytes, report)
        except CchcError as exc:
            logger.warning("ingest failed for %s: %s", path.name, exc)
            report.failed.append({"path": str(path), "error": str(exc)})
    return report


def _ingest_one(db: Database, settings: Settings, path: Path, max_bytes: int, report: IngestReport) -> None:
    if not path.exists():
        raise IngestError(f"{path}: không tìm thấy tệp", path=str(path))
    sha = sha256_of(path)
    if _existing_sha(db, path.name) == sha:
        report.skipped.append(path.name)
        return
    parsed = parse_file(
        path,
        sha256=sha,
        max_bytes=max_bytes,
        max_pages=settings.ingest.max_pdf_pages,
        max_chars=settings.ingest.chunk_chars,
    )
    if not parsed.chunks:
        raise IngestError(f"{path.name}: không tách được đoạn văn nào", path=str(path))
    doc_id, status = documents.replace_document(db, parsed)
    (report.skipped if status == "skipped" else report.ingested).append(path.name)
    if status != "skipped":
        report.changed.append(doc_id)
    logger.info("%s: %s (%d passages)", path.name, status, len(parsed.chunks))


def _existing_sha(db: Database, source: str) -> str | None:
    with db.session() as s:
        doc = documents.find_by_source(s, source)
        return doc.sha256 if doc else None
