"""Derived facts (index results, assigned tasks) re-extracted from stored documents: a registry of
extractors, each ``f(db, documents) -> report`` over all documents (``None``) or the given ids.

Extractors register themselves with :func:`fact_extractor`; a new kind of fact is one new module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import TypeVar

from knowledge.store.db import Database

logger = logging.getLogger(__name__)

# Bump when an extractor changes what it derives: every document is then re-extracted at the next
# ingest. Documents record the version whose extraction last completed (documents.facts_version).
FACTS_VERSION = 1

FactExtractor = Callable[[Database, Collection[int] | None], object]
F = TypeVar("F", bound=FactExtractor)
_EXTRACTORS: dict[str, FactExtractor] = {}


def fact_extractor(name: str) -> Callable[[F], F]:
    def register(fn: F) -> F:
        _EXTRACTORS[name] = fn
        return fn

    return register


def extractors() -> dict[str, FactExtractor]:
    """The registered extractors (``knowledge.answerers`` imports the built-in ones)."""
    return dict(_EXTRACTORS)


def refresh_facts(db: Database, documents: Collection[int] | None = None) -> dict[str, object]:
    """Run every registered extractor; returns each one's report by name."""
    return {name: fn(db, documents) for name, fn in extractors().items()}
