"""End-to-end: the real ``cchc serve`` process against fake Telegram and Zalo Bot API servers on 127.0.0.1.

Tests push updates as a user would and assert on what the bot sent.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.router import ACCESS_MESSAGE
from core.settings import Settings
from knowledge.store.accounts import Accounts, hash_code, utcnow
from knowledge.store.db import Database
from tests.fakes.fake_telegram import FakeTelegram
from tests.fakes.fake_zalo import FakeZalo

ROOT = Path(__file__).resolve().parents[1]
CCHC = ROOT / ".venv" / "bin" / "cchc"
Q_PAR = "Năm 2022 Chỉ số PAR INDEX của Hưng Yên xếp thứ mấy?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    def __init__(self, proc: subprocess.Popen[bytes], home: Path, err: Path) -> None:
        self.proc, self.home, self.err = proc, home, err

    def logs(self) -> str:
        text = self.err.read_text(encoding="utf-8", errors="replace")
        log = self.home / "logs" / "cchc.log"
        return text + (log.read_text(encoding="utf-8", errors="replace") if log.exists() else "")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def start_serve(settings: Settings, env: dict[str, str]) -> Served:
    home = settings.home
    err = home / "serve.stderr"
    full = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_")}
    full.update({"CCHC_HOME": str(home), "CCHC_CONFIG": str(home / "config.yaml"), "CCHC_LOG_LEVEL": "INFO"}, **env)
    proc = subprocess.Popen([str(CCHC), "serve"], env=full, stdout=subprocess.DEVNULL, stderr=err.open("wb"),
                            stdin=subprocess.DEVNULL)
    return Served(proc, home, err)


def invite(settings: Settings, role: str, agency: str | None = None, *, expired: bool = False) -> str:
    db = Database(settings.database_url)
    try:
        acc = Accounts(db, settings)
        code = acc.create_invite(role, agency).code
        if expired:
            from sqlalchemy import update

            from knowledge.store.account_models import Invite

            with db.session() as s:
                s.execute(update(Invite).where(Invite.code_hash == hash_code(code, acc.secret)).values(expires_at=utcnow() - timedelta(minutes=1)))
        return code
    finally:
        db.dispose()


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


def tg_env(fake: FakeTelegram, **extra: str) -> dict[str, str]:
    return {"CCHC_TELEGRAM__TOKEN": fake.token, "CCHC_TELEGRAM__BASE_URL": fake.base_url,
            "CCHC_TELEGRAM__BASE_FILE_URL": fake.base_file_url, "CCHC_TELEGRAM__POLL_TIMEOUT_S": "2",
            "CCHC_ACCESS__ADMINS": '["telegram:1"]', **extra}


@pytest.fixture
def served_tg(corpus_settings: Settings, tg: FakeTelegram) -> Iterator[Served]:
    from knowledge.tasks import refresh as tasks_refresh

    db = Database(corpus_settings.database_url)
    tasks_refresh.refresh_from_documents(db)
    db.dispose()
    srv = start_serve(corpus_settings, tg_env(tg))
    assert tg.wait_until(lambda: "getUpdates" in tg.methods_called(), 30), srv.logs()
    yield srv
    srv.stop()


def settle(fake: Any, seconds: float = 0.6) -> None:
    time.sleep(seconds)


def tasks_query_status(db: Database, task_id: int) -> str:
    from knowledge.tasks import query as tasks_query

    return tasks_query.get_task(db, task_id).status


@pytest.mark.slow
def test_telegram_end_to_end(corpus_settings: Settings, tg: FakeTelegram, served_tg: Served) -> None:
    # an unregistered user gets the access message only
    tg.push_message(500, Q_PAR)
    tg.push_message(500, "/nhiemvu")
    tg.wait_sent(500, 2)
    settle(tg)
    assert tg.texts_to(500) == [ACCESS_MESSAGE, ACCESS_MESSAGE]

    # /dangky with a valid code registers; an expired code does not
    good = invite(corpus_settings, "official", "Sở Nội vụ")
    bad = invite(corpus_settings, "official", "Sở Nội vụ", expired=True)
    tg.push_message(501, f"/dangky {good}")
    tg.push_message(502, f"/dangky {bad}")
    assert "Đăng ký thành công" in tg.wait_sent(501)[0].text  # type: ignore[operator]
    assert "hết hạn" in (tg.wait_sent(502)[0].text or "")
    tg.push_message(502, Q_PAR)
    assert tg.wait_sent(502, 2)[-1].text == ACCESS_MESSAGE

    # a question gets a cited answer, HTML parse mode, split under the limit, with feedback buttons
    tg.push_message(501, Q_PAR)
    sent = tg.wait_sent(501, 2)[1:]
    ans = sent[-1]
    assert ans.parse_mode == "HTML" and "12/63" in (ans.text or "") and "Nguồn:" in (ans.text or "")
    assert all(len(s.text or "") <= 4096 for s in sent)
    assert ans.buttons[0][0]["callback_data"].startswith("fb:")

    # Telegram rejects the formatting -> plain-text fallback; a 429 is retried after retry_after
    tg.reject_html = True
    tg.fail_next("sendMessage", 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                      "parameters": {"retry_after": 1}})
    tg.push_callback(501, ans.buttons[0][1]["callback_data"])
    after = tg.wait_sent(501, 3)
    assert after[-1].parse_mode is None and "Cảm ơn" in (after[-1].text or "")
    assert len(tg.callback_answers) == 1
    tg.reject_html = False

    # /nhiemvu: one message of at most ~10 items, most urgent first, codes users can type, no CLI hints;
    # pressing "Xong" marks that task done, names it, and the pressed message loses that button
    tg.push_message(501, "/nhiemvu")
    assert tg.wait_until(lambda: any(s.buttons and "Xong" in s.buttons[0][0]["text"] for s in tg.sent_to(501)), 20), (
        tg.texts_to(501)[-1:], served_tg.logs()[-3000:])
    listing = tg.sent_to(501)[-1]
    assert "Sở Nội vụ" in (listing.text or "") and "cchc " not in (listing.text or "")
    assert len(listing.text or "") <= 4096 and (listing.text or "").count("▪") <= 10
    n_before = len(tg.sent_to(501))
    done_btn = listing.buttons[0][0]
    code = done_btn["text"].removeprefix("✅ Xong ")
    assert f"[{code}]" in (listing.text or "")
    tg.push_callback(501, done_btn["callback_data"], keyboard=listing.buttons, message_id=listing.message_id)
    confirm = tg.wait_sent(501, n_before + 1)[-1].text or ""
    assert "Đã ghi nhận hoàn thành" in confirm and f"mã {code}" in confirm
    assert tg.wait_until(lambda: bool(tg.edits), 10)
    _chat, mid, kept = tg.edits[-1]
    assert mid == listing.message_id and all(done_btn["callback_data"] != b["callback_data"] for r in kept for b in r)
    from knowledge.tasks import actions

    db = Database(corpus_settings.database_url)
    assert tasks_query_status(db, actions.find_task_id(db, code)) == "hoàn thành"
    db.dispose()
    # the same button again (replayed) changes nothing: the task's version moved on
    tg.push_callback(501, done_btn["callback_data"])
    assert "Nút này đã cũ" in (tg.wait_sent(501, n_before + 2)[-1].text or "")
    n_before += 1

    # officials may not use /diem; a group message not addressed to the bot is ignored
    tg.push_message(501, "/diem")
    assert "không có quyền" in (tg.wait_sent(501, n_before + 2)[-1].text or "")
    # groups: off until an admin allows one; then answers go to the private chat, not the group
    tg.push_message(501, Q_PAR, chat_id=-100, chat_type="supergroup")
    tg.push_message(501, f"@cchc_test_bot {Q_PAR}", chat_id=-100, chat_type="supergroup")
    grp = tg.wait_sent(-100, 1)
    settle(tg)
    assert len(tg.sent_to(-100)) == 1 and "cchc groups allow telegram:-100" in (grp[0].text or "")
    db = Database(corpus_settings.database_url)
    Accounts(db, corpus_settings).groups.allow("telegram", "-100")
    db.dispose()
    tg.push_message(501, f"@cchc_test_bot {Q_PAR}", chat_id=-100, chat_type="supergroup")
    grp = tg.wait_sent(-100, 2)
    assert "tin nhắn riêng" in (grp[-1].text or "") and "12/63" not in (grp[-1].text or "")
    assert "12/63" in (tg.sent_to(501)[n_before + 2].text or "")

    # admin uploads: a DOCX is ingested (type by content), an executable named .pdf is refused
    import docx

    d = docx.Document()
    d.add_paragraph("KẾ HOẠCH thử nghiệm")
    d.add_paragraph("1. Sở Thử Nghiệm phải hoàn thành báo cáo kiểm thử tải lên trước ngày 31/12/2026.")
    buf = io.BytesIO()
    d.save(buf)
    tg.push_document(1, "ke-hoach-thu.bin", buf.getvalue())
    out = tg.wait_sent(1, 2, timeout=30)
    assert "Đã nạp: ke-hoach-thu.docx" in (out[-1].text or ""), [s.text for s in out]
    tg.push_document(1, "virus.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    assert "không phải PDF" in (tg.wait_sent(1, 4)[-1].text or "")
    tg.push_document(501, "x.pdf", b"%PDF-1.4\n")
    assert "Chỉ quản trị viên" in (tg.wait_sent(501, n_before + 4)[-1].text or "")

    # nothing secret at INFO: no token, invite code or message body in the logs
    served_tg.stop()
    logs = served_tg.logs()
    assert "INFO" in logs
    for secret in (tg.token, tg.token.split(":")[1], good, bad, Q_PAR, "Sở Thử Nghiệm"):
        assert secret not in logs, secret


@pytest.mark.slow
def test_telegram_scores_send_text_and_photo(corpus_settings: Settings, tg: FakeTelegram, served_tg: Served) -> None:
    tg.push_message(1, "/diem PAR 2022")
    sent = tg.wait_sent(1, 2, timeout=30)
    assert sent[0].method == "sendMessage" and sent[0].text
    assert "12/63" in sent[0].text and "Nguồn" in sent[0].text  # Hưng Yên PAR INDEX 2022, cited
    assert sent[1].method == "sendPhoto" and sent[1].photo and sent[1].photo.startswith(b"\x89PNG")


@pytest.mark.slow
def test_fifty_users_at_once(corpus_settings: Settings, tg: FakeTelegram, served_tg: Served) -> None:
    """50 registered users ask at once: every one answered, no error, no reply to the wrong chat."""
    from bot.formatting import format_answer
    from knowledge.service import Knowledge

    qa = [json.loads(x)["q"] for x in (ROOT.parent / "shared" / "eval" / "dev_qa.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    kn = Knowledge(corpus_settings)
    acc = Accounts(kn.db, corpus_settings)
    expected: dict[int, str] = {}
    for i in range(50):
        uid = 10_000 + i
        acc.redeem(acc.create_invite("official", "Sở Nội vụ").code, channel="telegram", channel_user_id=str(uid), chat_id=str(uid))
        expected[uid] = format_answer(kn.ask(qa[i % len(qa)])).strip()
    kn.close()
    for i in range(50):
        tg.push_message(10_000 + i, qa[i % len(qa)])
    # Wait for every chat's whole reply (a long answer arrives in several messages).
    def complete() -> bool:
        return all("\n".join(tg.texts_to(uid)).strip() == want for uid, want in expected.items())

    tg.wait_until(complete, 90)
    settle(tg, 1.0)
    for uid, want in expected.items():
        got = tg.texts_to(uid)
        assert "\n".join(got).strip() == want, uid
    assert all(s.chat_id in expected for s in tg.sent)
    assert "ERROR" not in served_tg.logs()


@pytest.mark.slow
def test_telegram_webhook_refuses_requests_without_secret(corpus_settings: Settings, tg: FakeTelegram) -> None:
    port = free_port()
    secret = "s3cret-webhook-token-xyz_0123456789abcdef"
    srv = start_serve(corpus_settings, tg_env(
        tg, CCHC_TELEGRAM__MODE="webhook", CCHC_TELEGRAM__PORT=str(port),
        CCHC_TELEGRAM__WEBHOOK_URL="https://bot.example.org/tg-hook", CCHC_TELEGRAM__WEBHOOK_SECRET=secret))
    try:
        assert tg.wait_until(lambda: tg.webhook is not None, 30), srv.logs()
        assert tg.webhook is not None and tg.webhook["secret_token"] == secret
        update = {"update_id": 1, "message": {"message_id": 1, "date": int(time.time()), "text": Q_PAR,
                  "chat": {"id": 1, "type": "private"}, "from": {"id": 1, "is_bot": False, "first_name": "A"}}}
        url = f"http://127.0.0.1:{port}/tg-hook"
        r = httpx.post(url, json=update, timeout=10)
        assert r.status_code == 403
        r = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}, timeout=10)
        assert r.status_code == 403
        assert tg.sent == []
        r = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}, timeout=10)
        assert r.status_code == 200
        assert "12/63" in (tg.wait_sent(1)[0].text or "")
    finally:
        srv.stop()
    assert secret not in srv.logs()


@pytest.fixture
def zl() -> Iterator[FakeZalo]:
    fake = FakeZalo().start()
    yield fake
    fake.stop()


@pytest.mark.slow
def test_zalo_polling_end_to_end(corpus_settings: Settings, zl: FakeZalo) -> None:
    port = free_port()
    srv = start_serve(corpus_settings, {
        "CCHC_ZALO__TOKEN": zl.token, "CCHC_ZALO__BASE_URL": zl.base_url, "CCHC_ZALO__POLL_TIMEOUT_S": "2",
        "CCHC_ZALO__PORT": str(port), "CCHC_ZALO__PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CCHC_ACCESS__ADMINS": '["zalo:admin1"]'})
    try:
        assert zl.wait_until(lambda: "getUpdates" in zl.methods_called(), 30), srv.logs()
        zl.push_text("u9", Q_PAR)
        zl.wait_sent("u9")
        settle(zl)
        assert zl.texts_to("u9") == [ACCESS_MESSAGE]
        code = invite(corpus_settings, "official", "Sở Nội vụ")
        zl.push_text("u1", f"/dangky {code}")
        assert "Đăng ký thành công" in zl.wait_sent("u1")[0].text  # type: ignore[operator]
        zl.fail_next("sendMessage", 429, {"ok": False, "error_code": 429, "description": "Too many requests",
                                          "parameters": {"retry_after": 1}})
        zl.push_text("u1", "Sở Nội vụ phải làm gì về PAR INDEX?")
        zl.wait_until(lambda: any("Trả lời bằng số" in t for t in zl.texts_to("u1")), 20)
        texts = zl.texts_to("u1")[1:]
        assert all(len(t) <= 2000 for t in texts) and "Nguồn:" in "\n".join(texts)
        assert "1. 👍" in texts[-1]
        zl.push_text("u1", "2")
        zl.wait_until(lambda: any("Cảm ơn" in t for t in zl.texts_to("u1")), 15)
        from knowledge.store import feedback

        db = Database(corpus_settings.database_url)
        assert [r["rating"] for r in feedback.export(db, rated_only=True)] == [-1]
        db.dispose()
        zl.push_text("admin1", "/diem PAR 2022")
        zl.wait_until(lambda: any(s.method == "sendPhoto" for s in zl.sent), 30)
        photo = next(s for s in zl.sent if s.method == "sendPhoto")
        assert photo.photo and photo.photo.startswith(b"\x89PNG")
    finally:
        srv.stop()
    assert zl.token not in srv.logs() and code not in srv.logs()


@pytest.mark.slow
def test_zalo_webhook_secret_and_both_body_shapes(corpus_settings: Settings, zl: FakeZalo) -> None:
    port = free_port()
    secret = "zalo-secret-abc-123-0123456789abcdef!"
    srv = start_serve(corpus_settings, {
        "CCHC_ZALO__TOKEN": zl.token, "CCHC_ZALO__BASE_URL": zl.base_url, "CCHC_ZALO__MODE": "webhook",
        "CCHC_ZALO__PORT": str(port), "CCHC_ZALO__WEBHOOK_URL": "https://bot.example.org/zalo/webhook",
        "CCHC_ZALO__WEBHOOK_SECRET": secret, "CCHC_ACCESS__ADMINS": '["zalo:a1"]'})
    try:
        assert zl.wait_until(lambda: zl.webhook is not None, 30), srv.logs()
        assert zl.webhook == {"url": "https://bot.example.org/zalo/webhook", "secret_token": secret}
        url = f"http://127.0.0.1:{port}/zalo/webhook"
        upd = zl.update_for("a1", "/trogiup")
        assert httpx.post(url, json=upd, timeout=10).status_code == 403
        assert httpx.post(url, json=upd, headers={"X-Bot-Api-Secret-Token": "nope"}, timeout=10).status_code == 403
        settle(zl)
        assert zl.sent == []
        assert httpx.post(url, json=upd, headers={"X-Bot-Api-Secret-Token": secret}, timeout=10).status_code == 200
        assert "/diem" in (zl.wait_sent("a1")[0].text or "")
        wrapped = {"ok": True, "result": zl.update_for("a1", Q_PAR)}
        assert httpx.post(url, json=wrapped, headers={"X-Bot-Api-Secret-Token": secret}, timeout=10).status_code == 200
        zl.wait_until(lambda: any("12/63" in t for t in zl.texts_to("a1")), 15)
        assert any("12/63" in t for t in zl.texts_to("a1"))
    finally:
        srv.stop()


def test_serve_without_token_points_to_chat(settings: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_")}
    env.update(CCHC_HOME=str(settings.home), CCHC_CONFIG=str(settings.home / "config.yaml"))
    r = subprocess.run([str(CCHC), "serve"], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 1 and "cchc chat" in r.stderr and "CCHC_TELEGRAM__TOKEN" in r.stderr


def test_python_is_the_venv() -> None:
    assert CCHC.exists(), sys.executable


@pytest.mark.slow
def test_serve_refuses_a_short_webhook_secret(corpus_settings: Settings, zl: FakeZalo) -> None:
    srv = start_serve(corpus_settings, {
        "CCHC_ZALO__TOKEN": zl.token, "CCHC_ZALO__BASE_URL": zl.base_url, "CCHC_ZALO__MODE": "webhook",
        "CCHC_ZALO__WEBHOOK_URL": "https://bot.example.org/zalo/webhook", "CCHC_ZALO__WEBHOOK_SECRET": "abc"})
    try:
        assert srv.proc.wait(60) == 1
    finally:
        srv.stop()
    err = srv.err.read_text(encoding="utf-8")
    assert "zalo.webhook_secret" in err and "ít nhất 32 ký tự" in err and "Traceback" not in err
    assert zl.webhook is None and "AssertionError" not in srv.logs()
