"""Parsing in a child process with memory and CPU-time limits, for files from untrusted senders.

A bot upload is parsed by a fresh interpreter (``spawn``: nothing of the server's threads or event
loop is inherited) whose address space is capped with RLIMIT_AS and whose CPU time with RLIMIT_CPU;
the parent also waits at most the wall-time limit and then kills it. Whatever the file does -
exhausting memory, looping, crashing a native parser - the child dies and the caller gets a
Vietnamese :class:`ingest.limits.LimitExceededError`; the server goes on.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from core.errors import CchcError, IngestError
from core.settings import IngestSettings
from ingest.limits import Limits, breach
from ingest.pipeline import ParsedDoc, parse_file

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Isolation:
    memory_mb: int = 1024
    timeout_s: float = 120.0

    @classmethod
    def from_settings(cls, ingest: IngestSettings) -> Isolation:
        return cls(memory_mb=ingest.parse_memory_mb, timeout_s=ingest.parse_timeout_s)


def _limit(iso: Isolation) -> None:
    cap = iso.memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    cpu = max(1, int(iso.timeout_s))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _child(conn: Connection, job: str, path: str, limits: Limits, iso: Isolation, sha256: str | None, source: str | None) -> None:
    try:
        _limit(iso)
        if job == "document":
            conn.send(("ok", parse_file(Path(path), limits=limits, sha256=sha256, source=source)))
        else:
            from ingest.tables import read_rows

            n = sum(1 for _ in read_rows(Path(path), limits))
            conn.send(("ok", n))
    except CchcError as exc:
        conn.send(("error", exc.__class__.__name__, str(exc)))
    except MemoryError:
        conn.send(("memory", "", ""))
    except Exception as exc:  # a bug or a parser crash on hostile input: report, never hang the parent
        conn.send(("crash", exc.__class__.__name__, ""))
    finally:
        conn.close()


def _run(job: str, path: Path, limits: Limits, iso: Isolation, sha256: str | None = None, source: str | None = None) -> object:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, job, str(path), limits, iso, sha256, source), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(iso.timeout_s + 5):  # + interpreter start-up
            raise breach(path.name, f"xử lý tệp quá {iso.timeout_s:g} giây nên đã dừng", "parse_timeout_s")
        try:
            reply = parent.recv()
        except EOFError:  # died without a word: killed by a limit (memory, CPU) or a native crash
            proc.join(5)
            logger.warning("parser child for %s died (exit %s)", path.name, proc.exitcode)
            raise breach(
                path.name, f"xử lý tệp vượt giới hạn {iso.memory_mb} MB bộ nhớ hoặc thời gian nên đã dừng", "parse_memory_mb"
            ) from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
    return _outcome(reply, path, iso)


def _outcome(reply: tuple[object, ...], path: Path, iso: Isolation) -> object:
    status = reply[0]
    if status == "ok":
        return reply[1]
    if status == "memory":
        raise breach(path.name, f"xử lý tệp cần hơn {iso.memory_mb} MB bộ nhớ nên đã dừng", "parse_memory_mb")
    if status == "error":
        raise IngestError(str(reply[2]), path=path.name)
    logger.warning("parser child for %s failed with %s", path.name, reply[1])
    raise IngestError(f"{path.name}: tệp bị hỏng hoặc không đọc được", path=path.name)


def parse_isolated(
    path: Path, *, limits: Limits, isolation: Isolation, sha256: str | None = None, source: str | None = None
) -> ParsedDoc:
    """:func:`ingest.pipeline.parse_file` in a limited child process."""
    result = _run("document", path, limits, isolation, sha256, source)
    assert isinstance(result, ParsedDoc)
    return result


def check_table_isolated(path: Path, *, limits: Limits, isolation: Isolation) -> int:
    """Read every row of a CSV/XLSX in a limited child (the caller imports it only if this passes);
    returns the number of rows."""
    result = _run("table", path, limits, isolation)
    assert isinstance(result, int)
    return result
