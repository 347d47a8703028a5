"""Router unit tests: access, roles, commands, rate limit, feedback, numbered choices, errors."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest

from bot.channel import Button, Channel, Incoming
from bot.router import ACCESS_MESSAGE, GENERIC_ERROR, Router
from bot.terminal import TerminalChannel, run_terminal_chat
from knowledge.store.accounts import Accounts


class MemoryChannel(Channel):
    def __init__(self, name: str = "telegram", *, buttons: bool = True, limit: int = 4096) -> None:
        self.name = name
        self.supports_buttons = buttons
        self.max_text_length = limit
        self.sent: list[tuple[str, str, Any]] = []
        self.photos: list[tuple[str, bytes, str | None]] = []
        self.acks: list[str] = []

    async def send_text(self, chat_id: str, text: str, buttons: list[list[Button]] | None = None) -> None:
        assert len(text) <= self.max_text_length
        self.sent.append((chat_id, text, buttons))

    async def send_photo(self, chat_id: str, png: bytes, caption: str | None = None) -> None:
        self.photos.append((chat_id, png, caption))

    async def answer_callback(self, callback_id: str, text: str | None = None) -> None:
        self.acks.append(callback_id)

    def texts(self) -> list[str]:
        return [t for _, t, _ in self.sent]


def msg(text: str, user: str = "100", channel: str = "telegram", **kw: Any) -> Incoming:
    return Incoming(channel=channel, user_id=user, chat_id=kw.pop("chat_id", user), text=text, **kw)


@pytest.fixture
def access(knowledge: Any) -> Accounts:
    return Accounts(knowledge.db, knowledge.settings)


@pytest.fixture
def router(knowledge: Any, access: Accounts) -> Router:
    return Router(knowledge.settings, knowledge, access)


async def registered(router: Router, access: Accounts, ch: MemoryChannel, user: str = "100", role: str = "official",
                     agency: str | None = "Sở Nội vụ") -> None:
    inv = access.create_invite(role, agency)
    await router.handle(msg(f"/dangky {inv.code}", user, channel=ch.name), ch)
    assert any("Đăng ký thành công" in t for t in ch.texts())
    ch.sent.clear()


async def test_unregistered_gets_only_the_access_message(router: Router) -> None:
    ch = MemoryChannel()
    for text in ("Sở Nội vụ phải làm gì về PAR INDEX?", "/diem", "/nhiemvu", "/start", "/trogiup"):
        await router.handle(msg(text), ch)
    assert ch.texts() == [ACCESS_MESSAGE] * 5
    assert ch.photos == []


async def test_register_valid_code_then_question_gets_cited_answer(router: Router, access: Accounts) -> None:
    ch = MemoryChannel()
    await registered(router, access, ch)
    await router.handle(msg("Năm 2022 Chỉ số PAR INDEX của Hưng Yên xếp thứ mấy?"), ch)
    (_, text, buttons), = ch.sent
    assert "12/63" in text and "Nguồn:" in text
    assert buttons and buttons[0][0].data.startswith("fb:")


async def test_code_is_one_time_and_expired_code_refused(router: Router, access: Accounts) -> None:
    ch = MemoryChannel()
    inv = access.create_invite("official", "Sở Nội vụ")
    await router.handle(msg(f"/dangky {inv.code}", "1"), ch)
    await router.handle(msg(f"/register {inv.code.lower()}", "2"), ch)
    assert "đã được dùng" in ch.texts()[-1]
    old = access.create_invite("official", "Sở Nội vụ", expires=timedelta(minutes=1))
    from sqlalchemy import update

    from knowledge.store.account_models import Invite
    from knowledge.store.accounts import hash_code, utcnow

    with access.db.session() as s:
        s.execute(update(Invite).where(Invite.code_hash == hash_code(old.code, access.secret)).values(expires_at=utcnow() - timedelta(seconds=1)))
    await router.handle(msg(f"/dangky {old.code}", "3"), ch)
    assert "hết hạn" in ch.texts()[-1]
    await router.handle(msg("câu hỏi về PAR INDEX", "3"), ch)
    assert ch.texts()[-1] == ACCESS_MESSAGE
    assert access.lookup("telegram", "3") is None and access.lookup("telegram", "2") is None


async def test_roles_enforced_in_router_and_help_shows_only_allowed(router: Router, access: Accounts) -> None:
    ch = MemoryChannel()
    await registered(router, access, ch, role="official")
    await router.handle(msg("/diem"), ch)
    assert "không có quyền" in ch.texts()[-1]
    await router.handle(msg("/trogiup"), ch)
    assert "/diem" not in ch.texts()[-1] and "/nhiemvu" in ch.texts()[-1]
    await registered(router, access, ch, user="200", role="leader", agency=None)
    await router.handle(msg("/help", "200"), ch)
    assert "/diem" in ch.texts()[-1]


async def test_revoked_user_loses_access(router: Router, access: Accounts) -> None:
    ch = MemoryChannel()
    await registered(router, access, ch)
    access.revoke("telegram:100")
    await router.handle(msg("PAR INDEX 2022 xếp thứ mấy?"), ch)
    assert ch.texts() == [ACCESS_MESSAGE]


async def test_bootstrap_admin_from_settings(knowledge: Any) -> None:
    s = knowledge.settings.model_copy(update={"access": knowledge.settings.access.model_copy(update={"admins": ["zalo:abc"]})})
    acc = Accounts(knowledge.db, s)
    r = Router(s, knowledge, acc)
    ch = MemoryChannel("zalo", buttons=False, limit=2000)
    await r.handle(msg("/trogiup", "abc", channel="zalo"), ch)
    assert "quản trị viên" in ch.texts()[-1]
    with pytest.raises(Exception, match="cấu hình"):
        acc.revoke("zalo:abc")


async def test_feedback_button_and_zalo_numbered_choice(router: Router, access: Accounts) -> None:
    from knowledge.store import feedback

    tg = MemoryChannel()
    await registered(router, access, tg)
    await router.handle(msg("PAR INDEX 2022 xếp thứ mấy?"), tg)
    data = tg.sent[-1][2][0][0].data
    await router.handle(msg("", callback_data=data, callback_id="cb1"), tg)
    assert tg.acks == ["cb1"] and "Cảm ơn" in tg.texts()[-1]
    zl = MemoryChannel("zalo", buttons=False, limit=2000)
    await registered(router, access, zl, user="z1")
    await router.handle(msg("PAR INDEX 2022 xếp thứ mấy?", "z1", channel="zalo"), zl)
    assert "1. 👍" in zl.texts()[-1] and "2. 👎" in zl.texts()[-1] and zl.sent[-1][2] is None
    await router.handle(msg("2", "z1", channel="zalo"), zl)
    assert "Cảm ơn" in zl.texts()[-1]
    rows = feedback.export(access.db)
    assert [r["rating"] for r in rows] == [1, -1]
    assert rows[0]["citations"] and rows[0]["question"] == "PAR INDEX 2022 xếp thứ mấy?"


async def test_someone_elses_feedback_is_refused(router: Router, access: Accounts) -> None:
    ch = MemoryChannel()
    await registered(router, access, ch)
    await registered(router, access, ch, user="101")
    await router.handle(msg("PAR INDEX 2022 xếp thứ mấy?"), ch)
    data = ch.sent[-1][2][0][0].data
    await router.handle(msg("", "101", callback_data=data), ch)
    assert "Không tìm thấy" in ch.texts()[-1]


async def test_long_reply_split_at_limit_on_lines(router: Router, access: Accounts) -> None:
    ch = MemoryChannel("zalo", buttons=False, limit=300)
    await registered(router, access, ch)
    await router.handle(msg("Sở Nội vụ phải làm gì về PAR INDEX?", channel="zalo"), ch)
    texts = ch.texts()
    assert len(texts) > 1 and all(len(t) <= 300 for t in texts)
    assert "Trả lời bằng số" in texts[-1]


async def test_group_only_when_addressed(router: Router, access: Accounts) -> None:
    ch = MemoryChannel()
    await registered(router, access, ch)
    access.groups.allow("telegram", "-5")
    await router.handle(msg("PAR INDEX 2022?", chat_id="-5", is_group=True), ch)
    assert ch.sent == []
    await router.handle(msg("PAR INDEX 2022 xếp thứ mấy?", user="999", chat_id="-5", is_group=True, mentioned=True), ch)
    assert ch.sent == []  # unregistered in a group: silence
    await router.handle(msg("@bot PAR INDEX 2022 xếp thứ mấy?", chat_id="-5", is_group=True, mentioned=True), ch)
    # the answer goes to the private chat; the group only learns that it was answered there
    assert ch.sent[-2][0] == "100" and "Nguồn:" in ch.sent[-2][1]
    assert ch.sent[-1][0] == "-5" and "Nguồn:" not in ch.sent[-1][1]


async def test_errors_are_central(router: Router, access: Accounts, caplog: pytest.LogCaptureFixture) -> None:
    ch = MemoryChannel()
    await registered(router, access, ch)
    await router.handle(msg("/hoi " + "x" * 2000), ch)
    assert "quá dài" in ch.texts()[-1]

    class Boom:
        settings = router.settings
        db = router.knowledge.db

        def ask(self, q: str) -> Any:
            raise RuntimeError("secret internals")

    r2 = Router(router.settings, Boom(), access)
    with caplog.at_level("ERROR"):
        await r2.handle(msg("PAR INDEX?"), ch)
    assert ch.texts()[-1] == GENERIC_ERROR
    assert any(rec.exc_info for rec in caplog.records)


def test_terminal_chat_uses_router(knowledge: Any) -> None:
    out = io.StringIO()
    run_terminal_chat(knowledge, stdin=io.StringIO("/trogiup\nPAR INDEX 2022 xếp thứ mấy?\n1\n/thoat\n"), stdout=out)
    text = out.getvalue()
    assert "/diem" in text  # local admin
    assert "12/63" in text and "Cảm ơn bạn đã góp ý" in text
    assert isinstance(TerminalChannel(out), Channel)
