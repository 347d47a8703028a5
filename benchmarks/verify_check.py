"""How well the generated-answer check (knowledge.answers.verify) tells faithful answers from wrong ones.

Good answers are built from the corpus passages the questions are about: each is a passage sentence
that states figures, re-worded the way a model writes (a lead-in, decimal dots, dropped leading
zeros, days without zero), cited to its passage, and asked with the question's province and years.
The questions come from ``tests/data/qa_public.jsonl`` when it exists, else ``../shared/eval/dev_qa.jsonl``;
every other figure sentence of the corpus is asked as a question about its own document's province.
Each good answer is then perturbed in the ways a model errs: a number changed, ranks swapped
between two indices or fields, a date shifted, a year or a province swapped (or another province's
figure given for the one asked), a document number altered.

Prints (and with --json emits) the catch rate on perturbed answers (target 100%), the false
rejection rate on the good ones (target <= 5%) and the check's time per answer (target <= 5 ms).

    .venv/bin/python benchmarks/verify_check.py [--corpus data/corpus] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.text import fold, nfc, split_sentences  # noqa: E402
from ingest.metadata import PROVINCES  # noqa: E402
from ingest.pipeline import expand_sources, parse_file  # noqa: E402
from knowledge.answers.figures import number_values, scan_figures  # noqa: E402
from knowledge.answers.generate import SYSTEM_PROMPT  # noqa: E402
from knowledge.answers.verify import Asked, GenSentence, Source, Verdict, asked_of, verify  # noqa: E402

LEADS = ("", "Theo văn bản, ", "Cụ thể, ", "Kết quả cho thấy ")
FIGURE_KINDS = {"pair", "percent", "rank_change", "number", "date", "doc_number"}


@dataclass
class Case:
    question: str
    asked: Asked
    sources: list[Source]
    sentence: str  # the good sentence, cited to sources[0]


def load_passages(corpus: Path) -> list[tuple[Source, str]]:
    """(source, document province folded key) for every passage of the corpus."""
    out = []
    for path, _key in expand_sources([corpus]):
        doc = parse_file(path, max_bytes=50 << 20)
        for ch in doc.chunks:
            body = doc.text[ch.start : ch.end]
            text = f"{doc.meta.display()}\n{ch.section_path}\n{body}"
            out.append((Source(1, nfc(text), doc.meta.province), path.name))
    return out


def figure_sentences(source: Source) -> list[str]:
    body = source.text.split("\n", 2)[-1]
    out = []
    for sp in split_sentences(body):
        s = re.sub(r"\s+", " ", body[sp.start : sp.end]).strip(" -+•")
        if 30 <= len(s) <= 400 and any(f.kind in FIGURE_KINDS for f in scan_figures(s).figures):
            out.append(s)
    return out


def reword(sentence: str, rng: random.Random, province: str | None) -> str:
    """The same facts as a model may write them: one clause of a long sentence, the year moved to
    the end, the province named, a lead-in, decimal dots, dropped leading zeros."""
    clauses = [c for c in re.split(r";\s+", sentence) if any(f.kind in FIGURE_KINDS for f in scan_figures(c).figures)]
    if len(clauses) > 1 and rng.random() < 0.5:
        sentence = rng.choice(clauses).strip()
    m = re.match(r"(Năm \d{4}),\s+(.+)$", sentence)
    if m and rng.random() < 0.5:
        sentence = f"{m.group(2)[0].upper()}{m.group(2)[1:].rstrip('.;:,')} trong {m.group(1).lower()}"
    if province and rng.random() < 0.25 and fold(province) not in fold(sentence):
        sentence = f"Tại tỉnh {province}, {sentence[0].lower()}{sentence[1:]}"
    lower = rng.random() < 0.5 and sentence[:1].isupper() and not sentence[:2].isupper()
    s = rng.choice(LEADS) + (sentence[0].lower() + sentence[1:] if lower else sentence)
    if rng.random() < 0.4:
        s = re.sub(r"(?<![\d.,/])0(\d)(?!\d)", r"\1", s)  # 03 bậc -> 3 bậc, 05/8 -> 5/8
    if rng.random() < 0.3:
        s = re.sub(r"(?<=\d),(?=\d{1,2}(?!\d))", ".", s)  # 83,52 -> 83.52
    return s.rstrip(".;:,") + "."


def load_cases(corpus: Path, questions: Path, rng: random.Random) -> list[Case]:
    passages = load_passages(corpus)
    cases: list[Case] = []
    used: set[str] = set()
    qs = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    for q in qs:
        gold = fold(q.get("gold", ""))[:60]
        hits = [s for s, name in passages if name == q.get("source") and gold and gold in fold(s.text)]
        for src in hits[:2]:
            others = [s for s, name in passages if name == q.get("source") and s is not src][:2]
            for sent in figure_sentences(src)[:4]:
                home = src.province or "Hưng Yên"
                cases.append(Case(q["q"], asked_of(q["q"], home), [src, *_renumber(others)], reword(sent, rng, src.province)))
                used.add(sent)
    for src, _name in passages:
        for sent in figure_sentences(src):
            if sent not in used:
                cases.append(Case("", Asked(src.province, frozenset()), [src], reword(sent, rng, src.province)))
    return cases


def _renumber(sources: list[Source]) -> list[Source]:
    return [Source(i + 2, s.text, s.province) for i, s in enumerate(sources)]


# --------------------------------------------------------------------------- perturbations
def _replace(s: str, start: int, end: int, new: str) -> str:
    return s[:start] + new + s[end:]


def _fresh_number(raw: str, haystack: str, rng: random.Random) -> str | None:
    """``raw`` with one digit changed, to a value the passage does not hold at all."""
    have = {v for f in scan_figures(haystack).figures for k in f.keys for v in k[1:] if isinstance(v, str)}
    digits = [i for i, c in enumerate(raw) if c.isdigit()]
    for _ in range(20):
        i = rng.choice(digits)
        new = raw[:i] + str((int(raw[i]) + rng.randint(1, 8)) % 10) + raw[i + 1 :]
        if not (number_values(new) & have) and not new.startswith("0"):
            return new
    return None


def p_number(case: Case, rng: random.Random) -> str | None:
    figs = [f for f in scan_figures(case.sentence).figures if f.kind in ("number", "percent", "pair", "rank_change")]
    if not figs:
        return None
    f = rng.choice(figs)
    m = list(re.finditer(r"\d+(?:[.,]\d+)*", case.sentence[f.start : f.end]))
    tok = rng.choice(m)
    new = _fresh_number(tok.group(0), case.sources[0].text, rng)
    return None if new is None else _replace(case.sentence, f.start + tok.start(), f.start + tok.end(), new)


def p_rank_swap(case: Case, rng: random.Random) -> str | None:
    """Two ranks or scores of different indices or fields exchanged."""
    pairs = [f for f in scan_figures(case.sentence).figures if f.kind == "pair" and not (f.keys & _years_pairs())]
    for a in pairs:
        for b in pairs:
            if a.start < b.start and not (a.keys & b.keys):
                s = case.sentence
                return s[: a.start] + b.raw + s[a.end : b.start] + a.raw + s[b.end :]
    return None


def _years_pairs() -> frozenset[tuple[object, ...]]:
    return frozenset()


def p_date(case: Case, rng: random.Random) -> str | None:
    figs = [f for f in scan_figures(case.sentence).figures if f.kind == "date"]
    if not figs:
        return None
    f = rng.choice(figs)
    m = re.match(r"(\D*?)(\d{1,2})", f.raw)
    if not m:
        return None
    day = int(m.group(2))
    new_day = day + rng.randint(1, 3) if day <= 25 else day - rng.randint(1, 3)
    return _replace(case.sentence, f.start + m.start(2), f.start + m.end(2), str(new_day))


def p_year(case: Case, rng: random.Random) -> str | None:
    figs = [f for f in scan_figures(case.sentence).figures if f.kind == "year"]
    if not figs:
        return None
    f = rng.choice(figs)
    return _replace(case.sentence, f.start, f.end, str(int(f.raw) + rng.choice((-2, -1, 1, 2))))


def p_province(case: Case, rng: random.Random) -> str | None:
    """A province name swapped; or, in a sentence naming none, another province named as its subject."""
    folded = fold(case.sentence)
    for p in sorted(PROVINCES, key=len, reverse=True):
        m = re.search(rf"(?<!\w){re.escape(fold(p))}(?!\w)", folded)
        if m:
            other = rng.choice([x for x in ("Hưng Yên", "Hải Dương", "Thái Bình", "Bắc Ninh") if fold(x) != fold(p)])
            return _replace(case.sentence, m.start(), m.end(), other)
    other = rng.choice([x for x in ("Hải Dương", "Bắc Ninh", "Thái Bình") if fold(x) != fold(case.sources[0].province or "")])
    return f"Tại tỉnh {other}, {case.sentence[0].lower()}{case.sentence[1:]}"


def p_doc_number(case: Case, rng: random.Random) -> str | None:
    figs = [f for f in scan_figures(case.sentence).figures if f.kind == "doc_number"]
    if not figs:
        return None
    f = rng.choice(figs)
    if rng.random() < 0.5:
        m = re.match(r"\d+", f.raw)
        assert m is not None
        new = str(int(m.group(0)) + rng.randint(1, 9)) + f.raw[m.end() :]
    else:
        new = re.sub(r"/([A-ZĐ]+)", lambda m: "/" + {"BC": "KH", "KH": "BC", "QĐ": "NQ", "NQ": "QĐ"}.get(m.group(1), "CV"), f.raw, count=1)
    return _replace(case.sentence, f.start, f.end, new)


PERTURB: dict[str, Callable[[Case, random.Random], str | None]] = {
    "number_changed": p_number,
    "ranks_swapped": p_rank_swap,
    "date_shifted": p_date,
    "year_swapped": p_year,
    "province_swapped": p_province,
    "doc_number_altered": p_doc_number,
}


def check(case: Case, sentence: str) -> tuple[Verdict, float]:
    t = time.perf_counter()
    v = verify([GenSentence(sentence, (1,))], case.sources, case.asked, instructions=SYSTEM_PROMPT)
    return v, (time.perf_counter() - t) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    ap.add_argument("--questions", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--show", type=int, default=0, help="print up to N misses of each kind")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    qpath = args.questions or next(
        (p for p in (ROOT / "tests" / "data" / "qa_public.jsonl", ROOT.parent / "shared" / "eval" / "dev_qa.jsonl",
                     Path("/work/shared/eval/dev_qa.jsonl")) if p.exists()), None)
    if qpath is None:
        sys.exit("no question set: pass --questions")
    cases = load_cases(args.corpus, qpath, rng)
    times: list[float] = []
    good_rejected: Counter[str] = Counter()
    n_good = 0
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    misses: list[tuple[str, str, str]] = []
    for case in cases:
        v, ms = check(case, case.sentence)
        times.append(ms)
        n_good += 1
        if not v.ok:
            good_rejected.update(v.reasons())
            misses.append(("false_rejection", case.sentence, str(dict(v.reasons()))))
            continue  # a perturbation of a rejected answer proves nothing
        for kind, fn in PERTURB.items():
            bad = fn(case, rng)
            if bad is None or bad == case.sentence:
                continue
            v2, ms2 = check(case, bad)
            times.append(ms2)
            total[kind] += 1
            if v2.ok:
                misses.append((kind, bad, case.sentence))
            else:
                caught[kind] += 1
                reasons.update(v2.reasons())
    n_bad = sum(total.values())
    fr = sum(1 for m in misses if m[0] == "false_rejection")
    result = {
        "good_answers": n_good,
        "perturbed_answers": n_bad,
        "catch_rate": round(sum(caught.values()) / max(1, n_bad), 4),
        "false_rejection_rate": round(fr / max(1, n_good), 4),
        "ms_per_answer_mean": round(statistics.mean(times), 3),
        "ms_per_answer_p95": round(sorted(times)[int(0.95 * (len(times) - 1))], 3),
        "by_perturbation": {k: f"{caught[k]}/{total[k]}" for k in PERTURB},
        "failure_reasons": dict(reasons.most_common()),
        "false_rejection_reasons": dict(good_rejected.most_common()),
        "questions": str(qpath),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for k, v in result.items():
            print(f"{k:26} {v}")
    shown: Counter[str] = Counter()
    for kind, a, b in misses:
        if shown[kind] < args.show:
            shown[kind] += 1
            print(f"MISS {kind}: {a}\n     was: {b}", file=sys.stderr)


if __name__ == "__main__":
    main()
