"""The optional generated-answer stage: model call, check, and the fallback counts.

``GenerativeStage.run(question, sources)`` returns an :class:`Outcome`: ``generated`` with the
checked sentences, or ``extractive`` with the reason the caller keeps its extractive answer
(``timeout``, ``unavailable``, ``http_error``, ``malformed``, ``no_information``, ``not_installed``,
``error``, or ``verify:<reason>`` of the first failed check). Outcomes are counted in
``CCHC_HOME/llm_outcomes.json`` (shared by the CLI, the bots and ``cchc doctor``) and logged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.agencies import Registry
from core.settings import LlmSettings
from core.text import Span, fold, split_sentences, squash_ws
from knowledge.answers.figures import WORD_RE
from knowledge.answers.generate import SYSTEM_PROMPT, Composer, GenerationFailed, is_no_information
from knowledge.answers.types import Answer, Citation
from knowledge.answers.verify import AgencyFinder, Asked, GenSentence, Source, Verdict, asked_of, verify
from knowledge.store.documents import PassageRecord

logger = logging.getLogger(__name__)

STATS_FILE = "llm_outcomes.json"
# Answerers whose answers are passages composed into sentences; structured answers (index results,
# tasks, duties, summaries) are exact already and are never rewritten.
GENERATIVE_ANSWERERS = frozenset({"passages"})
NOTE_MARK = "\n\nLưu ý: "


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
    def __init__(self, settings: LlmSettings, stats_path: Path | None = None) -> None:
        self.settings = settings
        self.composer = Composer(settings)
        self.stats = OutcomeStats(stats_path)

    def apply(
        self,
        answer: Answer,
        passages: Callable[[Iterable[int]], list[PassageRecord]],
        registry: Registry | None = None,
        home_province: str | None = None,
        related: Callable[[str], list[PassageRecord]] | None = None,
    ) -> Answer:
        """THE hook: the generated form of a passage answer when the model's answer passes the check,
        else ``answer`` unchanged (mode ``extractive``). Never raises. The model gets the passages the
        extractive answer cites, then ``related`` ones (retrieved for the question) up to
        ``llm.max_passages``."""
        if answer.refused or answer.answered_by not in GENERATIVE_ANSWERERS:
            return answer
        try:
            ev = evidence_of(answer, passages, related, self.settings.max_passages)
            finder = _agency_finder(registry) if registry is not None else None
            outcome = self.run(answer.question, ev.sources, asked_of(answer.question, home_province), finder)
            if outcome.mode != "generated":
                return answer
            sentences, citations = ev.cite(outcome.sentences)
        except Exception:  # a bug here must cost the fluent answer, never the answer
            logger.exception("generated-answer stage failed")
            self.stats.record(Outcome("extractive", reason="error"))
            return answer
        note = answer.text[answer.text.index(NOTE_MARK) :] if NOTE_MARK in answer.text else ""
        text = Outcome("generated", sentences).text()
        return dataclasses.replace(
            answer, text=text + note, citations=citations, mode="generated", verified=True,
            took_ms=answer.took_ms + outcome.took_ms,
        )

    def run(self, question: str, sources: list[Source], asked: Asked, agencies: AgencyFinder | None = None) -> Outcome:
        """Ask the model and check its answer; any failure is an ``extractive`` outcome."""
        t0 = time.perf_counter()
        outcome = self._run(question, sources, asked, agencies)
        outcome = Outcome(outcome.mode, outcome.sentences, outcome.reason, outcome.verdict, (time.perf_counter() - t0) * 1000)
        self.stats.record(outcome)
        rate = f"fallback rate {self.stats.fallback_rate():.0%} of {self.stats.total} in this process"
        if outcome.mode == "generated":
            logger.info("generated answer verified (%d sentences, %.0f ms; %s)", len(outcome.sentences), outcome.took_ms, rate)
        else:
            logger.info("generated answer fell back to extractive: %s (%.0f ms; %s)", outcome.reason, outcome.took_ms, rate)
        return outcome

    def _run(self, question: str, sources: list[Source], asked: Asked, agencies: AgencyFinder | None) -> Outcome:
        if not sources:
            return Outcome("extractive", reason="no_passages")
        try:
            sentences = self.composer.compose(question, sources)
        except GenerationFailed as exc:
            logger.debug("model call failed: %s", exc)
            return Outcome("extractive", reason=exc.reason)
        if is_no_information(sentences):
            return Outcome("extractive", tuple(sentences), reason="no_information")
        verdict = verify(sentences, sources, asked, agencies, instructions=SYSTEM_PROMPT)
        if not verdict.ok:
            first = verdict.failures[0]
            logger.debug("generated answer rejected: %s", dict(verdict.reasons()))
            return Outcome("extractive", tuple(sentences), reason=f"verify:{first.reason}", verdict=verdict)
        return Outcome("generated", tuple(sentences), verdict=verdict)


@dataclass(frozen=True)
class Evidence:
    """The numbered passages given to the model; ``citations[i]`` is the extractive answer's own
    citation of passage i + 1, or None for a passage it did not cite."""

    sources: list[Source]
    records: list[PassageRecord]
    citations: list[Citation | None]

    def cite(self, sentences: tuple[GenSentence, ...]) -> tuple[tuple[GenSentence, ...], list[Citation]]:
        """The sentences renumbered ``[1]``, ``[2]``... in order of first use, and their citations."""
        order: dict[int, int] = {}
        for s in sentences:
            for c in s.cites:
                order.setdefault(c, len(order) + 1)
        citations = []
        for n in order:
            own = self.citations[n - 1]
            citations.append(own or _quote(self.records[n - 1], [s.text for s in sentences if n in s.cites]))
        return tuple(GenSentence(s.text, tuple(order[c] for c in s.cites)) for s in sentences), citations


def evidence_of(
    answer: Answer,
    passages: Callable[[Iterable[int]], list[PassageRecord]],
    related: Callable[[str], list[PassageRecord]] | None = None,
    limit: int = 4,
) -> Evidence:
    """The passages an extractive answer cites, in citation order, then related ones up to ``limit``."""
    firsts: dict[int, Citation] = {}
    for c in answer.citations:
        if c.passage_id is not None and c.passage_id not in firsts:
            firsts[c.passage_id] = c
    by_id = {p.id: p for p in passages(firsts)}
    records = [by_id[pid] for pid in firsts if pid in by_id]
    citations: list[Citation | None] = [firsts[p.id] for p in records]
    if related is not None and len(records) < limit:
        for p in related(answer.question):
            if len(records) >= limit:
                break
            if all(p.id != r.id for r in records):
                records.append(p)
                citations.append(None)
    sources = [Source(i + 1, f"{p.document}\n{p.section}\n{p.text}", p.province) for i, p in enumerate(records)]
    return Evidence(sources, records, citations)


def _quote(p: PassageRecord, texts: list[str]) -> Citation:
    """A citation of ``p`` whose quote is the passage sentence sharing most words with ``texts``."""
    words = set(WORD_RE.findall(fold(" ".join(texts))))
    spans = split_sentences(p.text) or [Span(0, len(p.text))]
    best = max(spans, key=lambda sp: len(words & set(WORD_RE.findall(fold(p.text[sp.start : sp.end])))))
    return Citation(p.source, p.document, p.section, squash_ws(p.text[best.start : best.end]), p.province, p.id)


def _agency_finder(registry: Registry) -> AgencyFinder:
    def find(text: str) -> set[str]:
        return {str(m.agency_id) for m in registry.mentions(text)}

    return find
