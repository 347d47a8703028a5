"""The ``cchc`` command groups, one module each; :func:`all_commands` is what ``cchc.cli`` registers."""

from __future__ import annotations

import logging

import click

logger = logging.getLogger(__name__)


def all_commands() -> list[click.Command]:
    from cchc.commands import documents, groups, knowledge, reminders, scores, tasks, users

    return [*knowledge.COMMANDS, *documents.COMMANDS, *scores.COMMANDS, *tasks.COMMANDS, *users.COMMANDS,
            *groups.COMMANDS, *reminders.COMMANDS]
