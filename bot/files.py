"""Files sent by admins: size check, type check by content, then ingest a document or import a schedule.

The type comes from the bytes (``ingest.readers.sniff``), never from the name: a PDF named ``.docx``
is read as a PDF, and an executable named ``.pdf`` is refused. Spreadsheets (XLSX, or CSV text named
``.csv``) are imported as task schedules; documents go through ``Knowledge.ingest``. Either way the
file is parsed in a child process under memory and time limits (``ingest.sandbox``), so a hostile
upload ends in a Vietnamese error for the sender and the bot carries on.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import FileTooLargeError, UnsupportedFileError
from core.private import private_dir, private_file
from core.settings import Settings
from ingest.readers import sniff
from knowledge.api import KnowledgeAPI

if TYPE_CHECKING:
    from bot.router import Ctx, FileHandler

logger = logging.getLogger(__name__)

DOCUMENT_KINDS = {"pdf": ".pdf", "docx": ".docx", "html": ".html", "txt": ".txt", "md": ".md"}


def safe_name(name: str, ext: str) -> str:
    """A file name safe on disk, keeping Vietnamese letters; the extension follows the content."""
    stem = Path(unicodedata.normalize("NFC", name or "tep")).stem
    stem = re.sub(r"[^\w.\- ]+", "_", stem).strip(" ._") or "tep"
    return stem[:120] + ext


def classify(data: bytes, name: str) -> tuple[str, str]:
    """('document' | 'schedule', extension) from the content; raises UnsupportedFileError."""
    kind = sniff(data, name)
    if kind == "xlsx":
        return "schedule", ".xlsx"
    if kind == "txt" and name.lower().endswith(".csv"):
        return "schedule", ".csv"
    if kind in DOCUMENT_KINDS:
        return "document", DOCUMENT_KINDS[kind]
    raise UnsupportedFileError(
        f"{name}: nội dung tệp không phải PDF, DOCX, XLSX, CSV hay văn bản; chưa nạp gì.", path=name
    )


def process_upload(settings: Settings, knowledge: KnowledgeAPI, data: bytes, name: str) -> str:
    """Save, then ingest or import. Returns the Vietnamese summary for the admin. Runs in a worker thread."""
    max_bytes = int(settings.ingest.max_file_mb * 1024 * 1024)
    if len(data) > max_bytes:
        raise FileTooLargeError(f"{name}: tệp quá lớn (tối đa {settings.ingest.max_file_mb:g} MB).", path=name)
    if not data:
        raise UnsupportedFileError(f"{name}: tệp rỗng.", path=name)
    what, ext = classify(data, name)
    folder = private_dir(settings.home / "uploads")
    path = folder / safe_name(name, ext)
    if what == "schedule":
        # keep each upload; the import is all-or-nothing, so a bad sheet loses no data
        path = path.with_name(f"{path.stem}-{time.strftime('%Y%m%d-%H%M%S')}{ext}")
        private_file(path).write_bytes(data)
        rep = knowledge.import_schedule(path, isolate=True)
        logger.info("schedule imported from an upload: %d rows", rep.rows)
        return (
            f"Đã nhập lịch nhiệm vụ từ {name}: {rep.rows} dòng; thêm mới {rep.added}, cập nhật {rep.updated}, "
            f"không đổi {rep.unchanged}, bỏ qua dòng trống {rep.skipped_blank}."
        )
    private_file(path).write_bytes(data)
    report = knowledge.ingest([path], isolate=True)  # parsed in a limited child: a bad file cannot take the bot down
    lines = [f"Kết quả nạp {name}:"]
    if report.ingested:
        lines.append("Đã nạp: " + ", ".join(report.ingested))
    if report.skipped:
        lines.append("Không đổi (đã có): " + ", ".join(report.skipped))
    for f in report.failed:
        lines.append("Lỗi: " + str(f.get("error")))
    return "\n".join(lines)


def make_file_handler(settings: Settings, knowledge: KnowledgeAPI) -> FileHandler:
    async def handler(ctx: Ctx) -> None:
        f = ctx.inc.file
        assert f is not None  # the router calls the file handler only for updates with a file
        max_bytes = int(settings.ingest.max_file_mb * 1024 * 1024)
        if f.size is not None and f.size > max_bytes:
            await ctx.channel.send_long(ctx.inc.chat_id, f"Tệp {f.name} quá lớn (tối đa {settings.ingest.max_file_mb:g} MB); chưa nạp gì.")
            return
        await ctx.channel.send_long(ctx.inc.chat_id, f"Đã nhận tệp {f.name}, đang xử lý…")
        data = await ctx.channel.download(f, max_bytes)
        summary = await asyncio.to_thread(process_upload, settings, knowledge, data, f.name)
        await ctx.channel.send_long(ctx.inc.chat_id, summary)

    return handler
