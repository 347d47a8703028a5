"""Exactly-once delivery under faults, on SQLite and (with CCHC_TEST_DATABASE_URL) PostgreSQL, against
the fake Telegram server over real HTTP: two dispatcher processes at once, kill -9 between claim and
send, kill -9 after the request left, 5xx twice then success, a timeout after sending, a blocked chat."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.push import BotApiNotifier
from core.keys import load_or_create_secret
from knowledge.store.account_models import User
from knowledge.store.db import Database
from knowledge.tasks.imports import import_schedule
from reminders.policy import load_policy
from reminders.service import Reminders
from tests.fakes.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("CCHC_TEST_DATABASE_URL")
NOW = datetime.fromisoformat("2026-12-08T09:00:00+07:00")  # a Tuesday: lead_7 of tasks due 15/12 is due
N_TASKS = 20
OFFICIALS = (1001, 1002, 1003)
ADMIN = 9001


class FaultyTelegram(FakeTelegram):
    """The fake server, plus: hold the reply of the next N sendMessage calls *after* recording them
    (the request arrived, the answer never comes back in time)."""

    def __init__(self) -> None:
        super().__init__()
        self.hang_next = 0
        self.hang_s = 4.0
        self.blocked: set[int] = set()

    def method(self, name: str, f: dict[str, Any], files: dict[str, bytes]) -> tuple[int, Any]:
        if name == "sendMessage" and int(f.get("chat_id") or 0) in self.blocked:
            return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
        out = super().method(name, f, files)
        if name == "sendMessage":
            with self.cond:
                hang = self.hang_next > 0
                self.hang_next -= 1 if hang else 0
            if hang:
                time.sleep(self.hang_s)
        return out


@pytest.fixture
def fake() -> Iterator[FaultyTelegram]:
    f = FaultyTelegram()
    f.start()
    yield f
    f.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'r.sqlite3'}"
        return
    if not PG_URL:
        pytest.skip("CCHC_TEST_DATABASE_URL not set")
    schema = f"cchc_rem_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def seed(url: str, tmp_path: Path, n_tasks: int = N_TASKS, officials: tuple[int, ...] = OFFICIALS) -> None:
    db = Database(url)
    sheet = tmp_path / "lich.csv"
    rows = ["Mã,Nhiệm vụ,Cơ quan chủ trì,Hạn hoàn thành,Trạng thái"]
    rows += [f"NV-{i:02d},Báo cáo số {i} về CCHC,Sở Nội vụ,15/12/2026,chưa làm" for i in range(1, n_tasks + 1)]
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_schedule(db, sheet)
    load_or_create_secret(tmp_path)  # once, before several workers read it
    now = datetime.now(UTC)
    with db.session() as s:
        for uid in officials:
            s.add(User(channel="telegram", channel_user_id=str(uid), chat_id=str(uid), display_name=f"CB {uid}",
                       role="official", agency="Sở Nội vụ", active=True, created_at=now))
        s.add(User(channel="telegram", channel_user_id=str(ADMIN), chat_id=str(ADMIN), display_name="QTV",
                   role="admin", agency=None, active=True, created_at=now))
    db.dispose()


FAST = {"telegram": {"per_second": 1000, "per_chat_per_second": 1000}}  # the throttle has its own test


def service(url: str, home: Path, **policy: object) -> Reminders:
    return Reminders(Database(url), load_policy({"lease_seconds": 60, "channels": FAST, **policy}),
                     load_or_create_secret(home))


def dispatch(rem: Reminders, fake: FakeTelegram, now: datetime, timeout: float = 2.0) -> dict[str, int]:
    async def run() -> dict[str, int]:
        n = BotApiNotifier("telegram", fake.base_url, fake.token, buttons=True, timeout_s=timeout)
        try:
            return (await rem.dispatcher({"telegram": n}).run_once(now)).as_dict()
        finally:
            await n.close()

    return asyncio.run(run())


def worker(url: str, home: Path, fake: FakeTelegram, now: datetime, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reminders_worker", url, str(home), fake.base_url, fake.token, now.isoformat(), *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def official_texts(fake: FakeTelegram) -> Counter[tuple[int, str]]:
    with fake.cond:
        return Counter((s.chat_id, s.text or "") for s in fake.sent if s.chat_id in OFFICIALS)


EXPECTED = N_TASKS * len(OFFICIALS)


def test_two_dispatcher_processes_deliver_each_reminder_once(db_url: str, tmp_path: Path, fake: FaultyTelegram) -> None:
    seed(db_url, tmp_path)
    procs = [worker(db_url, tmp_path, fake, NOW) for _ in range(2)]
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    got = official_texts(fake)
    assert sum(got.values()) == EXPECTED and max(got.values()) == 1, "every reminder once, none twice"
    assert sum(r["sent"] for r in reports) == EXPECTED
    rows = service(db_url, tmp_path).deliveries()
    assert len(rows) == EXPECTED and {r["status"] for r in rows} == {"sent"}
    assert all(r["attempts"] == 1 for r in rows)


def test_kill_between_claim_and_send_then_restart_delivers_once(db_url: str, tmp_path: Path, fake: FaultyTelegram) -> None:
    seed(db_url, tmp_path)
    marker = tmp_path / "claimed.json"
    p = worker(db_url, tmp_path, fake, NOW, "--pause-after-claim", str(marker))
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), p.stderr.read() if p.stderr else ""
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=10)
    assert not official_texts(fake), "nothing was sent before the kill"
    rem = service(db_url, tmp_path)
    assert dispatch(rem, fake, NOW + timedelta(seconds=10))["sent"] == 0, "the dead worker's lease still holds"
    report = dispatch(rem, fake, NOW + timedelta(minutes=2))  # the lease (60 s) has expired
    got = official_texts(fake)
    assert report["sent"] == EXPECTED and sum(got.values()) == EXPECTED and max(got.values()) == 1
    assert {r["status"] for r in rem.deliveries()} == {"sent"}


def test_kill_after_the_request_left_is_uncertain_and_never_resent(db_url: str, tmp_path: Path, fake: FaultyTelegram) -> None:
    seed(db_url, tmp_path, n_tasks=1, officials=(1001,))
    fake.hang_next, fake.hang_s = 1, 30.0
    p = worker(db_url, tmp_path, fake, NOW, "--timeout", "60")
    assert fake.wait_until(lambda: len(fake.sent) >= 1, timeout=60), "the request reached the server"
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=10)
    rem = service(db_url, tmp_path)
    first = dispatch(rem, fake, NOW + timedelta(minutes=2))  # the lease expired: recovered as uncertain
    dispatch(rem, fake, NOW + timedelta(minutes=3))
    assert first["uncertain"] == 1 and first["sent"] == 1  # the admin's alert
    assert len(fake.texts_to(1001)) == 1, "delivered once, never resent"
    assert [(r["kind"], r["status"]) for r in rem.deliveries() if r["recipient"] == "telegram:1001"] == [
        ("lead_7", "uncertain")]
    alerts = fake.texts_to(ADMIN)
    assert len(alerts) == 1 and "có thể chưa tới" in alerts[0]


def test_two_5xx_then_success_is_sent_on_the_third_attempt(db_url: str, tmp_path: Path, fake: FaultyTelegram) -> None:
    seed(db_url, tmp_path, n_tasks=1, officials=(1001,))
    for _ in range(2):
        fake.fail_next("sendMessage", 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    rem = service(db_url, tmp_path)
    report = dispatch(rem, fake, NOW)
    assert report["sent"] == 1 and report["retried"] == 2
    assert fake.texts_to(1001) and len(fake.texts_to(1001)) == 1
    assert [(r["status"], r["attempts"]) for r in rem.deliveries()] == [("sent", 3)]


def test_timeout_after_send_is_uncertain_and_not_resent(db_url: str, tmp_path: Path, fake: FaultyTelegram) -> None:
    seed(db_url, tmp_path)
    fake.hang_next, fake.hang_s = 1, 3.0
    rem = service(db_url, tmp_path)
    report = dispatch(rem, fake, NOW, timeout=1.0)
    assert report["uncertain"] == 1 and report["sent"] == EXPECTED - 1 + 1  # + the admin's alert
    dispatch(rem, fake, NOW + timedelta(minutes=5))
    got = official_texts(fake)
    assert sum(got.values()) == EXPECTED and max(got.values()) == 1, "delivered once (by the timed-out request)"
    rows = [r for r in rem.deliveries() if r["kind"] == "lead_7"]
    assert Counter(r["status"] for r in rows) == {"sent": EXPECTED - 1, "uncertain": 1}


def test_blocked_chat_is_undeliverable_with_one_admin_alert(db_url: str, tmp_path: Path, fake: FaultyTelegram) -> None:
    seed(db_url, tmp_path)
    fake.blocked = {1001}
    rem = service(db_url, tmp_path)
    report = dispatch(rem, fake, NOW)
    assert report["failed"] == N_TASKS and report["sent"] == EXPECTED - N_TASKS + 1  # + one admin alert
    dispatch(rem, fake, NOW + timedelta(days=3))  # lead_3 day (11/12): nothing planned for the blocked chat
    alerts = [s for s in fake.sent if s.chat_id == ADMIN]
    assert len(alerts) == 1 and "bị chặn" in (alerts[0].text or "") and "telegram:1001" in (alerts[0].text or "")
    later = [r for r in rem.deliveries() if r["recipient"] == "telegram:1001" and r["kind"] != "lead_7"]
    assert later == []
    assert len([r for r in rem.deliveries() if r["kind"] == "lead_3"]) == N_TASKS * 2


def test_429_waits_retry_after(db_url: str, tmp_path: Path, fake: FaultyTelegram) -> None:
    seed(db_url, tmp_path)
    fake.fail_next("sendMessage", 429, {"ok": False, "error_code": 429, "description": "Too Many Requests",
                                        "parameters": {"retry_after": 1}})
    rem = service(db_url, tmp_path)
    t0 = time.monotonic()
    report = dispatch(rem, fake, NOW)
    assert report["sent"] == EXPECTED and report["retried"] == 1 and time.monotonic() - t0 >= 1.0
    assert sum(official_texts(fake).values()) == EXPECTED


def test_nothing_is_sent_outside_the_window(db_url: str, tmp_path: Path, fake: FaultyTelegram) -> None:
    seed(db_url, tmp_path)
    rem = service(db_url, tmp_path, catch_up_hours=36)
    evening = NOW.replace(hour=18)
    report = dispatch(rem, fake, evening)
    assert report["sent"] == 0 and not fake.sent
    report = dispatch(rem, fake, NOW.replace(day=9, hour=8, minute=1))  # the next morning: caught up
    assert report["sent"] == EXPECTED, (report, rem.deliveries())
    rem2 = service(db_url, tmp_path)  # with the default 24 h, a day-old reminder is stale instead
    assert dispatch(rem2, fake, NOW.replace(day=9, hour=9, minute=30))["sent"] == 0


_ = threading  # the fake server runs in threads of this process


def test_done_cancels_snooze_holds_and_undo_reopens(db_url: str, tmp_path: Path, fake: FaultyTelegram) -> None:
    from knowledge.tasks import actions

    seed(db_url, tmp_path, n_tasks=3, officials=(1001,))
    rem = service(db_url, tmp_path)
    db = rem.db
    me = actions.Actor("telegram:1001", "official", "Sở Nội vụ", "telegram")
    t1, t2, t3 = (actions.find_task_id(db, f"NV-0{i}") for i in (1, 2, 3))
    actions.complete(db, t1, me, now=NOW.astimezone(UTC) - timedelta(minutes=5))
    actions.snooze(db, t2, me, 1, now=NOW.astimezone(UTC) - timedelta(minutes=5))
    done = actions.complete(db, t3, me, now=NOW.astimezone(UTC) - timedelta(minutes=5))
    actions.undo(db, t3, me, version=done.version, now=NOW.astimezone(UTC) - timedelta(minutes=1))
    report = dispatch(rem, fake, NOW)
    assert report["sent"] == 1 and len(fake.texts_to(1001)) == 1 and "NV-03" in fake.texts_to(1001)[0]
    assert {r["status"] for r in rem.deliveries(t2)} == {"pending"}, "held by the snooze"
    assert not rem.deliveries(t1), "a done task is not even planned"
    dispatch(rem, fake, NOW + timedelta(days=1))  # the snooze ended: the held reminder goes out once
    assert [t for t in fake.texts_to(1001) if "NV-02" in t] and len(fake.texts_to(1001)) == 2


def test_zalo_gets_typed_commands_instead_of_buttons(tmp_path: Path) -> None:
    from tests.fakes.fake_zalo import FakeZalo

    url = f"sqlite:///{tmp_path / 'z.sqlite3'}"
    seed(url, tmp_path, n_tasks=1, officials=())
    with Database(url).session() as s:
        s.add(User(channel="zalo", channel_user_id="z1", chat_id="z1", role="official", agency="Sở Nội vụ",
                   active=True, created_at=datetime.now(UTC)))
    z = FakeZalo()
    z.start()
    try:
        rem = service(url, tmp_path)

        async def run() -> dict[str, int]:
            n = BotApiNotifier("zalo", z.base_url, z.token, buttons=False, max_chars=2000)
            try:
                return (await rem.dispatcher({"zalo": n}).run_once(NOW)).as_dict()
            finally:
                await n.close()

        assert asyncio.run(run())["sent"] == 1
        text = z.texts_to("z1")[0]
        assert text.startswith("Còn 7 ngày: ") and "xong NV-01" in text and "hoan NV-01 1 ngay" in text
    finally:
        z.stop()


def test_throttle_one_message_per_second_per_chat() -> None:
    from reminders.policy import ChannelThrottle
    from reminders.throttle import Throttle

    async def run() -> tuple[float, float]:
        th = Throttle(ChannelThrottle(per_second=25, per_chat_per_second=1))
        t0 = time.monotonic()
        for _ in range(3):
            await th.wait("chat-a")
        same = time.monotonic() - t0
        t0 = time.monotonic()
        for i in range(20):
            await th.wait(f"chat-{i}")
        return same, time.monotonic() - t0

    same, many = asyncio.run(run())
    assert same >= 1.8, "three messages to one chat take about two seconds"
    assert many < 1.5, "twenty different chats are not held back by the per-chat limit"


def test_changed_due_date_replans(db_url: str, tmp_path: Path, fake: FaultyTelegram) -> None:
    seed(db_url, tmp_path, n_tasks=1, officials=(1001,))
    rem = service(db_url, tmp_path, catch_up_hours=96)
    dispatch(rem, fake, NOW)  # lead_7 for the 15/12 due date
    dispatch(rem, fake, NOW.replace(day=11, hour=18))  # lead_3 (11/12 08:00) planned, held: outside the window
    assert [r["status"] for r in rem.deliveries() if r["kind"] == "lead_3"] == ["pending"]
    sheet = tmp_path / "moved.csv"
    sheet.write_text("Mã,Nhiệm vụ,Cơ quan chủ trì,Hạn hoàn thành,Trạng thái\n"
                     "NV-01,Báo cáo số 1 về CCHC,Sở Nội vụ,22/12/2026,chưa làm\n", encoding="utf-8")
    import_schedule(rem.db, sheet)
    dispatch(rem, fake, NOW.replace(day=14, hour=8, minute=30))  # the old lead_3 must not go out
    assert [(r["status"], r["error"]) for r in rem.deliveries() if r["kind"] == "lead_3"] == [
        ("cancelled", "hạn nhiệm vụ đã đổi")]
    dispatch(rem, fake, NOW.replace(day=15))  # lead_7 of the new date
    texts = fake.texts_to(1001)
    assert len(texts) == 2 and "hạn 15/12/2026" in texts[0] and texts[1].startswith("Còn 7 ngày") \
        and "hạn 22/12/2026" in texts[1]
