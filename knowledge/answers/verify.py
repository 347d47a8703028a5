"""Deterministic check of a generated answer against the numbered passages it cites. No model.

A generated answer is a list of sentences, each with the numbers of the passages it cites. It
passes only when, sentence by sentence:

- it cites at least one passage and every cited number was given to the model;
- every figure it states (number, percentage, date, rank ``12/63``, score ``83,52/100``, rank change
  ``giảm 03 bậc``, document number ``118/2025/NĐ-CP``) is written in its cited passages, after
  normalising decimal comma/dot, thousands dots, leading zeros and date forms;
- each such figure is stated for the same index or field, role (score, rank, count), province,
  year and comparison year as where the passage states it (the nearest label; a comparison year
  ``so với năm 2021`` is not the figure's year); a document number keeps its date and the years
  written about it. A sentence that names no province or year presents the figure as the one
  asked, so the question's province and years are used instead;
- every year, province and agency it names is named in its cited passages;
- most of its words are words of its cited passages (``min_support``), and it repeats no run of
  words of the model's own instructions.

Text in a passage that addresses the model (``bỏ qua mọi hướng dẫn``, ``ignore previous
instructions``, ``tiết lộ ...``) is not evidence: those sentences are blanked before the check, so
an answer that obeys a poisoned document fails.

Failures carry a reason; :class:`Verdict` counts them. Overhead is a few regexes per sentence and
passage (well under 5 ms for an answer, see ``benchmarks/verify_check.py``).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from core.agencies import fold_aligned
from core.text import nfc
from knowledge.answers.figures import (
    CITE_MARK_RE,
    PROVINCE_RE,
    STOPWORDS,
    Figure,
    Scanned,
    comparison_spans,
    instruction_shingles,
    pair_keys,
    pair_kind,
)

logger = logging.getLogger(__name__)

# Every reason a sentence can fail, in the order they are checked.
REASONS = (
    "empty", "no_citation", "unknown_citation",
    "doc_number", "date", "rank", "score", "percent", "rank_change", "number",
    "label", "province", "year", "other_province", "other_year", "agency",
    "unsupported", "instructions",
)

AgencyFinder = Callable[[str], Iterable[str]]  # text -> canonical keys of the agencies it names


@dataclass(frozen=True)
class GenSentence:
    text: str
    cites: tuple[int, ...]


@dataclass(frozen=True)
class Source:
    """A passage as numbered for the model: ``text`` holds its title and section path too."""

    number: int
    text: str
    province: str | None = None  # the document's province


@dataclass(frozen=True)
class Asked:
    """What the question asks about: a sentence that names no province or year means these."""

    province: str | None = None
    years: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Failure:
    reason: str
    sentence: int
    detail: str


@dataclass(frozen=True)
class Verdict:
    failures: tuple[Failure, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures

    def reasons(self) -> Counter[str]:
        return Counter(f.reason for f in self.failures)


# --------------------------------------------------------------------------- the check
_BOUND_KINDS = {"pair", "percent", "rank_change", "number"}


def verify(
    sentences: Sequence[GenSentence],
    sources: Sequence[Source],
    asked: Asked | None = None,
    agencies: AgencyFinder | None = None,
    *,
    instructions: str = "",
    min_support: float = 0.5,
) -> Verdict:
    """Check every sentence against its cited sources; an empty answer fails too.
    ``instructions``: the model's own prompt, which no sentence may repeat."""
    ctx = _Context(
        {s.number: Scanned.of(s.text, s.province, evidence=True) for s in sources},
        asked or Asked(),
        agencies,
        instruction_shingles(instructions),
        min_support,
    )
    if not sentences or not any(s.text.strip() for s in sentences):
        return Verdict((Failure("empty", 0, "no sentence"),))
    failures: list[Failure] = []
    for i, sent in enumerate(sentences):
        failures.extend(_check_sentence(i, sent, ctx))
    return Verdict(tuple(failures))


@dataclass
class _Context:
    texts: dict[int, Scanned]
    asked: Asked
    agencies: AgencyFinder | None
    instructions: frozenset[tuple[str, ...]]
    min_support: float
    agency_cache: dict[int, set[str]] = field(default_factory=dict)


def _check_sentence(i: int, sent: GenSentence, ctx: _Context) -> list[Failure]:
    if not sent.cites:
        return [Failure("no_citation", i, sent.text[:80])]
    unknown = [c for c in sent.cites if c not in ctx.texts]
    if unknown:
        return [Failure("unknown_citation", i, f"[{unknown[0]}]")]
    cited = [ctx.texts[c] for c in dict.fromkeys(sent.cites)]
    own = Scanned.of(CITE_MARK_RE.sub(" ", sent.text))
    out: list[Failure] = []
    for fig in own.scan.figures:
        reason = _check_figure(fig, own, cited, ctx.asked)
        if reason:
            out.append(Failure(reason, i, fig.raw))
    out.extend(_check_names(i, own, cited, ctx))
    out.extend(_check_words(i, own, cited, ctx))
    return out


def _check_words(i: int, own: Scanned, cited: list[Scanned], ctx: _Context) -> list[Failure]:
    out: list[Failure] = []
    leaked = (own.shingles & ctx.instructions) - set().union(*(t.shingles for t in cited))
    if leaked:
        out.append(Failure("instructions", i, " ".join(sorted(leaked)[0])))
    content = own.words - STOPWORDS
    if content:
        have = set().union(*(t.words for t in cited))
        share = len(content & have) / len(content)
        if share < ctx.min_support:
            out.append(Failure("unsupported", i, f"{share:.0%} of its words in the passages"))
    return out


def _check_figure(fig: Figure, own: Scanned, cited: list[Scanned], asked: Asked) -> str | None:
    if fig.kind == "year":
        return _check_year(fig, own, cited)
    occurrences = [(t, g) for t in cited for g in t.scan.figures if _same(fig, g)]
    if not occurrences:
        if fig.kind == "date" and any(_date_in(fig, t) for t in cited):
            return None
        if fig.kind == "pair":
            return pair_kind(fig)
        return "year" if fig.kind == "range" else fig.kind
    return _check_binding(fig, own, occurrences, asked)


def _check_year(fig: Figure, own: Scanned, cited: list[Scanned]) -> str | None:
    """A year must be in the passages; a year the sentence compares with must be one they compare with."""
    if any(a.pos == fig.start for a in own.anchors["since"]):
        since = {a.value for t in cited for a in t.anchors["since"]}
        return None if fig.raw in since else "year"
    years = {k for t in cited for k in t.values("year") | t.values("number")}
    dated = {("number", str(k[3])) for t in cited for k in t.values("date")}
    return None if fig.keys & (years | dated) else "year"


def _same(fig: Figure, other: Figure) -> bool:
    if fig.kind == "number":  # a bare number may be part of a larger figure in the passage
        return bool(fig.keys & other.keys) or (
            other.kind in ("pair", "percent") and any(("number", v) in fig.keys for k in other.keys for v in k[1:])
        )
    return fig.kind == other.kind and bool(fig.keys & other.keys)


def _date_in(fig: Figure, t: Scanned) -> bool:
    """``31/7/2023`` in a sentence, ``31/7`` in a passage that names 2023 elsewhere."""
    ((_, d, m, y),) = fig.keys
    return bool(t.values("pair") & pair_keys("pair", str(d), str(m))) and ("number", str(y)) in t.values("year")


def _check_binding(fig: Figure, own: Scanned, occurrences: list[tuple[Scanned, Figure]], asked: Asked) -> str | None:
    """The figure must be stated somewhere in the passages for the same index or field, role, province,
    year and comparison year; a document number with the same date."""
    claim = own.bind(fig)
    implicit = {"province": claim["province"] is None, "year": claim["year"] is None}
    asked_years: set[str] = set()
    if fig.kind in _BOUND_KINDS:
        if claim["province"] is None and asked.province:
            claim["province"] = fold_aligned(asked.province)
        asked_years = {str(y) for y in asked.years}
    else:  # identifiers: only what the sentence itself says about them
        claim = {"province": claim["province"], "link": claim["link"]}
    identifier = fig.kind in ("date", "doc_number")
    claim_years = own.years_near(fig)
    reasons: list[str] = []
    for t, g in occurrences:
        bad = _conflict(claim, t.bind(g), asked_years, implicit)
        if bad is None and claim_years:
            there = t.years_near(g, wide=not identifier)
            bad = "year" if there and not claim_years <= there else None
        if bad is None:
            return None
        reasons.append(fig.kind if bad == "link" else bad)
    return reasons[0]


def _conflict(
    claim: dict[str, str | None], where: dict[str, str | None], asked_years: set[str], implicit: dict[str, bool]
) -> str | None:
    for family in ("label", "role", "link"):
        if claim.get(family) and where[family] and claim[family] != where[family]:
            return "label" if family == "role" else family
    if claim.get("province") and where["province"] and claim["province"] != where["province"]:
        return "other_province" if implicit["province"] else "province"
    if where["year"] and "year" in claim:
        if claim["year"] and claim["year"] != where["year"]:
            return "year"
        if claim["year"] is None and asked_years and where["year"] not in asked_years:
            return "other_year"
    if claim.get("since") and where["since"] and claim["since"] != where["since"]:
        return "year"
    return None


def _check_names(i: int, own: Scanned, cited: list[Scanned], ctx: _Context) -> list[Failure]:
    out: list[Failure] = []
    have = {a.value for t in cited for a in t.anchors["province"]} | {t.default_province for t in cited}
    seen: set[str] = set()
    for a in own.anchors["province"]:
        if a.value not in have and a.value not in seen:
            seen.add(a.value)
            out.append(Failure("province", i, own.text[a.pos : a.pos + len(a.value)]))
    if ctx.agencies is not None:
        mine = set(ctx.agencies(own.text))
        theirs: set[str] = set()
        for t in cited:
            if id(t) not in ctx.agency_cache:
                ctx.agency_cache[id(t)] = set(ctx.agencies(t.text))
            theirs |= ctx.agency_cache[id(t)]
        out.extend(Failure("agency", i, a) for a in sorted(mine - theirs))
    return out


def asked_of(question: str, home_province: str | None = None) -> Asked:
    """Province and years a question asks about (comparison years excluded); the home province
    when it names none."""
    q = fold_aligned(nfc(question))
    provinces = [m.group(0) for m in PROVINCE_RE.finditer(q)]
    compare = comparison_spans(q)
    years = {
        int(m.group(0))
        for m in re.finditer(r"(?<!\d)(?:19|20)\d\d(?!\d)", q)
        if not any(s <= m.start() < e for s, e in compare)
    }
    province = provinces[0] if len(provinces) == 1 else (None if provinces else home_province)
    return Asked(province, frozenset(years))
