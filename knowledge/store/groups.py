"""Group chats the bot may listen in: none by default; an admin allows one with ``cchc groups allow``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core.errors import CchcError, NotFoundError
from knowledge.store.account_models import AllowedGroup
from knowledge.store.db import Database

logger = logging.getLogger(__name__)

CHANNELS = ("telegram", "zalo")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class GroupInfo:
    channel: str
    chat_id: str
    note: str | None
    allowed_at: datetime
    allowed_by: str | None

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.chat_id}"

    def as_dict(self) -> dict[str, Any]:
        return {"group": self.key, "channel": self.channel, "chat_id": self.chat_id, "note": self.note,
                "allowed_at": self.allowed_at.isoformat(), "allowed_by": self.allowed_by}

    @classmethod
    def of(cls, g: AllowedGroup) -> GroupInfo:
        at = g.allowed_at if g.allowed_at.tzinfo else g.allowed_at.replace(tzinfo=UTC)
        return cls(g.channel, g.chat_id, g.note, at, g.allowed_by)


def parse_group(ident: str, channel: str | None = None) -> tuple[str, str]:
    """``telegram:-100123`` or ``-100123`` with ``channel`` -> (channel, chat_id), validated."""
    text = ident.strip()
    if ":" in text:
        prefix, chat = text.split(":", 1)
        channel = prefix.strip().lower()
        text = chat.strip()
    channel = (channel or "telegram").lower()
    if channel not in CHANNELS:
        raise CchcError(f"Kênh không hợp lệ: {channel!r}. Chọn một trong: {', '.join(CHANNELS)}.")
    if not text or len(text) > 64 or any(c.isspace() for c in text):
        raise CchcError(f"Mã nhóm không hợp lệ: {ident!r}. Ví dụ: telegram:-1001234567890")
    digits = text.removeprefix("-")
    if channel == "telegram" and not (digits.isascii() and digits.isdigit()):
        raise CchcError(f"Mã nhóm Telegram là một số (thường bắt đầu bằng -100), không phải {text!r}.")
    return channel, text


class Groups:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = _now) -> None:
        self.db = db
        self.clock = clock

    def allow(self, channel: str, chat_id: str, *, note: str | None = None, by: str | None = None) -> GroupInfo:
        try:
            with self.db.session() as s:
                row = AllowedGroup(channel=channel, chat_id=chat_id, note=(note or None), allowed_at=self.clock(),
                                   allowed_by=by)
                s.add(row)
                s.flush()
                info = GroupInfo.of(row)
        except IntegrityError:
            raise CchcError(f"Nhóm {channel}:{chat_id} đã được cho phép từ trước.") from None
        logger.info("group allowed: %s:%s", channel, chat_id)
        return info

    def revoke(self, channel: str, chat_id: str) -> None:
        with self.db.session() as s:
            gone = s.execute(delete(AllowedGroup).where(AllowedGroup.channel == channel, AllowedGroup.chat_id == chat_id))
            if not getattr(gone, "rowcount", 0):
                raise NotFoundError(user_message=f"Nhóm {channel}:{chat_id} chưa được cho phép.")
        logger.info("group revoked: %s:%s", channel, chat_id)

    def list(self) -> list[GroupInfo]:
        with self.db.session() as s:
            return [GroupInfo.of(g) for g in s.scalars(select(AllowedGroup).order_by(AllowedGroup.id))]

    def is_allowed(self, channel: str, chat_id: str) -> bool:
        with self.db.session() as s:
            q = select(AllowedGroup.id).where(AllowedGroup.channel == channel, AllowedGroup.chat_id == chat_id)
            return s.scalar(q) is not None
