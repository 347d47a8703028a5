"""The registry of chat commands and button callbacks (handler objects, not method names).

A handler module registers with :func:`command` or :func:`callback`; the router looks them up here.
A new command is one decorated function in ``bot/handlers/``; nothing else changes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.vocabulary import ADMIN, LEADER, OFFICIAL

if TYPE_CHECKING:
    from bot.router import Ctx, Router

logger = logging.getLogger(__name__)

ALL = frozenset({OFFICIAL, LEADER, ADMIN})
LEADERS = frozenset({LEADER, ADMIN})
ADMINS = frozenset({ADMIN})

Handler = Callable[["Router", "Ctx"], Awaitable[None]]
CallbackHandler = Callable[["Router", "Ctx", "re.Match[str]"], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    roles: frozenset[str]
    help: str
    handler: Handler
    order: int = 50


_COMMANDS: dict[str, Command] = {}
_CALLBACKS: list[tuple[re.Pattern[str], CallbackHandler]] = []
_CMD_RE = re.compile(r"^/([A-Za-z_]+)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)


def command(name: str, *, aliases: tuple[str, ...] = (), roles: frozenset[str] = ALL, help: str,
            order: int = 50) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _COMMANDS[name] = Command(name, aliases, roles, help, fn, order)
        return fn

    return register


def callback(pattern: str) -> Callable[[CallbackHandler], CallbackHandler]:
    """Register a handler for button data matching ``pattern`` (a full match)."""

    def register(fn: CallbackHandler) -> CallbackHandler:
        _CALLBACKS.append((re.compile(pattern), fn))
        return fn

    return register


def commands() -> list[Command]:
    """Registered commands in help order (``bot.handlers`` imports the built-in ones)."""
    return sorted(_COMMANDS.values(), key=lambda c: (c.order, c.name))


def _by_name() -> dict[str, Command]:
    out: dict[str, Command] = {}
    for c in commands():
        out[c.name] = c
        for a in c.aliases:
            out[a] = c
    return out


def parse_command(text: str) -> tuple[Command | None, str, bool]:
    """(command, args, looked_like_a_command)."""
    m = _CMD_RE.match(text.strip())
    if not m:
        return None, text.strip(), False
    return _by_name().get(m.group(1).lower()), (m.group(2) or "").strip(), True


def callback_handler(data: str) -> tuple[CallbackHandler, re.Match[str]] | None:
    for rx, fn in _CALLBACKS:
        m = rx.fullmatch(data)
        if m:
            return fn, m
    return None
