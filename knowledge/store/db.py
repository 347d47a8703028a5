"""Engine and sessions. SQLite by default, PostgreSQL through the same URL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import StorageError
from core.private import private_dir, private_file
from knowledge.store.migrations import migrate

logger = logging.getLogger(__name__)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            private_dir(Path(path).parent)
            private_file(Path(path))  # 0600; SQLite gives its -wal and -shm files the same mode
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except (SQLAlchemyError, ImportError) as exc:
        raise StorageError(f"Không mở được cơ sở dữ liệu {engine_label(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    return engine


def engine_label(url: str) -> str:
    """The URL without a password, for messages and logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


class Database:
    """The engine plus a session factory; migrations run on open."""

    def __init__(self, url: str, *, echo: bool = False, migrate_now: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        if migrate_now:
            try:
                migrate(self.engine)
            except SQLAlchemyError as exc:
                raise StorageError(f"Không khởi tạo được cơ sở dữ liệu {engine_label(url)}: {exc}") from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()
