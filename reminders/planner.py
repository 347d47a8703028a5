"""The pure planner: (tasks, users, policy, calendar, window) -> reminders.

No database, no clock, no I/O: the same inputs always give the same reminders, so the scheduler,
``cchc reminders plan`` and the property tests all see one behaviour. Inputs are small frozen
values built by the loader (:mod:`reminders.loader`) from the store.

Rules (``docs/reminders.md`` has the user-facing version):
- lead reminders ``lead_N`` N calendar or working days before the due date, and ``due`` on it;
  one that falls on a day off moves to the previous working day (never past the due date); when
  several land on one day only the nearest is kept;
- ``overdue`` on the first working day after the due date, then every ``overdue_every_days``;
- one ``escalation`` to the lead agency's leaders after N working days overdue;
- a weekly ``digest`` to each leader whose agency has work due that week or overdue;
- a task nobody can be reminded of gives one ``unassigned`` notice to each admin.
Every reminder is sent inside the send window on a working day, at the user's preferred hour.
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from reminders.policy import ReminderPolicy
from reminders.workdays import WorkCalendar

logger = logging.getLogger(__name__)

TASK_KINDS = ("due", "overdue", "escalation", "unassigned")  # plus lead_N
ROLES_NOTIFIED = ("official",)


@dataclass(frozen=True, slots=True)
class PlanTask:
    """What the planner needs of a task. ``leads`` and ``supporting`` are agency keys; a task given to
    a group of agencies lists every member as a lead."""

    id: int
    due: date | None
    done: bool = False
    leads: tuple[str, ...] = ()
    supporting: tuple[str, ...] = ()
    assignee: str | None = None  # recipient key of the registered assignee, if any


@dataclass(frozen=True, slots=True)
class PlanUser:
    """A registered user as the planner sees it. ``recipient`` is ``channel:user_id``."""

    recipient: str
    role: str
    agency: str | None = None
    muted: bool = False
    hour: int | None = None
    deliverable: bool = True

    @property
    def channel(self) -> str:
        return self.recipient.split(":", 1)[0]


@dataclass(frozen=True, slots=True)
class Reminder:
    """One planned message. ``key`` is its idempotency key in the ledger."""

    key: str
    task_id: int | None
    recipient: str
    kind: str
    send_at: datetime
    due: date | None
    note: str | None = None

    @property
    def channel(self) -> str:
        return self.recipient.split(":", 1)[0]

    def as_dict(self) -> dict[str, object]:
        return {"task_id": self.task_id, "recipient": self.recipient, "channel": self.channel,
                "kind": self.kind, "send_at": self.send_at.isoformat(), "key": self.key,
                "due": self.due.isoformat() if self.due else None, "note": self.note}


def reminder_key(task_id: int | None, recipient: str, kind: str, due: date | None) -> str:
    """The idempotency key: (task, recipient, kind, the due date it was planned for)."""
    return f"{task_id if task_id is not None else '-'}|{recipient}|{kind}|{due.isoformat() if due else '-'}"


@dataclass
class _Directory:
    officials: dict[str, list[PlanUser]] = field(default_factory=lambda: defaultdict(list))
    leaders: dict[str, list[PlanUser]] = field(default_factory=lambda: defaultdict(list))
    admins: list[PlanUser] = field(default_factory=list)
    by_key: dict[str, PlanUser] = field(default_factory=dict)
    registered: set[str] = field(default_factory=set)  # agencies with any official, muted or not

    @classmethod
    def of(cls, users: Iterable[PlanUser]) -> _Directory:
        d = cls()
        for u in users:
            d.by_key[u.recipient] = u
            if u.role == "admin":
                if u.deliverable and not u.muted:
                    d.admins.append(u)
            elif u.agency:
                if u.role in ROLES_NOTIFIED:
                    d.registered.add(u.agency)
                if u.deliverable and not u.muted:
                    (d.leaders if u.role == "leader" else d.officials)[u.agency].append(u)
        return d


def lead_days(task_due: date, policy: ReminderPolicy, cal: WorkCalendar) -> list[tuple[date, str]]:
    """The lead and due-day reminders of a due date: (day, kind), nearest kept when days collide."""
    chosen: dict[date, tuple[int, str]] = {}
    offsets = [*policy.lead_days, *([0] if policy.due_day else [])]
    for n in offsets:
        if n == 0:
            raw = task_due
        elif policy.lead_unit == "working":
            raw = cal.add_working_days(task_due, -n)
        else:
            raw = task_due - timedelta(days=n)
        day = cal.previous_working_day(raw)
        kind = "due" if n == 0 else f"lead_{n}"
        if day not in chosen or n < chosen[day][0]:
            chosen[day] = (n, kind)
    return sorted((d, k) for d, (_, k) in chosen.items())


def overdue_days(task_due: date, policy: ReminderPolicy, cal: WorkCalendar) -> list[date]:
    """First working day after the due date, then every ``overdue_every_days`` (moved to a working day)."""
    first = cal.next_working_day(task_due, inclusive=False)
    days = {first}
    for k in range(1, policy.overdue_max):
        days.add(cal.next_working_day(first + timedelta(days=k * policy.overdue_every_days)))
    return sorted(days)


class Planner:
    """Plans one window. Build once per (users, policy, calendar); :meth:`plan` streams reminders."""

    def __init__(self, users: Iterable[PlanUser], policy: ReminderPolicy, cal: WorkCalendar) -> None:
        self.policy = policy
        self.cal = cal
        self.dir = _Directory.of(users)
        self.zone = policy.zone
        max_lead = max(policy.lead_days, default=0)
        self._before = timedelta(days=max_lead * 2 + 31)  # a lead reminder is never earlier than this
        self._after = timedelta(days=policy.overdue_every_days * policy.overdue_max + 31
                                + policy.escalate_after_working_days * 2)

    def at(self, day: date, hour: int | None) -> datetime:
        t = self.policy.send_time(hour)
        return datetime(day.year, day.month, day.day, t.hour, t.minute, tzinfo=self.zone)

    def recipients(self, t: PlanTask) -> list[tuple[PlanUser, str | None]]:
        """Who gets a task's own reminders: the assignee, else the lead agency's officials."""
        if t.assignee and t.assignee in self.dir.by_key:
            u = self.dir.by_key[t.assignee]
            out: list[tuple[PlanUser, str | None]] = [] if (u.muted or not u.deliverable) else [(u, None)]
        else:
            out = [(u, None) for ag in t.leads for u in self.dir.officials.get(ag, [])]
        if self.policy.notify_supporting:
            for ag in t.supporting:
                out += [(u, "phối hợp") for u in self.dir.officials.get(ag, [])]
        return list({u.recipient: (u, note) for u, note in reversed(out)}.values())[::-1]

    def reachable(self, t: PlanTask) -> bool:
        """False when no one could ever be reminded: no registered assignee and no official of the lead agency."""
        return bool((t.assignee and t.assignee in self.dir.by_key) or any(a in self.dir.registered for a in t.leads))

    def plan(self, tasks: Iterable[PlanTask], start: date, end: date,
             earliest_open: Mapping[str, date] | None = None) -> Iterator[Reminder]:
        """Every reminder whose send day lies in [start, end], task by task, then the digests.

        ``earliest_open`` (agency -> earliest open due date) lets a caller that passes only the tasks
        near the window still give digests the full picture of old overdue work."""
        if not self.policy.enabled:
            return
        open_due: dict[str, list[date]] = defaultdict(list)
        for ag, d in (earliest_open or {}).items():
            open_due[ag].append(d)
        for t in tasks:
            if t.done or t.due is None:
                continue
            for ag in t.leads:
                open_due[ag].append(t.due)
            if t.due - self._before > end or t.due + self._after < start:
                continue
            yield from self._task(t, start, end)
        for days in open_due.values():
            days.sort()
        yield from self._digests(open_due, start, end)

    def _task(self, t: PlanTask, start: date, end: date) -> Iterator[Reminder]:
        assert t.due is not None
        days = [(d, k, k) for d, k in lead_days(t.due, self.policy, self.cal)]
        days += [(d, "overdue", f"overdue.{i + 1}") for i, d in enumerate(overdue_days(t.due, self.policy, self.cal))]
        in_window = [x for x in days if start <= x[0] <= end]
        if not self.reachable(t):
            first = min(x[0] for x in days)
            if start <= first <= end:
                for a in self.dir.admins:
                    yield Reminder(reminder_key(t.id, a.recipient, "unassigned", t.due), t.id, a.recipient,
                                   "unassigned", self.at(first, a.hour), t.due)
            return
        people = self.recipients(t) if in_window else []
        for d, kind, key_kind in in_window:
            for u, note in people:
                yield Reminder(reminder_key(t.id, u.recipient, key_kind, t.due), t.id, u.recipient,
                               kind, self.at(d, u.hour), t.due, note)
        esc = self.cal.add_working_days(t.due, self.policy.escalate_after_working_days)
        if start <= esc <= end:
            for u in {u.recipient: u for ag in t.leads for u in self.dir.leaders.get(ag, [])}.values():
                yield Reminder(reminder_key(t.id, u.recipient, "escalation", t.due), t.id, u.recipient,
                               "escalation", self.at(esc, u.hour), t.due)

    def digest_day(self, week_start: date) -> date | None:
        """The digest day of the week starting on Monday ``week_start``: its weekday, or the next working day."""
        day = week_start + timedelta(days=self.policy.digest_weekday)
        while day < week_start + timedelta(days=7):
            if self.cal.is_working_day(day):
                return day
            day += timedelta(days=1)
        return None

    def _digests(self, open_due: dict[str, list[date]], start: date, end: date) -> Iterator[Reminder]:
        t = self.policy.digest_time
        week = start - timedelta(days=start.weekday())
        while week <= end:
            day = self.digest_day(week)
            if day is not None and start <= day <= end:
                at = datetime(day.year, day.month, day.day, t.hour, t.minute, tzinfo=self.zone)
                for agency, leaders in self.dir.leaders.items():
                    if _has_work(open_due.get(agency, []), week):
                        for u in leaders:
                            yield Reminder(reminder_key(None, u.recipient, "digest", week), None,
                                           u.recipient, "digest", at, week)
            week += timedelta(days=7)


def _has_work(sorted_due: Sequence[date], week: date) -> bool:
    """Open work due before the end of that week (overdue or due this week)."""
    return bisect.bisect_left(sorted_due, week + timedelta(days=7)) > 0


NUDGE_FAMILY = "nudge"


def family(kind: str) -> str:
    """Reminders of one family supersede each other: a later lead/due/overdue makes an earlier one stale."""
    return NUDGE_FAMILY if kind.startswith("lead_") or kind in ("due", "overdue") else kind


def catch_up(due: Iterable[Reminder], now: datetime, max_age: timedelta) -> tuple[list[Reminder], list[Reminder]]:
    """Split reminders whose time has come into (still relevant, stale).

    After downtime several reminders of one task and recipient may be past: only the latest of each
    family is still worth sending, and nothing older than ``max_age`` is.
    """
    latest: dict[tuple[int | None, str, str], Reminder] = {}
    stale: list[Reminder] = []
    for r in due:
        if r.send_at > now:
            continue
        if now - r.send_at > max_age:
            stale.append(r)
            continue
        k = (r.task_id, r.recipient, family(r.kind))
        old = latest.get(k)
        if old is None or (r.send_at, r.key) > (old.send_at, old.key):
            if old is not None:
                stale.append(old)
            latest[k] = r
        else:
            stale.append(r)
    keep = sorted(latest.values(), key=lambda r: (r.send_at, r.key))
    return keep, stale


def plan(tasks: Iterable[PlanTask], users: Iterable[PlanUser], policy: ReminderPolicy, cal: WorkCalendar,
         start: date, end: date) -> list[Reminder]:
    """Convenience: the whole plan of a window as a list, ordered by send time then key."""
    out = list(Planner(users, policy, cal).plan(tasks, start, end))
    out.sort(key=lambda r: (r.send_at, r.key))
    return out
