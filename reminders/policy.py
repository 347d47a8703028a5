"""The reminder policy: when, how often and to whom nudges go (``reminders:`` in config.yaml).

Validated once at start-up by :func:`load_policy`; a bad value is a :class:`ConfigError` whose
Vietnamese message names the key (``reminders.lead_days``), so an administrator can fix it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.errors import ConfigError

logger = logging.getLogger(__name__)


class ChannelThrottle(BaseModel):
    """Sending limits of one channel (Telegram's documented limits are the defaults)."""

    model_config = ConfigDict(extra="forbid")

    per_second: float = Field(25.0, gt=0, description="messages per second over all chats")
    per_chat_per_second: float = Field(1.0, gt=0, description="messages per second to one chat")


def _default_channels() -> dict[str, ChannelThrottle]:
    return {"telegram": ChannelThrottle(), "zalo": ChannelThrottle(per_second=10.0)}


class ReminderPolicy(BaseModel):
    """Every rule of the planner in one validated value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    timezone: str = "Asia/Ho_Chi_Minh"
    window_start: time = time(8, 0)
    window_end: time = time(17, 0)
    lead_days: tuple[int, ...] = (7, 3, 1)
    lead_unit: Literal["calendar", "working"] = "calendar"
    due_day: bool = True
    overdue_every_days: int = Field(7, ge=1, le=90, description="overdue notices repeat this often")
    overdue_max: int = Field(8, ge=1, le=100, description="at most this many overdue notices per task")
    escalate_after_working_days: int = Field(3, ge=1, le=60)
    digest_weekday: int = Field(0, ge=0, le=6, description="0 = Monday")
    digest_time: time = time(8, 0)
    notify_supporting: bool = False
    catch_up_hours: int = Field(24, ge=0, le=24 * 14, description="reminders missed longer ago are dropped")
    tick_seconds: int = Field(60, ge=5, le=3600)
    lease_seconds: int = Field(120, ge=10, le=3600)
    max_attempts: int = Field(5, ge=1, le=20)
    undo_minutes: int = Field(10, ge=1, le=120)
    channels: dict[str, ChannelThrottle] = Field(default_factory=_default_channels)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"không có múi giờ “{v}”") from e
        return v

    @field_validator("lead_days")
    @classmethod
    def _leads(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(n < 1 or n > 365 for n in v):
            raise ValueError("mỗi số ngày nhắc trước phải từ 1 đến 365")
        return tuple(sorted(set(v), reverse=True))

    @field_validator("window_start", "window_end", "digest_time")
    @classmethod
    def _whole_minutes(cls, v: time) -> time:
        if v.second or v.microsecond or v.tzinfo is not None:
            raise ValueError("giờ phải viết dạng HH:MM, không kèm giây hay múi giờ")
        return v

    @model_validator(mode="after")
    def _window(self) -> ReminderPolicy:
        if self.window_start >= self.window_end:
            raise ValueError("window_start phải sớm hơn window_end")
        if not self.window_start <= self.digest_time < self.window_end:
            raise ValueError("digest_time phải nằm trong khung giờ gửi")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hours(self) -> range:
        """The whole hours a user may choose with /gionhac."""
        last = self.window_end.hour - (0 if self.window_end.minute else 1)
        return range(self.window_start.hour + (1 if self.window_start.minute else 0), last + 1)

    def send_time(self, hour: int | None) -> time:
        """The time of day a reminder is sent: the user's preferred hour if valid, else the window start."""
        if hour is not None and hour in self.hours():
            return time(hour, 0)
        return self.window_start

    def throttle(self, channel: str) -> ChannelThrottle:
        return self.channels.get(channel, ChannelThrottle())


def _where(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if not str(p).startswith("function-")]
    return ".".join(["reminders", *parts]) if parts else "reminders"


_MESSAGES = {
    "int_parsing": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "float_parsing": "phải là số",
    "bool_parsing": "phải là true hoặc false",
    "time_parsing": "phải là giờ dạng HH:MM",
    "time_type": "phải là giờ dạng HH:MM",
    "string_type": "phải là chuỗi chữ",
    "tuple_type": "phải là danh sách",
    "dict_type": "phải là bảng khóa: giá trị",
    "model_type": "phải là bảng khóa: giá trị",
    "extra_forbidden": "khóa không được hỗ trợ",
}


def _message(err: Mapping[str, object]) -> str:
    kind = str(err.get("type", ""))
    ctx = err.get("ctx")
    bounds = ctx if isinstance(ctx, Mapping) else {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind in ("greater_than_equal", "greater_than"):
        return f"phải {'≥' if kind.endswith('equal') else '>'} {bounds.get('ge', bounds.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"phải {'≤' if kind.endswith('equal') else '<'} {bounds.get('le', bounds.get('lt'))}"
    if kind == "literal_error":
        return f"phải là một trong: {bounds.get('expected')}"
    return str(err.get("msg", "")).removeprefix("Value error, ")


def load_policy(raw: Mapping[str, object] | None) -> ReminderPolicy:
    """Validate the ``reminders:`` section; raise a Vietnamese :class:`ConfigError` naming the bad key."""
    try:
        return ReminderPolicy.model_validate(dict(raw or {}))
    except ValidationError as e:
        problems = []
        for err in e.errors():
            key = _where(tuple(err.get("loc", ())))
            problems.append(f"{key}: {_message(err)} (giá trị: {err.get('input')!r})")
        text = "Cấu hình nhắc việc không hợp lệ: " + "; ".join(problems)
        raise ConfigError(text, user_message=text) from None
