"""The pure planner, policy and working-day calendar: examples and hypothesis properties."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ConfigError
from reminders.planner import Planner, PlanTask, PlanUser, catch_up, lead_days, plan
from reminders.policy import ReminderPolicy, load_policy
from reminders.workdays import Override, WorkCalendar

AGENCIES = ("so noi vu", "so tai chinh", "so xay dung")
POLICY = ReminderPolicy()


def _cal(*overrides: Override) -> WorkCalendar:
    return WorkCalendar(overrides)


# ---- policy ---------------------------------------------------------------------------------

def test_policy_defaults_match_the_issue() -> None:
    p = load_policy(None)
    assert p.timezone == "Asia/Ho_Chi_Minh" and p.window_start == time(8) and p.window_end == time(17)
    assert p.lead_days == (7, 3, 1) and p.due_day and p.escalate_after_working_days == 3
    assert p.throttle("telegram").per_second == 25 and p.throttle("telegram").per_chat_per_second == 1


@pytest.mark.parametrize(("raw", "key"), [
    ({"lead_days": [7, 0]}, "reminders.lead_days"),
    ({"timezone": "Mars/Olympus"}, "reminders.timezone"),
    ({"window_start": "25:00"}, "reminders.window_start"),
    ({"overdue_every_days": "tuần"}, "reminders.overdue_every_days"),
    ({"lead_unit": "lunar"}, "reminders.lead_unit"),
    ({"channels": {"telegram": {"per_second": -1}}}, "reminders.channels.telegram.per_second"),
    ({"sned_window": 1}, "reminders.sned_window"),
])
def test_bad_policy_is_a_vietnamese_error_naming_the_key(raw: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_policy(raw)
    assert key in e.value.user_message
    assert "không hợp lệ" in e.value.user_message


def test_window_must_be_ordered() -> None:
    with pytest.raises(ConfigError, match="window_start"):
        load_policy({"window_start": "17:00", "window_end": "08:00"})


def test_preferred_hour_only_inside_the_window() -> None:
    assert POLICY.send_time(9) == time(9) and POLICY.send_time(17) == time(8) and POLICY.send_time(None) == time(8)
    assert list(POLICY.hours()) == list(range(8, 17))


# ---- calendar -------------------------------------------------------------------------------

def test_tet_and_observed_days_are_days_off() -> None:
    c = _cal()
    assert not c.is_working_day(date(2026, 2, 17))  # Tết (lunar new year) 2026
    assert not c.is_working_day(date(2027, 2, 8))   # Tết 2027, another lunar date
    assert not c.is_working_day(date(2026, 4, 27))  # Giỗ Tổ observed on Monday
    assert c.is_working_day(date(2026, 8, 22))      # a Saturday swapped into a working day
    assert not c.is_working_day(date(2026, 11, 21))  # an ordinary Saturday


def test_overrides_win_over_the_package() -> None:
    c = _cal(Override(date(2026, 11, 21), "workday", "làm bù"), Override(date(2026, 11, 23), "holiday"))
    assert c.is_working_day(date(2026, 11, 21)) and not c.is_working_day(date(2026, 11, 23))
    listed = {d.day: d for d in c.year(2026)}
    assert listed[date(2026, 11, 21)].source == "override" and listed[date(2026, 11, 21)].working
    assert c.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 21)
    assert c.add_working_days(date(2026, 11, 24), -1) == date(2026, 11, 21)  # 24/11 is itself a holiday


# ---- planner examples -----------------------------------------------------------------------

def test_lead_on_a_day_off_moves_back_and_nearest_wins() -> None:
    # Due Monday 23/02/2026, right after Tết (16-20/02): lead_7 (16/02), lead_3 (20/02) and lead_1
    # (Sunday 22/02) all move back to Friday 13/02; only the nearest (lead_1) is kept there.
    days = dict(lead_days(date(2026, 2, 23), POLICY, _cal()))
    assert days == {date(2026, 2, 13): "lead_1", date(2026, 2, 23): "due"}
    assert all(d <= date(2026, 2, 23) for d in days)


def _users() -> list[PlanUser]:
    return [
        PlanUser("telegram:1", "official", "so noi vu"),
        PlanUser("telegram:2", "official", "so noi vu", hour=10),
        PlanUser("telegram:3", "leader", "so noi vu"),
        PlanUser("zalo:4", "official", "so tai chinh", muted=True),
        PlanUser("telegram:9", "admin"),
    ]


def test_example_schedule() -> None:
    tasks = [PlanTask(1, date(2026, 12, 15), leads=("so noi vu",)), PlanTask(2, date(2026, 12, 10), leads=("so tai chinh",)),
             PlanTask(3, date(2026, 12, 11), leads=("so xay dung",)), PlanTask(4, date(2026, 12, 9), done=True, leads=("so noi vu",))]
    out = plan(tasks, _users(), POLICY, _cal(), date(2026, 12, 1), date(2026, 12, 31))
    mine = [(r.recipient, r.kind, r.send_at.isoformat()) for r in out if r.task_id == 1]
    assert ("telegram:1", "lead_7", "2026-12-08T08:00:00+07:00") in mine
    assert ("telegram:2", "lead_3", "2026-12-12T10:00:00+07:00") not in mine  # 12/12 is a Saturday
    assert ("telegram:2", "lead_3", "2026-12-11T10:00:00+07:00") in mine
    assert ("telegram:1", "due", "2026-12-15T08:00:00+07:00") in mine
    assert ("telegram:1", "overdue", "2026-12-16T08:00:00+07:00") in mine
    assert ("telegram:3", "escalation", "2026-12-18T08:00:00+07:00") in mine
    assert not [r for r in out if r.task_id == 2]  # the only official muted: nothing, and not "unassigned"
    assert {(r.recipient, r.kind) for r in out if r.task_id == 3} == {("telegram:9", "unassigned")}
    assert not [r for r in out if r.task_id == 4]
    digests = [r for r in out if r.kind == "digest"]
    assert digests and {r.recipient for r in digests} == {"telegram:3"}
    assert all(r.send_at.weekday() == 0 and r.send_at.hour == 8 for r in digests)


def test_assignee_replaces_the_agency_and_supporting_agencies_optional() -> None:
    users = [*_users(), PlanUser("telegram:5", "official", "so xay dung")]
    t = PlanTask(1, date(2026, 12, 15), leads=("so noi vu",), supporting=("so xay dung",), assignee="telegram:2")
    got = {(r.recipient, r.note) for r in plan([t], users, POLICY, _cal(), date(2026, 12, 1), date(2026, 12, 15)) if r.kind != "digest"}
    assert got == {("telegram:2", None)}
    p = POLICY.model_copy(update={"notify_supporting": True})
    got = {(r.recipient, r.note) for r in plan([t], users, p, _cal(), date(2026, 12, 1), date(2026, 12, 15)) if r.kind != "digest"}
    assert got == {("telegram:2", None), ("telegram:5", "phối hợp")}


def test_catch_up_keeps_the_latest_relevant_and_drops_stale() -> None:
    t = PlanTask(1, date(2026, 12, 15), leads=("so noi vu",))
    planned = plan([t], [PlanUser("telegram:1", "official", "so noi vu")], POLICY, _cal(),
                   date(2026, 12, 1), date(2026, 12, 31))
    now = datetime(2026, 12, 15, 9, 30, tzinfo=POLICY.zone)  # down since 7/12: lead_7, lead_3, lead_1, due past
    keep, stale = catch_up(planned, now, timedelta(hours=24))
    assert [r.kind for r in keep] == ["due"]
    assert {r.kind for r in stale} == {"lead_7", "lead_3", "lead_1"}
    keep, stale = catch_up(planned, now + timedelta(days=1), timedelta(hours=24))
    assert [r.kind for r in keep] == ["overdue"] and {r.kind for r in stale} == {"lead_7", "lead_3", "lead_1", "due"}
    keep, stale = catch_up(planned, now + timedelta(days=3), timedelta(hours=24))
    assert keep == [] and len(stale) == 5  # the 16/12 overdue notice is more than 24 h old by 18/12


# ---- properties -----------------------------------------------------------------------------

days_2026 = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))
users_st = st.lists(st.builds(
    PlanUser,
    recipient=st.integers(1, 40).map(lambda i: f"telegram:{i}"),
    role=st.sampled_from(["official", "leader", "admin"]),
    agency=st.sampled_from(AGENCIES),
    muted=st.booleans(),
    hour=st.one_of(st.none(), st.integers(0, 23)),
), max_size=12, unique_by=lambda u: u.recipient)
tasks_st = st.lists(st.builds(
    PlanTask,
    id=st.integers(1, 10_000),
    due=st.one_of(st.none(), days_2026),
    done=st.booleans(),
    leads=st.lists(st.sampled_from(AGENCIES), max_size=2, unique=True).map(tuple),
    supporting=st.lists(st.sampled_from(AGENCIES), max_size=2).map(tuple),
    assignee=st.one_of(st.none(), st.integers(1, 40).map(lambda i: f"telegram:{i}")),
), max_size=15, unique_by=lambda t: t.id)
policy_st = st.builds(
    ReminderPolicy,
    lead_days=st.lists(st.integers(1, 30), max_size=4).map(tuple),
    lead_unit=st.sampled_from(["calendar", "working"]),
    due_day=st.booleans(),
    window_start=st.integers(6, 9).map(lambda h: time(h)),
    window_end=st.integers(15, 18).map(lambda h: time(h)),
    digest_time=st.just(time(9)),
    overdue_every_days=st.integers(1, 14),
    escalate_after_working_days=st.integers(1, 10),
    digest_weekday=st.integers(0, 6),
    notify_supporting=st.booleans(),
)
override_st = st.lists(st.builds(Override, day=days_2026, kind=st.sampled_from(["workday", "holiday"])),
                       max_size=8, unique_by=lambda o: o.day)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tasks=tasks_st, users=users_st, policy=policy_st, overrides=override_st, start=days_2026,
       length=st.integers(0, 60))
def test_plan_properties(tasks: list[PlanTask], users: list[PlanUser], policy: ReminderPolicy,
                         overrides: list[Override], start: date, length: int) -> None:
    cal = _cal(*overrides)
    end = start + timedelta(days=length)
    out = plan(tasks, users, policy, cal, start, end)
    by_id = {t.id: t for t in tasks}
    by_key = {u.recipient: u for u in users}
    keys = [r.key for r in out]
    assert len(keys) == len(set(keys)), "no key repeats"
    for r in out:
        local = r.send_at.astimezone(policy.zone)
        assert start <= local.date() <= end
        assert cal.is_working_day(local.date()), "working days only (holidays out, swapped workdays in)"
        assert policy.window_start <= local.time() < policy.window_end, "inside the send window"
        u = by_key[r.recipient]
        assert not u.muted
        if r.task_id is None:
            assert r.kind == "digest" and u.role == "leader"
            continue
        t = by_id[r.task_id]
        assert not t.done and t.due is not None, "done tasks get nothing"
        if r.kind.startswith("lead_") or r.kind == "due":
            assert local.date() <= t.due, "lead reminders on or before the due date"
        if r.kind in ("overdue", "escalation"):
            assert local.date() > t.due
        if r.kind == "unassigned":
            assert u.role == "admin"
        elif r.kind == "escalation":
            assert u.role == "leader" and u.agency in t.leads
        else:
            assert r.recipient == t.assignee or u.agency in t.leads or u.agency in t.supporting


@settings(max_examples=60, deadline=None)
@given(tasks=tasks_st, users=users_st, start=days_2026, split=st.integers(0, 30), rest=st.integers(0, 30))
def test_plan_of_a_window_is_the_union_of_its_parts(tasks: list[PlanTask], users: list[PlanUser],
                                                      start: date, split: int, rest: int) -> None:
    """A plan depends only on its window and the data: two halves give exactly the whole."""
    cal = _cal()
    mid = start + timedelta(days=split)
    end = mid + timedelta(days=rest + 1)
    whole = {r.key: r for r in plan(tasks, users, POLICY, cal, start, end)}
    parts = plan(tasks, users, POLICY, cal, start, mid) + plan(tasks, users, POLICY, cal, mid + timedelta(days=1), end)
    assert {r.key: r for r in parts} == whole


def test_unreachable_task_is_reported_once_per_due_date() -> None:
    t = PlanTask(7, date(2026, 12, 15), leads=("so xay dung",))
    p = Planner(_users(), POLICY, _cal())
    out = list(p.plan([t], date(2026, 11, 1), date(2027, 3, 1)))
    assert [(r.recipient, r.kind) for r in out] == [("telegram:9", "unassigned")]
