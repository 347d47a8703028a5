"""ORM models of the channel users, invites, feedback, failed deliveries (schema: migration 0004),
failed registrations and allowed group chats (migration 0006)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.store.models import Base

logger = logging.getLogger(__name__)



class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id", name="uq_users_channel_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    channel_user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    choices: Mapped[str | None] = mapped_column(Text)  # JSON list of pending numbered choices (Zalo)

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.channel_user_id}"


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash_scheme: Mapped[str] = mapped_column(String(16), default="hmac")  # "sha256": created before 0006
    role: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(100))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    refused: Mapped[bool] = mapped_column(Boolean)
    citations: Mapped[str] = mapped_column(Text)  # JSON list of citation dicts
    rating: Mapped[int | None] = mapped_column(Integer)  # +1 / -1
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeliveryFailure(Base):
    __tablename__ = "delivery_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    alerted: Mapped[bool] = mapped_column(Boolean)


class RegistrationFailure(Base):
    """One wrong, used or expired invite code sent to /dangky (counted for the lockout)."""

    __tablename__ = "registration_failures"
    __table_args__ = (
        Index("ix_registration_failures_created", "created_at"),
        Index("ix_registration_failures_user", "channel", "channel_user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    channel_user_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AllowedGroup(Base):
    """A group chat an admin allowed (``cchc groups allow``); every other group is ignored."""

    __tablename__ = "allowed_groups"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_allowed_groups_channel_chat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(200))
    allowed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    allowed_by: Mapped[str | None] = mapped_column(String(100))
