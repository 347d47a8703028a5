"""The built-in answerers and fact extractors: importing this module registers them.

Each module below registers itself (``@answerer`` in :mod:`knowledge.answers.engine`,
``@fact_extractor`` in :mod:`knowledge.facts`). A new one is a new module plus one line here.
"""

from __future__ import annotations

import logging

from knowledge.answers import documents as document_facts  # noqa: F401
from knowledge.answers import (
    duties,  # noqa: F401
    passages,  # noqa: F401
)
from knowledge.scores import answer as score_answers  # noqa: F401
from knowledge.scores import refresh as score_facts  # noqa: F401
from knowledge.tasks import answer as task_answers  # noqa: F401
from knowledge.tasks import refresh as task_facts  # noqa: F401

logger = logging.getLogger(__name__)
