"""Command and callback handlers, one module per area; importing this package registers them all in
:mod:`bot.commands`. A new area is one module plus one import line here."""

from bot.handlers import ask, general, scores, tasks

__all__ = ["ask", "general", "scores", "tasks"]
