"""Signed button data and the one task-command parser shared by Telegram, Zalo and the terminal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reminders import callbacks
from reminders.commands import TaskCommand, parse

SECRET = b"s" * 32


@given(action=st.sampled_from(sorted(callbacks.ACTIONS.values())), task_id=st.integers(0, 10**15),
       version=st.integers(0, 10**15))
def test_signed_data_round_trips_within_64_bytes(action: str, task_id: int, version: int) -> None:
    data = callbacks.sign(SECRET, action, task_id, version)
    assert len(data.encode()) <= 64 and data.isascii()
    assert callbacks.verify(SECRET, data) == callbacks.ButtonData(action, task_id, version)


def test_forged_or_foreign_buttons_are_rejected() -> None:
    data = callbacks.sign(SECRET, "done", 12, 3)
    assert callbacks.verify(b"x" * 32, data) is None  # another server's secret
    letter, tid, ver, sig = data.split(".")
    assert callbacks.verify(SECRET, f"{letter}.{int(tid, 36) + 1:x}.{ver}.{sig}") is None  # another task
    assert callbacks.verify(SECRET, f"s.{tid}.{ver}.{sig}") is None  # another action
    assert callbacks.verify(SECRET, "done:12") is None  # the old unsigned form
    assert callbacks.verify(SECRET, data[:-1]) is None


@pytest.mark.parametrize(("text", "want"), [
    ("/xong 12", TaskCommand("done", "12")),
    ("xong HY-2026-001", TaskCommand("done", "hy-2026-001")),
    ("Xong #12", TaskCommand("done", "12")),
    ("/xong@cchc_bot 7", TaskCommand("done", "7")),
    ("hoan 12 1 ngay", TaskCommand("snooze", "12", 1)),
    ("hoãn 12 1 tuần", TaskCommand("snooze", "12", 7)),
    ("HOAN 12", TaskCommand("snooze", "12", 1)),
    ("hoàn tác 12", TaskCommand("undo", "12")),
    ("/hoantac 12", TaskCommand("undo", "12")),
    ("xem văn bản 12", TaskCommand("quote", "12")),
])
def test_same_words_everywhere(text: str, want: TaskCommand) -> None:
    assert parse(text) == want


@pytest.mark.parametrize("text", ["xong", "hoan 12 3 thang", "xong 12 13", "/xem"])
def test_bad_task_commands_get_usage_not_a_guess(text: str) -> None:
    got = parse(text)
    assert got is not None and got.code is None and got.error and "Cú pháp" in got.error


@pytest.mark.parametrize("text", ["Sở Nội vụ phải làm gì?", "xong việc chưa", "", "/", "x" * 5000,
                                  "Xem kết quả PAR INDEX năm 2022", "hoàn thành kế hoạch CCHC khi nào?", "xong ²"])
def test_questions_are_not_commands(text: str) -> None:
    assert parse(text) is None
