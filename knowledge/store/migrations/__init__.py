"""Numbered, forward-only schema migrations.

Each module ``mNNNN_name.py`` defines ``upgrade(conn)``; they run in order inside one transaction
each, and ``schema_version`` records the last one applied. Never edit a released migration: add one.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    upgrade: Callable[[Connection], None]


def all_migrations() -> list[Migration]:
    out = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("m") and info.name[1:5].isdigit():
            mod = importlib.import_module(f"{__name__}.{info.name}")
            out.append(Migration(int(info.name[1:5]), info.name, mod.upgrade))
    out.sort(key=lambda m: m.version)
    versions = [m.version for m in out]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration numbers: {versions}")
    return out


def applied_versions(conn: Connection) -> set[int]:
    conn.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"))
    return {int(v) for v in conn.execute(text("SELECT version FROM schema_version")).scalars()}


def migrate(engine: Engine, target: int | None = None) -> list[int]:
    """Apply pending migrations up to ``target`` (default: all). Returns the versions applied."""
    applied = []
    for mig in all_migrations():
        if target is not None and mig.version > target:
            break
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(727001)"))
            # Each migration is recorded by number, so one added later with a lower number than an
            # applied one (parallel branches) still runs.
            if mig.version in applied_versions(conn):
                continue
            logger.info("applying migration %s", mig.name)
            mig.upgrade(conn)
            conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": mig.version})
            applied.append(mig.version)
    return applied
