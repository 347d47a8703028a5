"""Webhook endpoints served for real on 127.0.0.1 (Telegram: PTB's custom-webhook pattern with our
constant-time check; Zalo: its own endpoint): wrong, short, missing and right secrets; and the
configuration check of the secrets themselves."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.router import Router
from bot.telegram_webhook import secret_matches
from core.errors import ConfigError
from core.settings import Settings, load_settings
from knowledge.store.accounts import Accounts
from tests.fakes.fake_telegram import FakeTelegram
from tests.fakes.fake_zalo import FakeZalo

SECRET = secrets.token_urlsafe(32)  # 43 characters of A-Z a-z 0-9 _ -


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture
def zl() -> Iterator[FakeZalo]:
    fake = FakeZalo().start()
    yield fake
    fake.stop()


def wrong_secrets() -> list[dict[str, str] | None]:
    """Header sets that must all be refused: none, empty, wrong of the same length, a prefix, one more character."""
    flipped = ("A" if SECRET[0] != "A" else "B") + SECRET[1:]
    return [None, {"": ""}, {"v": ""}, {"v": flipped}, {"v": SECRET[:31]}, {"v": SECRET + "x"}, {"v": SECRET.lower()}]


def headers(name: str, spec: dict[str, str] | None) -> dict[str, str]:
    if spec is None or "" in spec:
        return {}
    return {name: spec["v"]} if spec["v"] else {name: ""}


async def test_telegram_webhook_checks_the_secret(knowledge: Any, tg: FakeTelegram) -> None:
    from bot import telegram

    port = free_port()
    s = knowledge.settings.model_copy(update={
        "telegram": type(knowledge.settings.telegram)(
            token=tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url, mode="webhook",
            webhook_url="https://bot.example.org/hooks/tg-hook", webhook_secret=SECRET, port=port),
        "access": knowledge.settings.access.model_copy(update={"admins": ["telegram:1"]}),
    })
    router = Router(s, knowledge, Accounts(knowledge.db, s))
    running = await telegram.BACKEND.start(s, router)
    try:
        assert tg.webhook is not None and tg.webhook["secret_token"] == SECRET
        assert tg.webhook["url"] == "https://bot.example.org/hooks/tg-hook"
        update = {"update_id": 7, "message": {"message_id": 1, "date": 0, "text": "/trogiup",
                                              "chat": {"id": 1, "type": "private"},
                                              "from": {"id": 1, "is_bot": False, "first_name": "A"}}}
        url = f"http://127.0.0.1:{port}/tg-hook"
        async with httpx.AsyncClient(timeout=10) as http:
            for spec in wrong_secrets():
                r = await http.post(url, json=update, headers=headers("X-Telegram-Bot-Api-Secret-Token", spec))
                assert r.status_code == 403, spec
            await asyncio.sleep(0.3)
            assert tg.sent_to(1) == []
            ok = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            assert (await http.post(url, content=b"not json", headers=ok)).status_code == 400
            assert (await http.post(url, json=[1, 2], headers=ok)).status_code == 400
            deep = b"[" * 200_000 + b"]" * 200_000
            assert (await http.post(url, content=deep, headers=ok)).status_code == 400
            for junk in ({"update_id": "x", "message": 5}, {"message": {"chat": []}}, {}):
                assert (await http.post(url, json=junk, headers=ok)).status_code in (200, 400), junk
            big = b'{"update_id": 1, "x": "' + b"a" * (1024 * 1024 + 10) + b'"}'
            with contextlib.suppress(httpx.TransportError):  # refused unread: a 413 or a closed connection
                assert (await http.post(url, content=big, headers=ok)).status_code == 413
            r = await http.post(url, json=update, headers=ok)
            assert r.status_code == 200
        sent = await asyncio.to_thread(tg.wait_sent, 1, 1)
        assert "Các lệnh" in (sent[0].text or "")
    finally:
        await running.stop()


async def test_zalo_webhook_checks_the_secret(knowledge: Any, zl: FakeZalo, caplog: pytest.LogCaptureFixture) -> None:
    from bot import zalo

    port = free_port()
    s = knowledge.settings.model_copy(update={
        "zalo": type(knowledge.settings.zalo)(
            token=zl.token, base_url=zl.base_url, mode="webhook", webhook_url="https://bot.example.org/zalo/webhook",
            webhook_secret=SECRET, port=port),
        "access": knowledge.settings.access.model_copy(update={"admins": ["zalo:a1"]}),
    })
    router = Router(s, knowledge, Accounts(knowledge.db, s))
    running = await zalo.BACKEND.start(s, router)
    try:
        assert zl.webhook == {"url": "https://bot.example.org/zalo/webhook", "secret_token": SECRET}
        url = f"http://127.0.0.1:{port}/zalo/webhook"
        upd = zl.update_for("a1", "/trogiup")
        async with httpx.AsyncClient(timeout=10) as http:
            for spec in wrong_secrets():
                assert (await http.post(url, json=upd, headers=headers("X-Bot-Api-Secret-Token", spec))).status_code == 403
            await asyncio.sleep(0.3)
            assert zl.sent == []
            r = await http.post(url, content=b"[" * 200_000 + b"]" * 200_000,
                                headers={"X-Bot-Api-Secret-Token": SECRET})
            assert r.status_code == 400
            r = await http.post(url, json=upd, headers={"X-Bot-Api-Secret-Token": SECRET})
            assert r.status_code == 200
            # a lone surrogate in the JSON body is cleaned at the boundary, not a crash
            odd = zl.update_for("a1", "x")
            body = httpx.Request("POST", url, json=odd).content.replace(b'"x"', b'"\\ud800 PAR"')
            r = await http.post(url, content=body, headers={"X-Bot-Api-Secret-Token": SECRET,
                                                           "Content-Type": "application/json"})
            assert r.status_code == 200
            for junk in ({"message": "x"}, {"message": {"from": "id"}}, {"result": {"message": {"from": []}}},
                         {"message": {"from": {"id": "j", "display_name": 5}, "chat": [], "text": 7}}):
                r = await http.post(url, json=junk, headers={"X-Bot-Api-Secret-Token": SECRET})
                assert r.status_code == 200, junk
        sent = await asyncio.to_thread(zl.wait_sent, "a1", 2)
        assert "/diem" in (sent[0].text or "")
        sent[1].text.encode("utf-8")  # type: ignore[union-attr]
        assert "Trợ lý CCHC chỉ phục vụ" in ((await asyncio.to_thread(zl.wait_sent, "j", 1))[0].text or "")
        assert "unhandled" not in caplog.text and "Traceback" not in caplog.text
    finally:
        await running.stop()


def test_secret_matches_is_exact() -> None:
    assert secret_matches(SECRET, SECRET)
    assert not secret_matches(None, SECRET) and not secret_matches("", SECRET)
    assert not secret_matches(SECRET[:-1], SECRET) and not secret_matches(SECRET + "\u00e9", SECRET)


def write_config(tmp_path: Path) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text("{}\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("channel", ["TELEGRAM", "ZALO"])
@pytest.mark.parametrize("value", ["", "abc", "x" * 31])
def test_short_webhook_secret_is_a_vietnamese_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           channel: str, value: str) -> None:
    monkeypatch.setenv(f"CCHC_{channel}__WEBHOOK_SECRET", value)
    with pytest.raises(ConfigError) as err:
        load_settings(write_config(tmp_path))
    msg = err.value.user_message
    assert "quá ngắn" in msg and "32" in msg and f"{channel.lower()}.webhook_secret" in msg
    if value:
        assert value not in msg.split("webhook_secret", 1)[1]  # the secret is never echoed


@pytest.mark.parametrize("channel", ["TELEGRAM", "ZALO"])
def test_webhook_mode_without_secret_is_refused_at_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        channel: str) -> None:
    monkeypatch.setenv(f"CCHC_{channel}__TOKEN", "123456:abc")
    monkeypatch.setenv(f"CCHC_{channel}__MODE", "webhook")
    monkeypatch.setenv(f"CCHC_{channel}__WEBHOOK_URL", "https://bot.example.org/hook")
    with pytest.raises(ConfigError, match="webhook_url và bí mật webhook"):
        load_settings(write_config(tmp_path))
    monkeypatch.setenv(f"CCHC_{channel}__WEBHOOK_SECRET", SECRET)
    s: Settings = load_settings(write_config(tmp_path))
    assert getattr(s, channel.lower()).webhook_secret.get_secret_value() == SECRET


def test_telegram_secret_characters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCHC_TELEGRAM__WEBHOOK_SECRET", "é" * 40)
    with pytest.raises(ConfigError, match="A-Z, a-z, 0-9"):
        load_settings(write_config(tmp_path))
    monkeypatch.setenv("CCHC_ZALO__WEBHOOK_SECRET", "é" * 40)  # Zalo sets no such rule
    monkeypatch.delenv("CCHC_TELEGRAM__WEBHOOK_SECRET")
    assert load_settings(write_config(tmp_path)).zalo.webhook_secret is not None
