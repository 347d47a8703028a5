"""The leaders' summary of index results (``/diem``, ``cchc summary``): rank, change, weakest fields,
why points were lost and who is responsible, targets, each number with its source; an optional chart."""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from core.indices import (
    INDEX_ALIASES,
    INDEX_CODES,
    INDEX_LABELS,
    resolve_index,
)
from core.text import fmt_number, fold, nfc, province_key, squash_ws
from knowledge.scores.query import document_titles, pick_result
from knowledge.store.db import Database
from knowledge.store.score_models import IndexResult, ScoreTarget

logger = logging.getLogger(__name__)


def _change(c: int | None, prev_year: int | None = None) -> str:
    if c is None:
        return ""
    since = f" so với {prev_year}" if prev_year else ""
    if c == 0:
        return f"giữ nguyên{since}"
    return f"▲ tăng {c} bậc{since}" if c > 0 else f"▼ giảm {-c} bậc{since}"


def _short_section(section: str) -> str:
    parts = [p.strip() for p in section.split(" > ") if re.search(r"\w", p)]
    return " > ".join(parts[-2:]) if parts else "phần mở đầu"


def _clip(text: str, n: int) -> str:
    text = squash_ws(text)
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


@dataclass
class ScoreSummary:
    text: str
    chart_png: bytes | None = None
    province: str | None = None
    year: int | None = None
    index: str | None = None
    found: bool = True
    sources: list[dict[str, str]] = field(default_factory=list)
    took_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"province": self.province, "year": self.year, "index": self.index, "found": self.found,
                "text": self.text, "sources": self.sources, "took_ms": round(self.took_ms, 1)}


class _Cites:
    """Numbered sources: each number is one (document, section); documents are lettered once."""

    def __init__(self, titles: dict[int, str]) -> None:
        self.titles = titles
        self.keys: list[tuple[str, str]] = []
        self.docs: dict[str, str] = {}

    def ref(self, r: IndexResult | ScoreTarget) -> str:
        key = (r.source, r.section)
        if key not in self.keys:
            self.keys.append(key)
            if r.source not in self.docs:
                self.docs[r.source] = self.titles.get(r.document_id or -1, "") if r.document_id else "bảng số liệu nhập"
        return f"[{self.keys.index(key) + 1}]"

    def lines(self) -> list[str]:
        letters = {src: chr(ord("A") + i) for i, src in enumerate(self.docs)}
        out = [f"{letters[src]}: {title} ({src})" for src, title in self.docs.items()]
        out += [f"[{i}] {letters[k[0]]}, mục {_short_section(k[1])}" for i, k in enumerate(self.keys, 1)]
        return out

    def as_list(self) -> list[dict[str, str]]:
        return [{"ref": str(i), "source": k[0], "document": self.docs[k[0]], "section": k[1]}
                for i, k in enumerate(self.keys, 1)]


def _parse_args(args: str, provinces: list[str]) -> tuple[int | None, str | None, str | None, str | None, list[str]]:
    """(year, index code, province, bad_year_text, leftover words) from '/diem' arguments."""
    low = fold(nfc(args or "")).strip()
    year = None
    bad_year = None
    for m in re.finditer(r"\d+", low):
        if len(m.group(0)) == 4 and 1990 <= int(m.group(0)) <= 2100:
            year = int(m.group(0))
        else:
            bad_year = m.group(0)
    low = re.sub(r"\d+", " ", low)
    code = None
    for alias in sorted(INDEX_ALIASES, key=len, reverse=True):
        m2 = re.search(rf"(?<![a-z]){re.escape(alias)}(?![a-z])", low)
        if m2:
            code = INDEX_ALIASES[alias]
            low = low[: m2.start()] + " " + low[m2.end() :]
            break
    prov = None
    for p in sorted(provinces, key=len, reverse=True):
        pk = province_key(p)
        if pk and re.search(rf"(?<![a-z]){re.escape(pk)}(?![a-z])", low):
            prov = p
            low = low.replace(pk, " ")
            break
    left = [w for w in re.findall(r"[a-z]+", low) if w not in {"tinh", "nam", "chi", "so", "cua", "thanh", "pho", "diem"}]
    return year, code, prov, bad_year, left


def _availability(rows: list[IndexResult]) -> str:
    by: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        by[r.province].add(r.year)
    if not by:
        return "Chưa có kết quả chỉ số nào. Hãy nạp tài liệu (cchc ingest) hoặc nhập bảng (cchc scores import)."
    parts = [f"{p}: {', '.join(str(y) for y in sorted(ys))}" for p, ys in sorted(by.items())]
    return "Dữ liệu chỉ số hiện có — " + "; ".join(parts) + "."


def summarize(  # long: argument parsing and the refusal texts of /diem in the order a leader reads them
    db: Database,
    *,
    args: str = "",
    year: int | None = None,
    province: str | None = None,
    index: str | None = None,
    home_province: str = "Hưng Yên",
    chart: bool = True,
) -> ScoreSummary:
    """The leader's summary of index results for one province and year (``/diem`` arguments accepted)."""
    t0 = time.perf_counter()
    with db.session() as s:
        rows = list(s.scalars(select(IndexResult)))
        tgts = list(s.scalars(select(ScoreTarget)))
        titles = document_titles(s, {r.document_id for r in rows if r.document_id} | {t.document_id for t in tgts if t.document_id})
        provinces = sorted({r.province for r in rows} | {t.province for t in tgts})
        a_year, a_code, a_prov, bad_year, left = _parse_args(args, provinces)
        year = year if year is not None else a_year
        code = resolve_index(index) if index else a_code
        if index and code is None:
            return _done(ScoreSummary(f"Không nhận ra chỉ số '{index}'. Các chỉ số: "
                                      f"{', '.join(INDEX_LABELS.values())}.", found=False), t0)
        prov_in = province or a_prov
        if bad_year:
            return _done(ScoreSummary(f"Năm '{bad_year}' không hợp lệ. {_availability(rows)}", found=False), t0)
        if province is None and a_prov is None and left:
            return _done(ScoreSummary(f"Không có kết quả chỉ số cho '{' '.join(left)}'. {_availability(rows)}",
                                      found=False), t0)
        prov = prov_in or home_province
        prow = [r for r in rows if province_key(r.province) == province_key(prov)]
        if not prow:
            return _done(ScoreSummary(f"Không có kết quả chỉ số của tỉnh {prov}. {_availability(rows)}",
                                      province=prov, found=False), t0)
        prov = prow[0].province
        if code:
            prow_i = [r for r in prow if r.index_name == code]
            if not prow_i:
                have = sorted({INDEX_LABELS[r.index_name] for r in prow})
                return _done(ScoreSummary(f"Chưa có kết quả {INDEX_LABELS[code]} của tỉnh {prov}. "
                                          f"Các chỉ số có dữ liệu: {', '.join(have)}. {_availability(rows)}",
                                          province=prov, found=False), t0)
            prow = prow_i
        direct_years = sorted({r.year for r in prow if not r.derived})
        all_years = sorted({r.year for r in prow})
        if year is None:
            year = direct_years[-1] if direct_years else all_years[-1]
        if year not in all_years:
            return _done(ScoreSummary(f"Không có kết quả chỉ số năm {year} của tỉnh {prov}. {_availability(rows)}",
                                      province=prov, year=year, found=False), t0)
        cites = _Cites(titles)
        text = _compose_summary(prov, year, code, prow, [t for t in tgts if province_key(t.province) == province_key(prov)
                                                         and (code is None or t.index_name == code)],
                                home_province, cites)
        png = None
        if chart:
            from knowledge.scores.chart import render_chart

            png = render_chart(prov, year, _trend(prow), _fields_lost(prow, year))
        out = ScoreSummary(text, png, prov, year, code, True, cites.as_list())
    return _done(out, t0)


def _done(s: ScoreSummary, t0: float) -> ScoreSummary:
    s.took_ms = (time.perf_counter() - t0) * 1000
    return s


def _compose_summary(  # noqa: C901 - long: the summary text section by section, in the order it is shown
    prov: str, year: int, code: str | None, rows: list[IndexResult], tgts: list[ScoreTarget], home: str, cites: _Cites
) -> str:
    lines: list[str] = []
    head = f"📊 KẾT QUẢ CHỈ SỐ — TỈNH {prov.upper()} — NĂM {year}"
    lines.append(head)
    if province_key(prov) != province_key(home):
        lines.append(f"⚠ Số liệu của tỉnh {prov}, không phải tỉnh {home}.")
    codes = [code] if code else list(INDEX_CODES)
    missing = []
    for c in codes:
        cand = [r for r in rows if r.index_name == c and r.year == year and r.scope == "overall"]
        if not cand:
            missing.append(INDEX_LABELS[c])
            continue
        lines.append(_result_phrase(pick_result(cand), cites))
    if missing:
        lines.append(f"• {', '.join(missing)}: chưa có kết quả năm {year} trong dữ liệu.")
    # detailed fields (most points lost first) and SIPAS components
    flds = [r for r in rows if r.year == year and r.scope == "field" and not r.derived]
    if flds:
        lines.append("")
        lines.append(f"🔎 {INDEX_LABELS[flds[0].index_name]} {year} theo lĩnh vực (mất nhiều điểm nhất trước):")
        by_field: dict[str, IndexResult] = {}
        for r in flds:
            by_field.setdefault(r.field or "", pick_result([x for x in flds if x.field == r.field]))
        ordered = sorted(by_field.values(), key=lambda r: -((r.max_score or 0) - (r.score or 0)))
        for n, r in enumerate(ordered, 1):
            lines.extend(_field_lines(n, r, cites))
    comps = [r for r in rows if r.year == year and r.scope == "component" and not r.derived]
    if comps:
        uniq = {r.field: pick_result([x for x in comps if x.field == r.field]) for r in comps}
        ordered_c = sorted(uniq.values(), key=lambda r: -((r.max_score or 0) - (r.score or 0)))
        lines.append("")
        lines.append(f"🔎 Thành phần SIPAS {year} (mất nhiều điểm nhất trước):")
        for r in ordered_c:
            rank = f", hạng {r.rank}/{r.rank_of}" if r.rank else ""
            lost = round((r.max_score or 0) - (r.score or 0), 3)
            lines.append(f"• {r.field}: {fmt_number(r.score)}/{fmt_number(r.max_score)} điểm (mất {fmt_number(lost)}){rank} {cites.ref(r)}")
    # trend
    trend = _trend(rows)
    if any(len(v) > 1 for v in trend.values()):
        ys = sorted({y for v in trend.values() for y, _r, _d, _row in v})
        lines.append("")
        lines.append(f"📈 Diễn biến thứ hạng ({ys[0]}–{ys[-1]}):")
        any_derived = False
        for label, pts in trend.items():
            if len(pts) < 2:
                continue
            segs = []
            for y, rnk, der, _row in pts:
                any_derived |= der
                segs.append(f"{y}: {rnk}{'*' if der else ''}")
            refs = "".join(sorted({cites.ref(p[3]) for p in pts}))
            lines.append(f"• {label}: {' → '.join(segs)} {refs}")
        if any_derived:
            lines.append("(* suy ra từ mức tăng/giảm bậc nêu trong tài liệu)")
    # targets
    if tgts:
        lines.append("")
        lines.append("🎯 Mục tiêu:")
        lines.extend(_target_lines(tgts, rows, cites))
    lines.append("")
    lines.append("Nguồn:")
    lines.extend(cites.lines())
    return "\n".join(lines)


def _result_phrase(r: IndexResult, cites: _Cites) -> str:
    bits = []
    if r.rank is not None:
        bits.append(f"hạng {r.rank}/{r.rank_of}")
    if r.rank_change is not None:
        bits.append(_change(r.rank_change, r.year - 1))
    if r.score is not None:
        bits.append(f"{fmt_number(r.score)}/{fmt_number(r.max_score)} điểm")
    if r.derived:
        bits.append("suy ra từ thay đổi thứ hạng năm sau")
    line = f"• {INDEX_LABELS[r.index_name]}: {', '.join(bits)} {cites.ref(r)}"
    if r.conflict:
        line += "\n   ⚠ Các nguồn nêu số liệu khác nhau; xem: cchc scores"
    return line


def _field_lines(n: int, r: IndexResult, cites: _Cites) -> list[str]:
    lost = (r.max_score or 0) - (r.score or 0)
    bits = [f"{fmt_number(r.score)}/{fmt_number(r.max_score)} điểm (mất {fmt_number(round(lost, 3))})"]
    if r.rank is not None:
        bits.append(f"hạng {r.rank}/{r.rank_of}")
    if r.rank_change is not None:
        bits.append(_change(r.rank_change).replace(" bậc", ""))
    out = [f"{n}. {r.field}: {', '.join(bits)} {cites.ref(r)}"]
    top = [d for d in r.deductions if d.level == 0]
    top.sort(key=lambda d: -(d.amount or 0))
    for d in top[:3]:
        amt = f"−{fmt_number(d.amount)}" if d.amount is not None else "−?"
        out.append(f"   {amt}: {_clip(d.reason, 90)}")
    agencies: list[str] = []
    for d in r.deductions:
        if d.agency and d.agency not in agencies:
            agencies.append(d.agency)
    if agencies:
        out.append(f"   Trách nhiệm: {'; '.join(agencies)}")
    elif r.deductions:
        out.append("   Trách nhiệm: tài liệu không nêu cơ quan")
    return out


def _trend(rows: list[IndexResult]) -> dict[str, list[tuple[int, int, bool, IndexResult]]]:
    out: dict[str, list[tuple[int, int, bool, IndexResult]]] = {}
    for c in INDEX_CODES:
        pts = []
        for y in sorted({r.year for r in rows if r.index_name == c and r.scope == "overall" and r.rank is not None}):
            cand = [r for r in rows if r.index_name == c and r.scope == "overall" and r.year == y and r.rank is not None]
            p = pick_result(cand)
            assert p.rank is not None
            pts.append((y, p.rank, p.derived, p))
        if pts:
            out[INDEX_LABELS[c]] = pts
    return out


def _fields_lost(rows: list[IndexResult], year: int) -> list[tuple[str, float]]:
    seen: dict[str, float] = {}
    for r in rows:
        if r.year == year and r.scope == "field" and not r.derived and r.score is not None and r.max_score is not None:
            seen.setdefault(r.field or "", round(r.max_score - r.score, 3))
    return sorted(seen.items(), key=lambda kv: -kv[1])


def _target_lines(tgts: list[ScoreTarget], rows: list[IndexResult], cites: _Cites) -> list[str]:
    groups: dict[tuple[Any, ...], list[ScoreTarget]] = defaultdict(list)
    for t in tgts:
        groups[(t.kind, t.value_min, t.value_max, t.year_from, t.year_to, t.base_year, t.source, t.quote_start)].append(t)
    out = []
    for (kind, vmin, vmax, yf, yt, base, _src, _q), ts in groups.items():
        names = ", ".join(INDEX_LABELS[t.index_name] for t in ts)
        when = f"Năm {yf}" if yf and yf == yt else (f"Giai đoạn {yf}–{yt}" if yf else "")
        if kind == "top":
            goal = f"nằm trong nhóm {vmax} địa phương dẫn đầu"
        elif kind == "rank_up":
            goal = f"tăng từ {vmin} đến {vmax} bậc so với năm {base}" if base else f"tăng từ {vmin} đến {vmax} bậc"
        else:
            goal = f"có điểm cao hơn năm {base}"
        out.append(f"• {when + ': ' if when else ''}{names} {goal} {cites.ref(ts[0])}")
        checks = [_target_check(t, rows, cites) for t in ts]
        out.append("   → " + "; ".join(checks) + ".")
    return out


def _target_check(t: ScoreTarget, rows: list[IndexResult], cites: _Cites) -> str:
    """How the latest result compares with a target (✓ met, ✗ not met)."""
    label = INDEX_LABELS[t.index_name]
    direct = [r for r in rows if r.index_name == t.index_name and r.scope == "overall" and not r.derived
              and r.rank is not None]
    if not direct:
        return f"{label}: chưa có kết quả"
    latest = pick_result([r for r in direct if r.year == max(x.year for x in direct)])
    assert latest.rank is not None
    in_period = t.year_from is None or (t.year_from <= latest.year <= (t.year_to or t.year_from))
    lead = f"{label} {latest.rank}/{latest.rank_of} ({latest.year}{'' if in_period else ', gần nhất'}) {cites.ref(latest)}"
    if t.kind == "top" and t.value_max:
        return f"{lead} {'✓ đạt' if latest.rank <= t.value_max else '✗ chưa đạt'}"
    if t.kind == "rank_up" and latest.rank_change is not None and in_period:
        ok = (t.value_min or 0) <= latest.rank_change
        return f"{lead}, {_change(latest.rank_change)} {'✓ đạt' if ok else '✗ chưa đạt'}"
    if t.kind == "score_up":
        return f"{label}: chưa có điểm số để so sánh"
    return lead
