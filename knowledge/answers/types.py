"""The typed answer every answerer returns, and its citations (document, section path, exact quote)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Citation:
    source: str
    document: str
    section: str
    quote: str
    province: str | None = None
    passage_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "document": self.document, "section": self.section, "quote": self.quote}


@dataclass(frozen=True)
class EvidencePassage:
    """A passage an answer was built from (for callers that rephrase or check the answer)."""

    passage_id: int | None
    source: str
    document: str
    section: str
    text: str
    province: str | None = None


@dataclass
class Answer:
    question: str
    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    took_ms: float = 0.0
    reason: str | None = None  # why it was refused
    coverage: float = 0.0  # best sentence's question coverage (0..1), compared with the refusal threshold
    evidence: list[EvidencePassage] = field(default_factory=list)  # the passages the answer was built from
    answered_by: str | None = None  # the registered answerer's name (engine.ask sets it)
    mode: str = "extractive"  # "generated" when a model's answer passed the check (knowledge.answers.llm_stage)
    verified: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.as_dict() for c in self.citations],
            "took_ms": round(self.took_ms, 2),
            "mode": self.mode,
            **({"verified": True} if self.mode == "generated" and self.verified else {}),
        }
