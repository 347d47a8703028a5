"""Task views on the phone, tried as a new user would: /nhiemvu and /hanchot paged (about 10 items per
message, most urgent first, never an item split, no CLI hints, each due date once), codes users see
are codes they type, Zalo numbered paging, /tonghop, /tatnhac, /batnhac, /gionhac."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.channel import Incoming
from bot.router import Router
from knowledge.store.accounts import Accounts
from reminders.policy import load_policy
from reminders.service import Reminders
from tests.test_bot_router import MemoryChannel

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 12, 1)
CODE = re.compile(r"▪ \[([^\]]+)\]")


@pytest.fixture
def world(knowledge: Any) -> Any:
    knowledge.import_schedule(ROOT / "data" / "schedule" / "lich-cong-tac-mau.xlsx")
    knowledge.extract_tasks()
    acc = Accounts(knowledge.db, knowledge.settings)
    router = Router(knowledge.settings, knowledge, acc, today=lambda: TODAY)
    from bot.handlers.tasks import secret

    router.reminders = Reminders(knowledge.db, load_policy({}), secret(router))
    return knowledge, acc, router


def join(router: Router, acc: Accounts, ch: MemoryChannel, uid: str, role: str = "official",
         agency: str | None = "Sở Nội vụ") -> None:
    code = acc.create_invite(role, agency).code
    asyncio.run(router.handle(Incoming(channel=ch.name, user_id=uid, chat_id=uid, text=f"/dangky {code}"), ch))
    ch.sent.clear()


def say(router: Router, ch: MemoryChannel, uid: str, text: str = "", data: str | None = None) -> list[Any]:
    n = len(ch.sent)
    asyncio.run(router.handle(Incoming(channel=ch.name, user_id=uid, chat_id=uid, text=text, callback_data=data,
                                       callback_id="c" if data else None), ch))
    return ch.sent[n:]


def test_nhiemvu_pages_on_telegram(world: Any) -> None:
    kn, acc, router = world
    ch = MemoryChannel("telegram")
    join(router, acc, ch, "11")
    seen: list[str] = []
    out = say(router, ch, "11", "/nhiemvu")
    pages = 0
    while True:
        assert len(out) == 1, "one message per page: an item is never split across messages"
        _, text, buttons = out[0]
        pages += 1
        codes = CODE.findall(text)
        assert 1 <= len(codes) <= 10
        assert "cchc " not in text and "tasks list" not in text, "no CLI hints on a phone"
        assert "Hải Dương" not in text, "another province's tasks are not listed (no empty heading either)"
        for line in text.splitlines():
            if line.startswith("▪"):
                dates = re.findall(r"\d{2}/\d{2}/\d{4}", line)
                assert len(dates) == len(set(dates)) <= 1, f"each due date once: {line}"
        seen += codes
        more = [b for row in (buttons or []) for b in row if b.label.startswith("Xem thêm")]
        done = [b for row in (buttons or []) for b in row if b.label.startswith("✅ Xong")]
        assert [b.label.removeprefix("✅ Xong ") for b in done] == codes, "the code on a button is the code shown"
        if not more:
            break
        out = say(router, ch, "11", data=more[0].data)
    assert len(seen) == len(set(seen)), "pages do not overlap"
    page = kn.task_page("Sở Nội vụ", limit=1000, today=TODAY)
    assert len(seen) == page.total and pages >= 2
    dues = [t.due for t in page.items]
    assert dues == sorted(dues, key=lambda d: (d is None, d or date.max)), "most urgent first"


def test_codes_users_see_are_codes_they_type(world: Any) -> None:
    kn, acc, router = world
    ch = MemoryChannel("telegram")
    join(router, acc, ch, "12")
    text = say(router, ch, "12", "/hanchot")[0][1]
    code = CODE.findall(text)[0]
    reply = say(router, ch, "12", f"/xong {code.lower()}")[0][1]
    assert "Đã ghi nhận hoàn thành" in reply and f"mã {code}" in reply
    assert code not in " ".join(CODE.findall(say(router, ch, "12", "/hanchot")[0][1]))
    before = kn.task_page("Sở Nội vụ", limit=1000, today=TODAY).total
    r = say(router, ch, "12", "/xong 1")[0][1]  # task number 1 is another agency's or province's: refused
    assert ("không có quyền" in r or "Không có nhiệm vụ mã" in r) and "Đã ghi nhận" not in r
    assert kn.task_page("Sở Nội vụ", limit=1000, today=TODAY).total == before
    assert "Cú pháp" in say(router, ch, "12", "/xong")[0][1]


def test_zalo_pages_with_a_numbered_choice_and_typed_commands(world: Any) -> None:
    _kn, acc, router = world
    ch = MemoryChannel("zalo", buttons=False, limit=2000)
    join(router, acc, ch, "z1")
    text = say(router, ch, "z1", "/nhiemvu")[0][1]
    assert "1. Xem thêm" in text and "xong MÃ" in text and len(text) <= 2000
    first = CODE.findall(text)
    nxt = say(router, ch, "z1", "1")[0][1]  # the only numbered choice is "Xem thêm": no ambiguity
    assert CODE.findall(nxt) and not set(CODE.findall(nxt)) & set(first)
    reply = say(router, ch, "z1", f"hoan {first[0]} 1 tuan")[0][1]
    assert "Đã hoãn nhắc việc 1 tuần" in reply and first[0] in reply and "hoantac" in reply
    assert "Đã hoàn tác" in say(router, ch, "z1", f"hoantac {first[0]}")[0][1]


def test_digest_and_preferences(world: Any) -> None:
    _kn, acc, router = world
    ch = MemoryChannel("telegram")
    join(router, acc, ch, "21", role="leader")
    text = say(router, ch, "21", "/tonghop")[0][1]
    assert "Tổng hợp nhiệm vụ của Sở Nội vụ" in text and "Quá hạn (" in text
    official = MemoryChannel("telegram")
    join(router, acc, official, "22")
    assert "không có quyền" in say(router, official, "22", "/tonghop")[0][1]
    assert "Đã tắt nhắc việc" in say(router, official, "22", "/tatnhac")[0][1]
    user = acc.lookup("telegram", "22")
    assert user is not None and router.reminders is not None
    rem = router.reminders
    assert isinstance(rem, Reminders) and rem.prefs(user.id) == (True, None)
    assert "Hãy ghi một giờ" in say(router, official, "22", "/gionhac 22")[0][1]
    assert "lúc 9 giờ" in say(router, official, "22", "/gionhac 9")[0][1]
    say(router, official, "22", "/batnhac")
    assert rem.prefs(user.id) == (False, 9)


def test_reminder_commands_say_when_reminders_are_off(world: Any) -> None:
    _kn, acc, router = world
    router.reminders = None  # a server started without the reminders job
    ch = MemoryChannel("telegram")
    join(router, acc, ch, "31", role="leader")
    for cmd in ("/tatnhac", "/batnhac", "/gionhac 9", "/tonghop"):
        assert "Nhắc việc chưa được bật" in say(router, ch, "31", cmd)[0][1], cmd
