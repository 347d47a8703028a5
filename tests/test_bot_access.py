"""Access storage: migration 0004 vs the models, migrating with data, invites, the send path, Zalo client."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, text

from bot.channel import Button, Channel
from bot.sender import Sender
from bot.zalo import to_incoming, unwrap
from bot.zalo_client import ZaloApiError, ZaloClient
from core.errors import CchcError, DeliveryError, InviteError
from core.settings import Settings
from knowledge.store.account_models import DeliveryFailure, Feedback, Invite, User
from knowledge.store.accounts import Accounts, parse_duration
from knowledge.store.db import Database
from knowledge.store.migrations import migrate
from tests.fakes.fake_zalo import FakeZalo


def test_models_match_migrated_schema(settings: Settings) -> None:
    db = Database(settings.database_url)
    insp = inspect(db.engine)
    for model in (User, Invite, Feedback, DeliveryFailure):
        table = model.__table__
        cols = {c["name"]: c for c in insp.get_columns(table.name)}
        assert set(cols) == {c.name for c in table.columns}, table.name
        for c in table.columns:
            assert cols[c.name]["nullable"] == c.nullable or c.primary_key, (table.name, c.name)
    uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("users")}
    assert ("channel", "channel_user_id") in uniques
    db.dispose()


def test_migrates_from_previous_schema_with_data(settings: Settings) -> None:
    from knowledge.store.db import make_engine

    engine = make_engine(settings.database_url)
    migrate(engine, target=3)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO documents (source, path, sha256, format, encoding, text, ingested_at) "
            "VALUES ('a.txt', '/a.txt', 'x', 'txt', 'utf-8', 'nội dung', :t)"), {"t": datetime.now(UTC)})
        assert "users" not in inspect(conn).get_table_names()
    assert migrate(engine, target=4) == [4]  # later migrations (5: facts_version) run with the Database below
    with engine.begin() as conn:
        assert conn.execute(text("SELECT text FROM documents")).scalar() == "nội dung"
        assert conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar() == 4
    engine.dispose()
    db = Database(settings.database_url)
    acc = Accounts(db, settings)
    code = acc.create_invite("leader").code
    assert acc.redeem(code, channel="telegram", channel_user_id="5", chat_id="5").role == "leader"
    db.dispose()


def test_invites_hashed_one_time_and_validated(settings: Settings) -> None:
    db = Database(settings.database_url)
    acc = Accounts(db, settings)
    inv = acc.create_invite("official", "Sở Nội vụ", expires=parse_duration("2h"))
    assert timedelta(hours=1, minutes=59) < inv.expires_at - datetime.now(UTC) <= timedelta(hours=2)
    with db.session() as s:
        stored = s.query(Invite).one()
        assert inv.code not in stored.code_hash and len(stored.code_hash) == 64
    with pytest.raises(InviteError, match="không đúng"):
        acc.redeem("WRONG-CODE1", channel="zalo", channel_user_id="1", chat_id="1")
    u = acc.redeem(inv.code.lower().replace("-", " "), channel="zalo", channel_user_id="1", chat_id="1")
    assert (u.role, u.agency, u.active) == ("official", "Sở Nội vụ", True)
    with pytest.raises(InviteError, match="đã được dùng"):
        acc.redeem(inv.code, channel="zalo", channel_user_id="2", chat_id="2")
    with pytest.raises(CchcError, match="agency"):
        acc.create_invite("official")
    with pytest.raises(CchcError, match="Vai trò"):
        acc.create_invite("boss")
    for bad in ("", "7", "0d", "3y", "-1d"):
        with pytest.raises(CchcError):
            parse_duration(bad)
    assert [x.key for x in acc.list_users()] == ["zalo:1"]
    assert acc.revoke("zalo:1").active is False
    assert acc.lookup("zalo", "1") is None
    with pytest.raises(CchcError):
        acc.revoke("zalo:404")
    db.dispose()


class Recorder(Channel):
    def __init__(self, name: str, fail_for: set[str] | None = None, limit: int = 50) -> None:
        self.name = name
        self.max_text_length = limit
        self.fail_for = fail_for or set()
        self.sent: list[tuple[str, str]] = []
        self.photos: list[str] = []

    async def send_text(self, chat_id: str, text: str, buttons: list[list[Button]] | None = None) -> None:
        if chat_id in self.fail_for:
            raise DeliveryError("telegram: Forbidden: bot was blocked by the user")
        assert len(text) <= self.max_text_length
        self.sent.append((chat_id, text))

    async def send_photo(self, chat_id: str, png: bytes, caption: str | None = None) -> None:
        self.photos.append(chat_id)


def test_send_to_user_splits_records_failures_and_alerts_admins(settings: Settings) -> None:
    s = settings.model_copy(update={"access": settings.access.model_copy(update={"admins": ["telegram:9"]})})
    db = Database(s.database_url)
    acc = Accounts(db, s)
    admin = acc.lookup("telegram", "9", chat_id="9")
    assert admin is not None and admin.role == "admin"
    ok_user = acc.redeem(acc.create_invite("official", "Sở Nội vụ").code, channel="telegram", channel_user_id="1", chat_id="1")
    blocked = acc.redeem(acc.create_invite("official", "Sở Tài chính").code, channel="telegram", channel_user_id="2", chat_id="2")
    revoked = acc.redeem(acc.create_invite("leader").code, channel="telegram", channel_user_id="3", chat_id="3")
    acc.revoke(revoked.id)
    ch = Recorder("telegram", fail_for={"2"})
    sender = Sender(acc, {"telegram": ch})
    long_text = "\n".join(f"Dòng nhắc hạn số {i}" for i in range(10))
    assert asyncio.run(sender.send_to_user(ok_user, long_text, photo=b"\x89PNG")) is True
    assert len([c for c, _ in ch.sent if c == "1"]) > 1 and ch.photos == ["1"]
    assert asyncio.run(sender.send_to_user(blocked.id, "nhắc hạn")) is False
    assert asyncio.run(sender.send_to_user("telegram:3", "nhắc hạn")) is False
    fails = acc.failures()
    assert [f["user_id"] for f in fails] == [blocked.id, revoked.id]
    assert "blocked" in fails[0]["reason"] and "thu hồi" in fails[1]["reason"]
    assert all(f["alerted"] for f in fails)
    alerts = [t for c, t in ch.sent if c == "9"]
    assert len(alerts) >= 2 and "telegram:2" in "".join(alerts)
    db.dispose()


def test_zalo_client_against_fake_server() -> None:
    fake = FakeZalo().start()

    async def run() -> None:
        client = ZaloClient(fake.token, fake.base_url)
        try:
            assert (await client.get_me())["account_name"] == "cchc_bot"
            assert await client.get_updates(1) == []  # 408 from long polling = nothing new
            fake.push_text("u1", "xin chào")
            (upd,) = await client.get_updates(1)
            assert unwrap({"ok": True, "result": upd}) == upd == unwrap(upd)
            inc = to_incoming(upd)
            assert inc is not None and (inc.user_id, inc.chat_id, inc.text, inc.is_group) == ("u1", "u1", "xin chào", False)
            fake.fail_next("sendMessage", 429, {"ok": False, "error_code": 429, "description": "Too many requests",
                                                "parameters": {"retry_after": 0.2}})
            await client.send_message("u1", "trả lời")
            assert fake.texts_to("u1") == ["trả lời"]
            fake.fail_next("sendMessage", 200, {"ok": False, "error_code": 400, "description": "invalid chat_id"})
            with pytest.raises(ZaloApiError) as ei:
                await client.send_message("u1", "x")
            assert ei.value.error_code == 400 and fake.token not in str(ei.value)
            fake.fail_next("sendMessage", 403, {"ok": False, "error_code": 403, "description": "user blocked the bot"})
            with pytest.raises(DeliveryError):
                await client.send_message("u1", "x")
            bad = ZaloClient("999:wrongtoken-wrongtoken", fake.base_url)
            with pytest.raises(ZaloApiError) as ei2:
                await bad.get_me()
            assert ei2.value.error_code == 401 and "wrongtoken" not in str(ei2.value)
            await bad.close()
            assert await client.set_webhook("https://x.example/zalo/webhook", "sec") is not None
            assert fake.webhook == {"url": "https://x.example/zalo/webhook", "secret_token": "sec"}
        finally:
            await client.close()

    try:
        asyncio.run(run())
    finally:
        fake.stop()


def test_zalo_group_mention() -> None:
    upd: dict[str, Any] = {"event_name": "message.text.received", "message": {
        "from": {"id": "u1"}, "chat": {"id": "g1", "chat_type": "GROUP"}, "text": "@cchc_bot PAR INDEX?"}}
    inc = to_incoming(upd, "cchc_bot")
    assert inc is not None and inc.is_group and inc.mentioned and inc.text == "PAR INDEX?" and inc.chat_id == "g1"
