"""Documents keep their signature block: the signer's title and on behalf of whom they signed."""

from __future__ import annotations

from sqlalchemy import Connection, text


def upgrade(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE documents ADD COLUMN signer_title VARCHAR(200)"))
    conn.execute(text("ALTER TABLE documents ADD COLUMN signed_for VARCHAR(300)"))
