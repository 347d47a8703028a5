"""The working-day calendar: Vietnam's public holidays plus an admin-edited override table.

Public holidays come from the ``holidays`` package (its Vietnam calendar computes Tết from the
lunar calendar, and knows observed days and the Saturdays swapped into working days). Each year
the government also announces swaps the package may not know yet; administrators add those with
``cchc calendar add-workday|add-holiday`` and they win over the package.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import holidays

logger = logging.getLogger(__name__)

OverrideKind = Literal["workday", "holiday"]
_LIMIT = 3660  # days searched for a working day before giving up (a broken calendar, not a real year)


@dataclass(frozen=True, slots=True)
class Override:
    """One admin-entered day: a swapped working day (``workday``) or an extra day off (``holiday``)."""

    day: date
    kind: OverrideKind
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """A non-ordinary day of a year, for ``cchc calendar list``."""

    day: date
    working: bool
    name: str
    source: Literal["holidays", "override"]

    def as_dict(self) -> dict[str, object]:
        return {"date": self.day.isoformat(), "working": self.working, "name": self.name, "source": self.source}


class WorkCalendar:
    """Answers "is this a working day?" quickly (cached per day) for any year."""

    def __init__(self, overrides: Iterable[Override] = (), *, country: str = "VN") -> None:
        self._overrides = {o.day: o for o in overrides}
        self._country = country
        self._years: set[int] = set()
        self._public = holidays.country_holidays(country, years=[], language="vi")
        self._cache: dict[date, bool] = {}

    @property
    def overrides(self) -> dict[date, Override]:
        return dict(self._overrides)

    def _load(self, year: int) -> None:
        if year not in self._years:
            _ = date(year, 1, 1) in self._public  # expand=True: a lookup populates the whole year
            self._years.add(year)

    def is_working_day(self, d: date) -> bool:
        hit = self._cache.get(d)
        if hit is not None:
            return hit
        o = self._overrides.get(d)
        if o is not None:
            working = o.kind == "workday"
        else:
            self._load(d.year)
            working = bool(self._public.is_working_day(d))
        self._cache[d] = working
        return working

    def holiday_name(self, d: date) -> str | None:
        o = self._overrides.get(d)
        if o is not None:
            return o.note or ("ngày làm việc bù" if o.kind == "workday" else "ngày nghỉ")
        self._load(d.year)
        return self._public.get(d)

    def previous_working_day(self, d: date, *, inclusive: bool = True) -> date:
        cur = d if inclusive else d - timedelta(days=1)
        for _ in range(_LIMIT):
            if self.is_working_day(cur):
                return cur
            cur -= timedelta(days=1)
        raise ValueError(f"no working day before {d}")

    def next_working_day(self, d: date, *, inclusive: bool = True) -> date:
        cur = d if inclusive else d + timedelta(days=1)
        for _ in range(_LIMIT):
            if self.is_working_day(cur):
                return cur
            cur += timedelta(days=1)
        raise ValueError(f"no working day after {d}")

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after d (n > 0) or before it (n < 0); d itself is not counted."""
        cur = d
        step = 1 if n >= 0 else -1
        for _ in range(abs(n)):
            cur = self.next_working_day(cur, inclusive=False) if step > 0 else self.previous_working_day(cur, inclusive=False)
        return cur

    def year(self, year: int) -> list[CalendarDay]:
        """Public holidays, swapped working days and overrides of one year, in date order."""
        self._load(year)
        days: dict[date, CalendarDay] = {}
        for d, name in self._public.items():
            if d.year == year:
                days[d] = CalendarDay(d, self.is_working_day(d), str(name), "holidays")
        for d in getattr(self._public, "weekend_workdays", set()):
            if d.year == year:
                days[d] = CalendarDay(d, True, "ngày làm việc bù", "holidays")
        for d, o in self._overrides.items():
            if d.year == year:
                days[d] = CalendarDay(d, o.kind == "workday", self.holiday_name(d) or "", "override")
        return [days[d] for d in sorted(days)]
