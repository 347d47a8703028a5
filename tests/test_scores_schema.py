"""The score models match the migrated schema; migration 0002 upgrades a 0001 database with data in it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from knowledge.store.db import Database
from knowledge.store.migrations import migrate
from knowledge.store.score_models import Deduction, IndexResult, ScoreTarget


def test_models_match_migrated_schema(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    insp = inspect(db.engine)
    for model in (IndexResult, Deduction, ScoreTarget):
        table = model.__table__
        cols = {c["name"]: c for c in insp.get_columns(table.name)}
        assert set(cols) == {c.name for c in table.columns}, table.name
        for c in table.columns:
            assert bool(cols[c.name]["nullable"]) == bool(c.nullable) or c.primary_key, (table.name, c.name)
        fks = {(fk["referred_table"], tuple(fk["constrained_columns"])) for fk in insp.get_foreign_keys(table.name)}
        assert fks == {(fk.column.table.name, (fk.parent.name,)) for fk in table.foreign_keys}
    db.dispose()


def test_upgrade_from_0001_with_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    assert migrate(engine, target=1) == [1]
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO documents (source, path, sha256, format, encoding, province, date, title, text, ingested_at)"
                 " VALUES ('a.txt', 'a.txt', 'x', 'txt', 'utf-8', 'Hưng Yên', '2023-05', 't', :t, :d)"),
            {"t": "Năm 2022, Chỉ số PAR INDEX xếp thứ 12/63 (giữ nguyên so với năm 2021).", "d": datetime.now(UTC)},
        )
        conn.execute(text("INSERT INTO sections (document_id, ordinal, path, start) VALUES (1, 0, 'Phần mở đầu', 0)"))
    engine.dispose()
    db = Database(url)  # migrates the rest
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar() >= 2
        assert conn.execute(text("SELECT COUNT(*) FROM documents")).scalar() == 1
    from knowledge.scores.query import query
    from knowledge.scores.refresh import refresh_from_documents

    refresh_from_documents(db)
    rows = query(db, index="PAR", year=2022)
    assert [(r["rank"], r["rank_change"], r["province"]) for r in rows] == [(12, 0, "Hưng Yên")]
    # deleting the document removes its extracted results (ON DELETE CASCADE)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM documents"))
    assert query(db) == []
    db.dispose()
