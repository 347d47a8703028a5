"""Access through the router: rate limits (injected loop clock), /dangky lockout (injected clock),
the group policy matrix, and odd input (numbers, surrogates) that must never raise."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.channel import Incoming
from bot.router import ACCESS_MESSAGE, GROUP_ANSWERED, GROUP_NEEDS_PRIVATE_CHAT, Router
from core.settings import Settings
from knowledge.store.accounts import Accounts
from tests.clockloop import ClockLoop
from tests.test_bot_router import MemoryChannel, msg

Q = "PAR INDEX 2022 xếp thứ mấy?"


class ClockLoopPolicy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        return ClockLoop()


@pytest.fixture
def event_loop_policy() -> ClockLoopPolicy:
    return ClockLoopPolicy()


def clock_loop() -> ClockLoop:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, ClockLoop)
    return loop


def with_access(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"access": settings.access.model_copy(update=changes)})


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


async def register(router: Router, acc: Accounts, ch: MemoryChannel, user: str, role: str = "official") -> None:
    code = acc.create_invite(role, "Sở Nội vụ" if role == "official" else None).code
    await router.handle(msg(f"/dangky {code}", user, channel=ch.name), ch)
    assert "Đăng ký thành công" in ch.texts()[-1]
    ch.sent.clear()


# ---------------------------------------------------------------------------- rate limits
async def test_questions_and_heavy_commands_share_a_per_user_budget(knowledge: Any) -> None:
    s = with_access(knowledge.settings, questions_per_minute=3)
    acc = Accounts(knowledge.db, s)
    r = Router(s, knowledge, acc)
    ch = MemoryChannel()
    await register(r, acc, ch, "100", role="leader")
    await register(r, acc, ch, "200")
    for text in (Q, "/nhiemvu Sở Nội vụ", "/diem PAR 2022"):
        await r.handle(msg(text, "100"), ch)
    assert not any("quá nhanh" in t for t in ch.texts())
    n = len(ch.sent)
    await r.handle(msg("/diem PAR 2022", "100"), ch)
    await r.handle(msg(Q, "100"), ch)
    await r.handle(msg("/hanchot", "100"), ch)
    refused = ch.texts()[n:]
    assert len(refused) == 1 and "quá nhanh" in refused[0] and "3" in refused[0]  # told once, not three times
    await r.handle(msg("/trogiup", "100"), ch)  # light commands still work
    assert "Các lệnh" in ch.texts()[-1]
    await r.handle(msg(Q, "200"), ch)  # another user is not affected
    assert "Nguồn:" in ch.texts()[-1]
    clock_loop().advance(61)
    await r.handle(msg("/nhiemvu Sở Nội vụ", "100"), ch)
    assert "quá nhanh" not in ch.texts()[-1]


async def test_the_terminal_chat_is_not_throttled(knowledge: Any) -> None:
    import io

    from bot.terminal import TerminalChannel

    s = with_access(knowledge.settings, questions_per_minute=1, commands_per_minute=1)
    acc = Accounts(knowledge.db, s)
    r = Router(s, knowledge, acc)
    acc.ensure_local_admin()
    term = TerminalChannel(io.StringIO())
    for _ in range(3):
        await r.handle(Incoming(channel="terminal", user_id="local", chat_id="local", text=Q), term)
    assert sum("Nguồn:" in t for t in term.sent) == 3 and not any("quá nhanh" in t for t in term.sent)


async def test_every_update_is_limited_before_any_lookup(knowledge: Any, caplog: pytest.LogCaptureFixture) -> None:
    s = with_access(knowledge.settings, commands_per_minute=4)
    acc = Accounts(knowledge.db, s)
    lookups: list[str] = []
    real = acc.lookup

    def counting(*a: Any, **kw: Any) -> Any:
        lookups.append(a[1])
        return real(*a, **kw)

    acc.lookup = counting  # type: ignore[method-assign]
    r = Router(s, knowledge, acc)
    ch = MemoryChannel()
    caplog.set_level(logging.WARNING)
    for _ in range(10):
        await r.handle(msg("/dangky AAAAA-BBBBB", "666"), ch)
    assert len(lookups) == 4  # the other six never reached the database
    assert sum("quá nhanh" in t for t in ch.texts()) == 1
    assert "rate limit" in caplog.text and "AAAAA" not in caplog.text
    clock_loop().advance(15)  # one more slot after 60/4 s
    await r.handle(msg("xin chào", "666"), ch)
    assert ch.texts()[-1] == ACCESS_MESSAGE


# ---------------------------------------------------------------------------- /dangky lockout
async def test_dangky_lockout_per_user_with_clock(knowledge: Any, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    s = with_access(knowledge.settings, register_max_failures=3, register_window_minutes=10,
                    register_lockout_minutes=30)
    acc = Accounts(knowledge.db, s, clock=clock)
    r = Router(s, knowledge, acc)
    ch = MemoryChannel()
    good = acc.create_invite("official", "Sở Nội vụ").code
    caplog.set_level(logging.INFO)
    for i in range(3):
        await r.handle(msg(f"/dangky WRONG-CODE{i}", "7"), ch)
        assert "không đúng" in ch.texts()[-1]
        clock.advance(minutes=1)
    await r.handle(msg(f"/dangky {good}", "7"), ch)  # the right code, but locked: not even looked at
    assert "thử lại sau 29 phút" in ch.texts()[-1]
    await r.handle(msg(f"/dangky {good}", "8"), ch)  # another user is not locked
    assert "Đăng ký thành công" in ch.texts()[-1]
    other = acc.create_invite("official", "Sở Nội vụ").code
    clock.advance(minutes=28)
    await r.handle(msg(f"/dangky {other}", "7"), ch)
    assert "thử lại sau 1 phút" in ch.texts()[-1]  # attempts while locked do not prolong the lockout
    clock.advance(minutes=1, seconds=1)
    await r.handle(msg(f"/dangky {other}", "7"), ch)
    assert "Đăng ký thành công" in ch.texts()[-1]
    assert good not in caplog.text and other not in caplog.text and "WRONG-CODE" not in caplog.text


async def test_dangky_lockout_overall(knowledge: Any) -> None:
    clock = Clock()
    s = with_access(knowledge.settings, register_max_failures=3, register_max_failures_total=5,
                    register_window_minutes=10, register_lockout_minutes=20)
    acc = Accounts(knowledge.db, s, clock=clock)
    r = Router(s, knowledge, acc)
    ch = MemoryChannel()
    good = acc.create_invite("official", "Sở Nội vụ").code
    for user in range(5):  # five users, one wrong code each: no one is locked alone
        await r.handle(msg("/dangky WRONG-CODE1", f"u{user}"), ch)
        clock.advance(seconds=30)
    await r.handle(msg(f"/dangky {good}", "newcomer"), ch)
    assert "tạm khóa" in ch.texts()[-1]
    clock.advance(minutes=20)
    await r.handle(msg(f"/dangky {good}", "newcomer"), ch)
    assert "Đăng ký thành công" in ch.texts()[-1]


# ---------------------------------------------------------------------------- groups
GROUP = "-1001234567890"


def group_msg(text: str, user: str, *, mentioned: bool = False, channel: str = "telegram") -> Incoming:
    return Incoming(channel=channel, user_id=user, chat_id=GROUP, text=text, is_group=True, mentioned=mentioned,
                    display_name=f"Người {user}")


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
@pytest.mark.parametrize("allowed", [False, True])
@pytest.mark.parametrize("registered", [False, True])
@pytest.mark.parametrize("text,mentioned", [("/hoi " + Q, False), (Q, True), ("/diem PAR 2022", False)])
async def test_group_matrix(knowledge: Any, channel: str, allowed: bool, registered: bool, text: str,
                            mentioned: bool) -> None:
    """Who sees what in a group: nothing without the admin's allow; with it, only registered users,
    and only in their private chat (the group sees a content-free note)."""
    acc = Accounts(knowledge.db, knowledge.settings)
    r = Router(knowledge.settings, knowledge, acc)
    ch = MemoryChannel(channel, buttons=channel == "telegram", limit=4096 if channel == "telegram" else 2000)
    if allowed:
        acc.groups.allow(channel, GROUP, by="test")
    if registered:
        await register(r, acc, ch, "500", role="leader")
    await r.handle(group_msg(text, "500", mentioned=mentioned, channel=channel), ch)
    await r.handle(group_msg("câu này không gọi trợ lý", "500", channel=channel), ch)  # not addressed: ignored
    in_group = [t for c, t, _ in ch.sent if c == GROUP]
    private = [t for c, t, _ in ch.sent if c == "500"]
    if not allowed:
        assert len(in_group) == 1 and f"cchc groups allow {channel}:{GROUP}" in in_group[0]
        assert private == [] and ch.photos == []
    elif not registered:
        assert in_group == [] and private == [] and ch.photos == []
    else:
        assert in_group == [GROUP_ANSWERED.format(name="Người 500")]  # no content in the group
        assert private and ("Nguồn:" in private[0] or "PAR" in private[0])
        assert all(c == "500" for c, _, _ in ch.photos)
    assert not any("Nguồn:" in t or "12/63" in t for t in in_group)
    assert len(ch.sent) == len(in_group) + len(private)  # nothing went anywhere else


async def test_group_notice_once_an_hour_and_revoke(knowledge: Any) -> None:
    acc = Accounts(knowledge.db, knowledge.settings)
    r = Router(knowledge.settings, knowledge, acc)
    ch = MemoryChannel()
    await register(r, acc, ch, "500")
    for _ in range(3):
        await r.handle(group_msg("/trogiup", "500"), ch)
    assert len(ch.sent) == 1
    acc.groups.allow("telegram", GROUP)
    await r.handle(group_msg("/trogiup", "500"), ch)
    assert [c for c, _, _ in ch.sent[1:]] == ["500", GROUP]
    acc.groups.revoke("telegram", GROUP)
    clock_loop().advance(3601)
    await r.handle(group_msg("/trogiup", "500"), ch)
    assert "chưa được phép" in ch.texts()[-1] and ch.sent[-1][0] == GROUP


async def test_group_user_without_private_chat_is_asked_to_open_one(knowledge: Any) -> None:
    s = with_access(knowledge.settings, admins=["telegram:900"])
    acc = Accounts(knowledge.db, s)
    r = Router(s, knowledge, acc)
    acc.groups.allow("telegram", GROUP)
    ch = MemoryChannel()
    await r.handle(group_msg("/hoi " + Q, "900"), ch)  # a bootstrap admin seen first in the group
    assert [(c, t) for c, t, _ in ch.sent] == [(GROUP, GROUP_NEEDS_PRIVATE_CHAT)]


async def test_register_in_group_is_refused_without_checking(knowledge: Any) -> None:
    acc = Accounts(knowledge.db, knowledge.settings)
    r = Router(knowledge.settings, knowledge, acc)
    acc.groups.allow("telegram", GROUP)
    ch = MemoryChannel()
    code = acc.create_invite("official", "Sở Nội vụ").code
    await r.handle(group_msg(f"/dangky {code}", "501"), ch)
    assert "tin nhắn riêng" in ch.texts()[-1]
    await r.handle(msg(f"/dangky {code}", "501"), ch)  # the code is still unused
    assert "Đăng ký thành công" in ch.texts()[-1]


# ---------------------------------------------------------------------------- odd input
ODD = ["²", "9" * 5000, "١٢", "1_0", "a\ud800b", "\udfff", "/xong " + "9" * 5000, "/xong ²", "/dangky \ud800",
       "x\x00y", "/diem " + "9" * 5000, "/nhiemvu \ud83d"]


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_odd_input_never_raises(knowledge: Any, channel: str, caplog: pytest.LogCaptureFixture) -> None:
    s = with_access(knowledge.settings, commands_per_minute=1000, questions_per_minute=1000)
    acc = Accounts(knowledge.db, s)
    r = Router(s, knowledge, acc)
    ch = MemoryChannel(channel, buttons=channel == "telegram", limit=2000)
    await register(r, acc, ch, "u1", role="leader")
    await r.handle(msg(Q, "u1", channel=channel), ch)  # leaves numbered choices pending on Zalo
    caplog.set_level(logging.WARNING)
    for text in ODD:
        ch.sent.clear()
        await r.handle(msg(text, "u1", channel=channel), ch)
        assert ch.sent, text[:20]
        for _, t, _ in ch.sent:
            t.encode("utf-8")
    for data in ("done:" + "9" * 59, "fb:" + "9" * 5000 + ":+", "done:\ud800"):
        ch.sent.clear()
        await r.handle(msg("", "u1", channel=channel, callback_data=data, callback_id="c"), ch)
        assert ch.texts() == ["Lựa chọn này không còn hiệu lực."]
    assert "unhandled" not in caplog.text and "Traceback" not in caplog.text


def test_incoming_is_cleaned_at_the_boundary() -> None:
    inc = Incoming(channel="zalo", user_id="u\ud800", chat_id="c", text="hỏi\udc80\x00 gì", display_name="\ud83d",
                   callback_data="fb:1:\udfff")
    assert inc.text == "hỏi\ufffd gì" and inc.user_id == "u\ufffd" and inc.display_name == "\ufffd"
    assert inc.callback_data == "fb:1:\ufffd"
