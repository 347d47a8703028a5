"""The composition root: settings -> store -> Knowledge (-> reminders -> channels, in ``serve``).

Built lazily per CLI invocation, so ``cchc --help`` loads nothing and ``cchc summary`` never loads the
search index.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core import logs
from core.keys import load_or_create_secret
from core.private import secure_home
from core.settings import Settings, load_settings
from knowledge.service import Knowledge
from reminders.policy import load_policy
from reminders.service import Reminders

if TYPE_CHECKING:
    from bot.push import BotApiNotifier

logger = logging.getLogger(__name__)


class AppContext:
    """Lazily built services, shared by the sub-commands of one invocation."""

    def __init__(self, config: str | None, verbose: bool) -> None:
        self.config = config
        self.verbose = verbose
        self._settings: Settings | None = None
        self._knowledge: Knowledge | None = None
        self._reminders: Reminders | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
            secure_home(self._settings.home)  # 0700/0600, also for a home made by an older version
            level = "DEBUG" if self.verbose else self._settings.log_level
            logs.configure(level, self._settings.log_file)
        return self._settings

    @property
    def knowledge(self) -> Knowledge:
        if self._knowledge is None:
            self._knowledge = Knowledge(self.settings)
        return self._knowledge

    @property
    def reminders(self) -> Reminders:
        """The reminders door over the same database; the policy is validated here (a Vietnamese
        error naming the key on a bad value)."""
        if self._reminders is None:
            policy = load_policy(self.settings.reminders)
            self._reminders = Reminders(self.knowledge.db, policy, load_or_create_secret(self.settings.home))
        return self._reminders

    def notifiers(self) -> dict[str, BotApiNotifier]:
        """The channels' side of the reminders' Notifier port, for the configured channels."""
        from bot.push import notifiers_for

        return notifiers_for(self.settings)
