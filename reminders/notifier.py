"""The Notifier port: how reminders reach a chat without ``reminders/`` importing ``bot/``.

Each channel (Telegram, Zalo) implements :class:`Notifier` in ``bot/`` and the composition root
hands them to the dispatcher. A notifier never raises for a delivery problem: it returns a
:class:`Delivery` whose :class:`Outcome` tells the dispatcher what the ledger must record, because
only the channel knows whether a failed request could have reached the user:

- ``SENT``: the platform accepted the message.
- ``RETRY``: certainly not delivered and worth retrying: HTTP 429 (``retry_after`` seconds), 5xx,
  or a connection that failed before the request was sent.
- ``UNCERTAIN``: the request left and no answer came back (a read timeout, a dropped connection);
  the message may have been delivered. Bot APIs have no idempotency key, so it is never resent.
- ``UNDELIVERABLE``: the chat is blocked, deleted or unknown (or, on Zalo, outside the window in
  which the platform allows a push); the recipient is marked and the admins alerted once.
- ``FAILED``: refused for another reason (a bad request); retrying would not help.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

logger = logging.getLogger(__name__)


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    UNCERTAIN = "uncertain"
    UNDELIVERABLE = "undeliverable"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Action:
    """A button under a notice. ``data`` is signed (:mod:`reminders.callbacks`); ``command`` is the
    text a user types on a channel without buttons (Zalo), e.g. ``xong HY-2026-001``."""

    label: str
    data: str
    command: str


@dataclass(frozen=True, slots=True)
class Notice:
    """One message to one chat."""

    chat_id: str
    text: str
    actions: tuple[tuple[Action, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: Outcome
    detail: str = ""
    retry_after: float | None = None
    message_id: str | None = field(default=None)


@runtime_checkable
class Notifier(Protocol):
    """Sends notices on one channel (``name`` is the channel, e.g. ``telegram``)."""

    name: str

    async def notify(self, notice: Notice) -> Delivery:
        """Send one notice; never raise for a delivery problem (return the outcome)."""
        ...
