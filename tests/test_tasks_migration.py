"""m0003_tasks: the models match the migrated schema, and it upgrades a populated version-2 database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from knowledge.store import task_models
from knowledge.store.db import Database
from knowledge.store.migrations import migrate

TABLES = ["agencies", "agency_aliases", "agency_members", "tasks", "task_agencies", "task_status_changes"]


def test_models_match_schema(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    insp = inspect(db.engine)
    md = task_models.Base.metadata
    for name in TABLES:
        cols = {c["name"]: c for c in insp.get_columns(name)}
        model = md.tables[name]
        assert set(cols) == {c.name for c in model.columns}, name
        for c in model.columns:
            assert bool(cols[c.name]["nullable"]) == bool(c.nullable) or c.primary_key, (name, c.name)
        fks = {(tuple(f["constrained_columns"]), f["referred_table"]) for f in insp.get_foreign_keys(name)}
        assert fks == {((fk.parent.name,), fk.column.table.name) for fk in model.foreign_keys}, name
    uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("tasks")} | {
        tuple(i["column_names"]) for i in insp.get_indexes("tasks") if i["unique"]}
    assert ("code",) in uniques


def test_upgrade_from_previous_version_with_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    eng = create_engine(url)
    migrate(eng, target=2)
    with eng.begin() as c:
        assert "tasks" not in inspect(c).get_table_names()
        c.execute(text(
            "INSERT INTO documents (source, path, sha256, format, encoding, text, province, date, ingested_at) "
            "VALUES ('a.txt', '/x/a.txt', 'h', 'txt', 'utf-8', :t, 'Hưng Yên', '2025-07', :at)"),
            {"t": "III. TỔ CHỨC THỰC HIỆN\n1. Sở Nội vụ\na) Tổng hợp báo cáo kết quả thực hiện Kế hoạch trước ngày 15/12/2025.\n",
             "at": datetime.now(UTC)})
    eng.dispose()
    db = Database(url)  # applies 0003 (and later ones)
    with db.engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM documents")).scalar() == 1
        assert (c.execute(text("SELECT MAX(version) FROM schema_version")).scalar() or 0) >= 3
    from knowledge.tasks.query import list_tasks
    from knowledge.tasks.refresh import refresh_from_documents

    rep = refresh_from_documents(db)
    assert rep.added == 1
    t = list_tasks(db)[0]
    assert t.agency == "Sở Nội vụ" and str(t.due) == "2025-12-15"
