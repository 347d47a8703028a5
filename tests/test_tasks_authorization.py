"""The authorization matrix: every task action, for every role and agency, through every channel.

Rule (knowledge.tasks.actions.may_act): the task's assignee, officials and leaders of its lead agency,
and admins may change a task; anyone else gets a refusal and nothing changes. Reading the source
quote is open to every registered user (task lists are). Each case uses its own task, so a case can
only pass by its own effect.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.channel import Incoming
from bot.handlers.tasks import secret
from bot.router import Router
from core.errors import CchcError
from core.vocabulary import DONE, TODO
from knowledge.service import Knowledge
from knowledge.store.account_models import User
from knowledge.store.task_models import Task, TaskSnooze, TaskStatusChange
from knowledge.tasks import actions
from reminders import callbacks
from reminders.policy import load_policy
from reminders.service import Reminders
from tests.conftest import make_settings
from tests.test_bot_router import MemoryChannel

ACTORS = {  # name: (role, agency, display name, allowed)
    "official-lead": ("official", "Sở Nội vụ", None, True),
    "leader-lead": ("leader", "Sở Nội vụ", None, True),
    "official-support": ("official", "Sở Tài chính", None, False),
    "leader-support": ("leader", "Sở Tài chính", None, False),
    "official-other": ("official", "Sở Xây dựng", None, False),
    "leader-other": ("leader", "Sở Xây dựng", None, False),
    "admin": ("admin", None, None, True),
    "assignee-other-agency": ("official", "Sở Xây dựng", None, True),  # named by id in Người phụ trách
    "namesake-of-owner": ("official", "Sở Xây dựng", "Nguyễn Văn An", False),  # a display name grants nothing
}
ACTIONS = ("done", "snooze_day", "snooze_week", "undo", "quote")
CHANNELS = ("telegram", "zalo", "terminal")
CASES = [(a, act, ch) for a in ACTORS for act in ACTIONS for ch in CHANNELS]
TYPED = {"done": "xong {c}", "snooze_day": "hoan {c} 1 ngay", "snooze_week": "hoan {c} 1 tuan",
         "undo": "hoantac {c}", "quote": "xem {c}"}


def uid_of(channel: str, who: str) -> str:
    return f"{CHANNELS.index(channel)}{list(ACTORS).index(who):02d}"


def owner(i: int) -> str:
    """Người phụ trách of case i's task: the assignee's id for assignee cases, else a name."""
    who, _, channel = CASES[i]
    return f"{channel}:{uid_of(channel, who)}" if who.startswith("assignee") else "Nguyễn Văn An"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("authz")
    settings = make_settings(home)
    kn = Knowledge(settings)
    sheet = home / "lich.csv"
    lines = ["Mã,Nhiệm vụ,Cơ quan chủ trì,Cơ quan phối hợp,Hạn hoàn thành,Người phụ trách,Trạng thái"]
    lines += [f"T-{i:03d},Nhiệm vụ kiểm thử {i},Sở Nội vụ,Sở Tài chính,15/12/2026,{owner(i)},chưa làm"
              for i in range(len(CASES))]
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kn.import_schedule(sheet)
    now = datetime.now(UTC)
    with kn.db.session() as s:
        for ch in CHANNELS:
            for n, (name, (role, agency, display, _)) in enumerate(ACTORS.items()):
                uid = f"{CHANNELS.index(ch)}{n:02d}"
                s.add(User(channel=ch, channel_user_id=uid, chat_id=uid, display_name=display or name, role=role,
                           agency=agency, active=True, created_at=now))
    router = Router(settings, kn)
    router.reminders = Reminders(kn.db, load_policy({}), secret(router))
    yield kn, router
    kn.close()


def _state(kn: Knowledge, task_id: int) -> tuple[str, bool, int]:
    with kn.db.session() as s:
        t = s.get(Task, task_id)
        assert t is not None
        n = int(s.scalar(select(func.count()).where(TaskStatusChange.task_id == task_id)) or 0)
        return t.status, s.get(TaskSnooze, task_id) is not None, n


@pytest.mark.parametrize(("who", "action", "channel"), CASES)
def test_matrix(world: Any, who: str, action: str, channel: str) -> None:
    kn, router = world
    allowed = ACTORS[who][3]
    i = CASES.index((who, action, channel))
    code = f"T-{i:03d}"
    task_id = kn.find_task(code)
    if action == "undo":  # something to undo: an admin completed it a moment ago
        kn.task_action(task_id, "done", actions.Actor("telegram:admin", "admin", None, "cli"))
    before = _state(kn, task_id)
    uid = uid_of(channel, who)
    ch = MemoryChannel(channel, buttons=channel == "telegram", limit=2000 if channel == "zalo" else 4096)
    if channel == "telegram":
        with kn.db.session() as s:
            version = actions.version_of(s, task_id)
        data = callbacks.sign(secret(router), action, task_id, version)
        inc = Incoming(channel=channel, user_id=uid, chat_id=uid, callback_data=data, callback_id="cb1")
    else:
        text = TYPED[action].format(c=code)
        inc = Incoming(channel=channel, user_id=uid, chat_id=uid, text=("/" + text) if channel == "terminal" else text)
    asyncio.run(router.handle(inc, ch))
    reply = "\n".join(ch.texts())
    after = _state(kn, task_id)
    if action == "quote":
        assert f"mã {code}" in reply and after == before, "anyone registered may read; nothing changes"
        return
    if not allowed:
        assert "không có quyền" in reply and after == before, (who, action, channel, reply)
        return
    assert "không có quyền" not in reply and after[2] == before[2] + 1, (who, action, channel, reply)
    expected_status = {"done": DONE, "undo": TODO}.get(action, TODO)
    assert after[0] == expected_status
    assert after[1] == action.startswith("snooze")
    hist = kn.task_history(task_id)[-1]
    assert hist["by"] == f"{channel}:{uid}" and hist["channel"] == channel
    assert hist["action"] == {"snooze_day": "snooze", "snooze_week": "snooze"}.get(action, action)
    assert code in reply  # the confirmation names the task


def test_merged_agency_successor_may_act(tmp_path: Path) -> None:
    """A task led by Sở Kế hoạch và Đầu tư (merged into Sở Tài chính in 2025) is Sở Tài chính's to act on."""
    kn = Knowledge(make_settings(tmp_path / "h"))
    sheet = tmp_path / "s.csv"
    sheet.write_text("Mã,Nhiệm vụ,Cơ quan chủ trì,Hạn hoàn thành\nK-1,Thu hút đầu tư,Sở Kế hoạch và Đầu tư,15/12/2026\n",
                     encoding="utf-8")
    kn.import_schedule(sheet)
    tid = kn.find_task("k-1")
    with pytest.raises(actions.TaskActionDenied):
        kn.task_action(tid, "done", actions.Actor("zalo:1", "official", "Sở Nội vụ", "zalo"))
    assert kn.task_action(tid, "done", actions.Actor("zalo:2", "official", "Sở Tài chính", "zalo")).changed
    kn.close()


def test_undo_only_within_ten_minutes_and_replay_refused(tmp_path: Path) -> None:
    kn = Knowledge(make_settings(tmp_path / "h"))
    sheet = tmp_path / "s.csv"
    sheet.write_text("Mã,Nhiệm vụ,Cơ quan chủ trì,Hạn hoàn thành\nU-1,Việc một,Sở Nội vụ,15/12/2026\n", encoding="utf-8")
    kn.import_schedule(sheet)
    tid = kn.find_task("U-1")
    me = actions.Actor("telegram:5", "official", "Sở Nội vụ", "telegram")
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    done = actions.complete(kn.db, tid, me, now=t0)
    assert done.changed and done.task.status == DONE
    with pytest.raises(actions.StaleActionError):  # a button drawn before the change
        actions.snooze(kn.db, tid, me, 1, version=0, now=t0)
    late = t0.replace(minute=11)
    with pytest.raises(CchcError) as e:
        actions.undo(kn.db, tid, me, now=late)
    assert "10 phút" in e.value.user_message
    assert actions.undo(kn.db, tid, me, now=t0.replace(minute=9)).task.status == TODO
    with pytest.raises(CchcError) as e:  # undone once; nothing left to undo
        actions.undo(kn.db, tid, me, now=t0.replace(minute=9, second=30))
    assert "hoàn tác" in e.value.user_message
    kn.close()
