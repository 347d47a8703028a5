"""Channel backends found by name (errbot style): a configured settings section ``<name>`` (a
``ChannelSettings`` with a token) runs the module ``bot.<name>``, whose ``BACKEND`` starts it.

A new channel is one new module with a ``BACKEND`` plus its settings section; no other code changes.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.channel import Channel
from core.errors import ConfigError
from core.settings import Settings

if TYPE_CHECKING:
    from bot.router import Router

logger = logging.getLogger(__name__)


class Running(Protocol):
    """A started channel: its send side, a label for the start-up line, and how to stop it."""

    @property
    def channel(self) -> Channel: ...

    @property
    def label(self) -> str: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class Backend:
    name: str
    start: Callable[[Settings, Router], Awaitable[Running]]


def configured_channels(settings: Settings) -> list[str]:
    return [name for name, section in settings.channel_sections().items() if section.enabled]


def backend(name: str) -> Backend:
    try:
        module = importlib.import_module(f"bot.{name}")
    except ImportError as exc:
        raise ConfigError(f"Kênh '{name}' chưa được hỗ trợ (thiếu mô-đun bot.{name}).") from exc
    found = getattr(module, "BACKEND", None)
    if not isinstance(found, Backend):
        raise ConfigError(f"Mô-đun bot.{name} không khai báo BACKEND.")
    return found
