"""Hostile uploads over Telegram to the real ``cchc serve``: each gets a clear Vietnamese reply, and the
bot keeps answering everyone. One upload passes every cap but needs more memory than the parsing
child may have: the child dies, the server does not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from knowledge.store.db import Database
from tests import abuse_inputs as A
from tests.fakes.fake_telegram import FakeTelegram
from tests.test_bot_e2e import Q_PAR, Served, start_serve, tg_env

ADMIN = 1


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture
def served(corpus_settings: Settings, tg: FakeTelegram) -> Iterator[Served]:
    # a small parsing child, and a character cap lifted so that only memory can stop the big text
    env = tg_env(tg, CCHC_INGEST__PARSE_MEMORY_MB="300", CCHC_INGEST__MAX_DOCUMENT_CHARS="100000000")
    srv = start_serve(corpus_settings, env)
    assert tg.wait_until(lambda: "getUpdates" in tg.methods_called(), 30), srv.logs()
    yield srv
    srv.stop()


def upload(tg: FakeTelegram, path: Path, sent: int) -> str:
    tg.push_document(ADMIN, path.name, path.read_bytes())
    out = tg.wait_sent(ADMIN, sent + 2, timeout=90)  # "đang xử lý…" then the result
    return out[-1].text or ""


@pytest.mark.slow
def test_hostile_uploads_get_clear_replies_and_the_bot_survives(
    corpus_settings: Settings, tg: FakeTelegram, served: Served, tmp_path: Path
) -> None:
    db = Database(corpus_settings.database_url)
    try:
        with db.session() as s:
            from sqlalchemy import func, select

            from knowledge.store.models import Document

            docs_before = s.scalar(select(func.count(Document.id)))
    finally:
        db.dispose()
    n = 0
    cases = [
        (A.xlsx_wide_row(tmp_path), "ingest.max_sheet_cells"),
        (A.xlsx_billion_laughs(tmp_path), "DTD/ENTITY"),
        (A.docx_markup_bomb(tmp_path), "ingest.max_unzipped_mb"),
        (A.txt_single_line(tmp_path, mb=16), "300 MB bộ nhớ"),
    ]
    for path, expected in cases:
        reply = upload(tg, path, n)
        n += 2
        assert expected in reply and path.name.split(".")[0] in reply, reply
        assert served.proc.poll() is None, served.logs()[-3000:]
    # still serving: a question from the admin gets the usual cited answer
    tg.push_message(ADMIN, Q_PAR)
    assert "12/63" in (tg.wait_sent(ADMIN, n + 1, timeout=30)[-1].text or "")
    db = Database(corpus_settings.database_url)
    try:
        with db.session() as s:
            assert s.scalar(select(func.count(Document.id))) == docs_before
    finally:
        db.dispose()
