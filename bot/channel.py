"""The one small interface every channel implements, and the neutral update type the router handles.

A handler is written once against :class:`Channel` and :class:`Incoming`; Telegram, Zalo and the
terminal chat each translate their own updates into ``Incoming`` and implement the send methods.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from bot.inputs import clean_optional, clean_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Button:
    """A choice under a message. ``data`` is what comes back as ``Incoming.callback_data``."""

    label: str
    data: str


@dataclass(frozen=True)
class IncomingFile:
    """A document the user sent: its name as given, and a way to fetch its bytes (size known first)."""

    name: str
    size: int | None
    file_id: str
    mime: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", clean_text(self.name))


@dataclass(frozen=True)
class Incoming:
    """One update from any channel, in channel-neutral form."""

    channel: str
    user_id: str
    chat_id: str
    text: str = ""
    callback_data: str | None = None
    callback_id: str | None = None
    file: IncomingFile | None = None
    is_group: bool = False
    mentioned: bool = False
    display_name: str | None = None
    received_at: float = field(default=0.0, compare=False)
    message_id: str | None = None  # of the message whose button was pressed
    buttons: list[list[Button]] = field(default_factory=list, compare=False)  # that message's buttons

    def __post_init__(self) -> None:
        """The channel boundary: whatever a channel hands over is cleaned here, once (lone surrogates,
        NULs), so nothing further in can fail to encode, store or send it."""
        for name in ("user_id", "chat_id", "text"):
            object.__setattr__(self, name, clean_text(getattr(self, name)))
        for name in ("callback_data", "display_name"):
            object.__setattr__(self, name, clean_optional(getattr(self, name)))

    @property
    def user_key(self) -> str:
        """``channel:user_id``, the form used in ``settings.access.admins``."""
        return f"{self.channel}:{self.user_id}"


class Channel(ABC):
    """Send side of a channel. Implementations split long texts themselves via :meth:`send_long`."""

    name: str = "channel"
    max_text_length: int = 4096
    supports_buttons: bool = False
    rate_limited: bool = True  # False only for the terminal chat, whose user already owns the machine

    @abstractmethod
    async def send_text(self, chat_id: str, text: str, buttons: list[list[Button]] | None = None) -> None:
        """Send one message of at most ``max_text_length`` characters (plain text; the channel escapes)."""

    @abstractmethod
    async def send_photo(self, chat_id: str, png: bytes, caption: str | None = None) -> None:
        """Send a PNG image with an optional short caption."""

    async def answer_callback(self, callback_id: str, text: str | None = None) -> None:  # noqa: B027
        """Acknowledge a button press (stops the spinner on Telegram). Default: nothing to do."""

    async def edit_buttons(self, chat_id: str, message_id: str, buttons: list[list[Button]] | None) -> None:  # noqa: B027
        """Replace the buttons under a sent message (after a press). Default: channels without buttons."""

    async def download(self, file: IncomingFile, max_bytes: int) -> bytes:
        """The bytes of a file the user sent. Channels without file support raise."""
        from core.errors import ChannelError

        raise ChannelError(user_message="Kênh này chưa hỗ trợ gửi tệp.")

    async def send_long(self, chat_id: str, text: str, buttons: list[list[Button]] | None = None) -> None:
        """Split ``text`` at the channel limit on paragraph/line boundaries; buttons go under the last piece.

        Callers pass buttons only when ``supports_buttons``; the router turns them into numbered choices otherwise.
        """
        from bot.formatting import split_message

        pieces = split_message(text, self.max_text_length)
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            await self.send_text(chat_id, piece, buttons if last and self.supports_buttons else None)
