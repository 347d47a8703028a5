"""The store generation: one counter that triggers bump in the same transaction as any change to
documents, passages or derived facts (tasks, index results, agencies), so every answering process
can tell cheaply, by reading one row, that its index or its cached facts are stale.

PostgreSQL: statement triggers that also ``pg_notify('cchc_store', generation)``. SQLite: row
triggers (SQLite has no statement triggers); a one-row UPDATE each. A later migration that rebuilds
a tracked table on SQLite (copy, drop, rename) drops its triggers and must create them again;
tests/test_index_follows_store.py checks that the generation moves on the latest schema.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Connection, Integer, MetaData, Table, inspect, text

# Tables whose changes the answering processes must see. Only those that exist are tracked.
TRACKED = (
    "documents", "sections", "passages",
    "index_results", "score_deductions", "score_targets",
    "tasks", "task_agencies", "task_status_changes",
    "agencies", "agency_aliases", "agency_members",
)


def upgrade(conn: Connection) -> None:
    md = MetaData()
    Table(
        "store_generation",
        md,
        Column("id", Integer, primary_key=True),
        Column("value", BigInteger, nullable=False),
    )
    md.create_all(conn)
    conn.execute(text("INSERT INTO store_generation (id, value) VALUES (1, 1)"))
    tables = [t for t in TRACKED if t in set(inspect(conn).get_table_names())]
    if conn.dialect.name == "postgresql":
        conn.execute(text(
            "CREATE OR REPLACE FUNCTION cchc_bump_generation() RETURNS trigger AS $$\n"
            "DECLARE g BIGINT;\n"
            "BEGIN\n"
            "  UPDATE store_generation SET value = value + 1 WHERE id = 1 RETURNING value INTO g;\n"
            "  PERFORM pg_notify('cchc_store', g::text);\n"
            "  RETURN NULL;\n"
            "END $$ LANGUAGE plpgsql"
        ))
        for t in tables:
            conn.execute(text(
                f"CREATE TRIGGER {t}_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t} "
                "FOR EACH STATEMENT EXECUTE FUNCTION cchc_bump_generation()"
            ))
        return
    for t in tables:
        for op in ("INSERT", "UPDATE", "DELETE"):
            conn.execute(text(
                f"CREATE TRIGGER {t}_generation_{op.lower()} AFTER {op} ON {t} "
                "BEGIN UPDATE store_generation SET value = value + 1 WHERE id = 1; END"
            ))
