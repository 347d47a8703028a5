"""The optional generated-answer stage: model call, check, and the fallback counts.

``GenerativeStage.run(question, sources)`` returns an :class:`Outcome`: ``generated`` with the
checked sentences, or ``extractive`` with the reason the caller keeps its extractive answer
(``timeout``, ``unavailable``, ``http_error``, ``malformed``, ``no_information``, ``not_installed``,
``error``, or ``verify:<reason>`` of the first failed check). Outcomes are counted in
``CCHC_HOME/llm_outcomes.json`` (shared by the CLI, the bots and ``cchc doctor``) and logged.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import LlmSettings
from knowledge.answers.generate import SYSTEM_PROMPT, Composer, GenerationFailed, is_no_information
from knowledge.answers.verify import AgencyFinder, Asked, GenSentence, Source, Verdict, verify

logger = logging.getLogger(__name__)

STATS_FILE = "llm_outcomes.json"


@dataclass(frozen=True)
class Outcome:
    mode: str  # "generated" | "extractive"
    sentences: tuple[GenSentence, ...] = ()
    reason: str | None = None  # why the extractive answer is kept
    verdict: Verdict | None = None
    took_ms: float = 0.0

    @property
    def verified(self) -> bool:
        return self.mode == "generated" and self.verdict is not None and self.verdict.ok

    def text(self) -> str:
        """The answer with its ``[n]`` markers, one paragraph."""
        return " ".join(f"{s.text.rstrip()} " + "".join(f"[{c}]" for c in s.cites) for s in self.sentences).strip()


# --------------------------------------------------------------------------- counts
@dataclass
class OutcomeStats:
    """Counts of generated answers and fallbacks by reason, in a small JSON file under a lock."""

    path: Path | None
    generated: int = 0
    fallbacks: Counter[str] = field(default_factory=Counter)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, object]]:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.seek(0)
            try:
                data = json.loads(fh.read() or "{}")
            except ValueError:
                data = {}
            yield data
            fh.seek(0)
            fh.truncate()
            fh.write(json.dumps(data, ensure_ascii=False))

    def record(self, outcome: Outcome) -> None:
        if outcome.mode == "generated":
            self.generated += 1
        else:
            self.fallbacks[outcome.reason or "error"] += 1
        if self.path is None:
            return
        try:
            with self._locked() as data:
                if outcome.mode == "generated":
                    data["generated"] = int(data.get("generated", 0)) + 1  # type: ignore[call-overload]
                else:
                    fb = dict(data.get("fallbacks", {}))  # type: ignore[call-overload]
                    fb[outcome.reason or "error"] = int(fb.get(outcome.reason or "error", 0)) + 1
                    data["fallbacks"] = fb
        except OSError as exc:  # counting must never break an answer
            logger.warning("cannot update %s: %s", self.path, exc)

    @classmethod
    def load(cls, path: Path) -> OutcomeStats:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        return cls(path, int(data.get("generated", 0)), Counter({k: int(v) for k, v in data.get("fallbacks", {}).items()}))

    @property
    def total(self) -> int:
        return self.generated + sum(self.fallbacks.values())

    def fallback_rate(self) -> float:
        return sum(self.fallbacks.values()) / self.total if self.total else 0.0


# --------------------------------------------------------------------------- the stage
class GenerativeStage:
    def __init__(
        self, settings: LlmSettings, stats_path: Path | None = None, agencies: AgencyFinder | None = None
    ) -> None:
        self.settings = settings
        self.composer = Composer(settings)
        self.stats = OutcomeStats(stats_path)
        self.agencies = agencies

    def run(self, question: str, sources: list[Source], asked: Asked) -> Outcome:
        """Ask the model and check its answer; any failure is an ``extractive`` outcome."""
        t0 = time.perf_counter()
        outcome = self._run(question, sources, asked)
        outcome = Outcome(outcome.mode, outcome.sentences, outcome.reason, outcome.verdict, (time.perf_counter() - t0) * 1000)
        self.stats.record(outcome)
        if outcome.mode == "generated":
            logger.info("generated answer verified (%d sentences, %.0f ms)", len(outcome.sentences), outcome.took_ms)
        else:
            logger.info("generated answer fell back to extractive: %s (%.0f ms)", outcome.reason, outcome.took_ms)
        return outcome

    def _run(self, question: str, sources: list[Source], asked: Asked) -> Outcome:
        if not sources:
            return Outcome("extractive", reason="no_passages")
        try:
            sentences = self.composer.compose(question, sources)
        except GenerationFailed as exc:
            logger.debug("model call failed: %s", exc)
            return Outcome("extractive", reason=exc.reason)
        if is_no_information(sentences):
            return Outcome("extractive", tuple(sentences), reason="no_information")
        verdict = verify(sentences, sources, asked, self.agencies, instructions=SYSTEM_PROMPT)
        if not verdict.ok:
            first = verdict.failures[0]
            logger.debug("generated answer rejected: %s", dict(verdict.reasons()))
            return Outcome("extractive", tuple(sentences), reason=f"verify:{first.reason}", verdict=verdict)
        return Outcome("generated", tuple(sentences), verdict=verdict)
