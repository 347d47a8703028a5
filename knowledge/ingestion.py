"""Ingest files into the store: parse each file (``ingest.pipeline``), skip unchanged ones by content
hash, replace changed ones atomically, and report per file. The caller refreshes the index and the
derived facts for the documents that changed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import CchcError, IngestError
from core.settings import Settings
from ingest.limits import Limits
from ingest.pipeline import expand_sources, parse_file, sha256_of
from ingest.sandbox import Isolation, parse_isolated
from knowledge.store import documents
from knowledge.store.db import Database

logger = logging.getLogger(__name__)


@dataclass
class IngestReport:
    ingested: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)  # ids of the documents written
    repaired: list[str] = field(default_factory=list)  # documents whose derived facts were (re)built

    def as_dict(self) -> dict[str, object]:
        return {"ingested": self.ingested, "skipped": self.skipped, "failed": self.failed, "repaired": self.repaired}


def ingest_paths(db: Database, settings: Settings, paths: list[Path], *, isolate: bool = False) -> IngestReport:
    """Ingest files and folders. A document's key (``source``) is its path relative to the folder
    named (a file named directly: its name), so equal names in different sub-folders never collide.
    ``isolate`` parses each file in a limited child process (files from untrusted senders)."""
    report = IngestReport()
    limits = Limits.from_settings(settings.ingest)
    isolation = Isolation.from_settings(settings.ingest) if isolate else None
    for path, key in expand_sources(paths):
        try:
            _ingest_one(db, path, key, limits, isolation, report)
        except CchcError as exc:
            logger.info("ingest failed for %s (%s)", key, exc.__class__.__name__)  # the message goes to the caller once
            report.failed.append({"path": str(path), "error": str(exc)})
    return report


def _ingest_one(
    db: Database, path: Path, key: str, limits: Limits, isolation: Isolation | None, report: IngestReport
) -> None:
    if not path.exists():
        raise IngestError(f"{path}: không tìm thấy tệp", path=str(path))
    sha = sha256_of(path)
    here = path.resolve()
    existing = _existing(db, key)
    if existing is not None:
        _check_conflict(key, here, existing[1])
        if existing[0] == sha:
            report.skipped.append(key)
            return
    if isolation is not None:
        parsed = parse_isolated(path, limits=limits, isolation=isolation, sha256=sha, source=key)
    else:
        parsed = parse_file(path, limits=limits, sha256=sha, source=key)
    if not parsed.chunks:
        raise IngestError(f"{key}: không tách được đoạn văn nào", path=str(path))
    parsed.path = str(here)
    doc_id, status = documents.replace_document(db, parsed)
    (report.skipped if status == "skipped" else report.ingested).append(key)
    if status != "skipped":
        report.changed.append(doc_id)
    logger.info("%s: %s (%d passages)", key, status, len(parsed.chunks))


def _check_conflict(key: str, here: Path, stored: str) -> None:
    """Refuse to replace a document that came from another file that still exists."""
    try:
        old = Path(stored).resolve()
    except (OSError, RuntimeError):
        return
    if old != here and old.exists():
        raise IngestError(
            f"{key}: đã có văn bản cùng tên '{key}' nạp từ {old}; tệp {here} không được nạp để khỏi ghi đè. "
            f"Hãy nạp thư mục cha của cả hai (tên sẽ kèm thư mục con) hoặc xoá bản cũ: cchc documents remove {key}",
            path=str(here),
        )


def _existing(db: Database, source: str) -> tuple[str, str] | None:
    """(sha256, stored path) of the document with this key."""
    with db.session() as s:
        doc = documents.find_by_source(s, source)
        return (doc.sha256, doc.path) if doc else None
