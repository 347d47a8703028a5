"""Trợ lý CCHC: the application shell (settings, errors, logging, CLI)."""

__version__ = "0.1.0"
