"""The one way commands print JSON: one document on stdout (logs and progress go to stderr)."""

from __future__ import annotations

import json
import logging

import click

logger = logging.getLogger(__name__)

JsonValue = object


def emit(data: JsonValue) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))
