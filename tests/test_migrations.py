"""Numbered forward-only migrations: blank -> latest, version 1 with data -> latest, ORM == schema,
on SQLite and (when CCHC_TEST_DATABASE_URL is set) PostgreSQL."""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.orm import Session

from knowledge.store.migrations import all_migrations, migrate
from knowledge.store.models import Base, Document, Passage, Section

MODEL_MODULES = ("knowledge.store.models", "knowledge.store.score_models", "knowledge.store.task_models", "knowledge.store.account_models",
                 "reminders.models")
PG_URL = os.environ.get("CCHC_TEST_DATABASE_URL")


def load_models() -> list[str]:
    loaded = []
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        loaded.append(name)
    return loaded


def latest() -> int:
    return all_migrations()[-1].version


def version(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar() or 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
        yield eng
        eng.dispose()
        return
    if not PG_URL:
        pytest.skip("CCHC_TEST_DATABASE_URL not set")
    schema = f"cchc_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_migration_numbers_are_unique_and_ordered() -> None:
    versions = [m.version for m in all_migrations()]
    assert versions == sorted(set(versions))
    assert versions[0] == 1


def test_blank_database_to_latest(engine: Engine) -> None:
    applied = migrate(engine)
    assert applied == [m.version for m in all_migrations()]
    assert version(engine) == latest()
    assert {"documents", "sections", "passages", "schema_version"} <= set(inspect(engine).get_table_names())
    assert migrate(engine) == []  # a second run does nothing


def _insert_v1_document(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO documents (id, source, path, sha256, format, encoding, pages, doc_type, number, date, "
                "issuer, signer, province, title, text, ingested_at) VALUES (1, 'a.txt', '/x/a.txt', :sha, 'txt', "
                "'unicode', NULL, 'Kế hoạch', '192/KH-UBND', '2024-12-17', 'UBND tỉnh Hưng Yên', 'Nguyễn Văn A', "
                "'Hưng Yên', 'Kế hoạch CCHC', :body, :at)"
            ),
            {"sha": "0" * 64, "body": "1. Sở Nội vụ\nKiểm tra cải cách hành chính.", "at": datetime(2025, 1, 2, tzinfo=UTC)},
        )
        conn.execute(
            text("INSERT INTO sections (id, document_id, ordinal, parent_ordinal, marker, heading, path, start) "
                 "VALUES (1, 1, 1, 0, '1.', 'Sở Nội vụ', '1. Sở Nội vụ', 0)")
        )
        conn.execute(
            text('INSERT INTO passages (id, document_id, section_id, ordinal, kind, start, "end", text, section_path, context) '
                 "VALUES (1, 1, 1, 0, 'body', 0, 42, '1. Sở Nội vụ\nKiểm tra cải cách hành chính.', '1. Sở Nội vụ', 'Sở Nội vụ')")
        )


def test_from_version_1_with_data_to_latest(engine: Engine) -> None:
    assert migrate(engine, target=1) == [1]
    assert version(engine) == 1
    _insert_v1_document(engine)
    applied = migrate(engine)
    assert applied == [m.version for m in all_migrations() if m.version > 1]
    assert version(engine) == latest()
    with Session(engine) as s:
        doc = s.scalars(select(Document)).one()
        assert (doc.source, doc.number, doc.province, doc.signer) == ("a.txt", "192/KH-UBND", "Hưng Yên", "Nguyễn Văn A")
        assert doc.text.startswith("1. Sở Nội vụ")
        sec = s.scalars(select(Section)).one()
        assert sec.path == "1. Sở Nội vụ" and sec.document_id == doc.id
        p = s.scalars(select(Passage)).one()
        assert p.text == doc.text[p.start : p.end]
        assert p.section_id == sec.id


def test_orm_metadata_matches_migrated_schema(engine: Engine) -> None:
    loaded = load_models()
    assert "knowledge.store.models" in loaded
    migrate(engine)
    insp = inspect(engine)
    db_tables = set(insp.get_table_names()) - {"schema_version"}
    orm_tables = set(Base.metadata.tables)
    assert orm_tables <= db_tables, f"models without a migration: {sorted(orm_tables - db_tables)}"
    assert db_tables <= orm_tables, f"migrated tables without a model: {sorted(db_tables - orm_tables)}"
    for name, table in Base.metadata.tables.items():
        cols = {c["name"]: c for c in insp.get_columns(name)}
        assert set(cols) == {c.name for c in table.columns}, name
        for col in table.columns:
            if col.primary_key:
                continue
            assert cols[col.name]["nullable"] == col.nullable, f"{name}.{col.name}: nullable differs"


def test_orm_round_trip_on_migrated_schema(engine: Engine) -> None:
    migrate(engine)
    with Session(engine) as s, s.begin():
        doc = Document(source="b.txt", path="/b.txt", sha256="1" * 64, format="txt", encoding="unicode",
                       text="Nội dung.", ingested_at=datetime.now(UTC))
        s.add(doc)
        s.flush()
        sec = Section(document_id=doc.id, ordinal=0, path="Phần mở đầu", start=0)
        s.add(sec)
        s.flush()
        s.add(Passage(document_id=doc.id, section_id=sec.id, ordinal=0, kind="body", start=0, end=9,
                      text="Nội dung.", section_path="Phần mở đầu", context=""))
    with Session(engine) as s:
        assert s.scalars(select(Passage.text)).one() == "Nội dung."
