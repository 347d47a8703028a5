"""The indices the product knows (PAR INDEX, SIPAS, PAPI, PCI, ICT INDEX), one :class:`IndexSpec` each.

Everything else (extraction patterns, import validation, summaries, chart colours, glossary of
names, CLI help) reads this registry, so a new index such as DTI is one more ``IndexSpec`` in
:data:`INDICES`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from core.text import fold, nfc

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldSpec:
    """A field (PAR INDEX) or component (SIPAS) with its maximum points and folded keys to find it."""

    name: str
    max_score: float
    keys: tuple[str, ...]


@dataclass(frozen=True)
class IndexSpec:
    code: str  # stored in the database: PAR | SIPAS | ...
    label: str  # shown to users
    pattern: str  # regex of the written forms in documents (NFC, matched case-insensitively)
    aliases: tuple[str, ...]  # folded forms a user may type (``/diem papi``, ``chi so cchc``)
    color: str = "#333333"
    overall_max: float | None = None  # default maximum of the overall score
    fields: tuple[FieldSpec, ...] = ()
    field_scope: str = "field"  # "field" (PAR INDEX) or "component" (SIPAS)


PAR_FIELDS = (
    FieldSpec("Công tác chỉ đạo, điều hành CCHC", 9.5, ("chi dao, dieu hanh", "chi dao dieu hanh")),
    FieldSpec("Cải cách thể chế", 10.0, ("cai cach the che",)),
    FieldSpec("Cải cách thủ tục hành chính", 13.0, ("cai cach thu tuc hanh chinh",)),
    FieldSpec("Cải cách tổ chức bộ máy hành chính nhà nước", 10.5, ("cai cach to chuc bo may",)),
    FieldSpec("Cải cách chế độ công vụ", 15.0, ("che do cong vu",)),
    FieldSpec("Cải cách tài chính công", 12.0, ("cai cach tai chinh cong",)),
    FieldSpec("Xây dựng và phát triển chính quyền điện tử, chính quyền số", 13.5, ("chinh quyen dien tu",)),
    FieldSpec("Tác động của CCHC đến phát triển kinh tế - xã hội", 6.5, ("tac dong cua cchc", "tac dong cua cai cach")),
)
SIPAS_COMPONENTS = (
    FieldSpec("Tiếp cận dịch vụ", 1.5, ("tiep can dich vu",)),
    FieldSpec("Tổ chức giải quyết TTHC", 1.5, ("to chuc giai quyet",)),
    FieldSpec("Công chức giải quyết TTHC", 2.5, ("cong chuc giai quyet",)),
    FieldSpec("Kết quả giải quyết TTHC", 2.5, ("ket qua giai quyet",)),
    FieldSpec("Tiếp nhận, xử lý phản ánh, kiến nghị", 2.0, ("phan anh, kien nghi", "phan anh kien nghi")),
)

INDICES: dict[str, IndexSpec] = {
    s.code: s
    for s in (
        IndexSpec(
            "PAR", "PAR INDEX",
            r"(?:Chỉ\s+số\s+)?(?:\(\s*)?PAR\s*-?\s*INDEX|Chỉ\s+số\s+(?:cải\s+cách\s+hành\s+chính|CCHC)"
            r"(?!\s+(?:của\s+)?(?:các\s+)?(?:sở|huyện|xã|cơ\s+quan))",
            ("par index", "parindex", "par", "chi so cchc", "chi so cai cach hanh chinh", "cchc"),
            color="#1f77b4", overall_max=100.0, fields=PAR_FIELDS,
        ),
        IndexSpec(
            "SIPAS", "SIPAS",
            r"(?:Chỉ\s+số\s+)?\bSIPAS\b|Chỉ\s+số\s+(?:đo\s+lường\s+)?(?:sự\s+)?hài\s+lòng",
            ("sipas", "chi so hai long", "hai long"),
            color="#2ca02c", overall_max=10.0, fields=SIPAS_COMPONENTS, field_scope="component",
        ),
        IndexSpec(
            "PAPI", "PAPI",
            r"(?:Chỉ\s+số\s+)?\bPAPI\b|Chỉ\s+số\s+hiệu\s+quả\s+quản\s+trị\s+và\s+hành\s+chính\s+công",
            ("papi", "chi so hieu qua quan tri va hanh chinh cong"),
            color="#d62728",
        ),
        IndexSpec(
            "PCI", "PCI",
            r"(?:Chỉ\s+số\s+)?\bPCI\b|Chỉ\s+số\s+(?:nâng\s+cao\s+)?năng\s+lực\s+cạnh\s+tranh",
            ("pci", "chi so nang luc canh tranh", "nang luc canh tranh"),
            color="#9467bd",
        ),
        IndexSpec(
            "ICT", "ICT INDEX",
            r"(?:Chỉ\s+số\s+)?ICT\s*-?\s*INDEX|Chỉ\s+số\s+sẵn\s+sàng\s+cho\s+phát\s+triển\s+và\s+ứng\s+dụng",
            ("ict index", "ict", "chi so san sang cho phat trien va ung dung"),
            color="#ff7f0e",
        ),
    )
}

# Derived views of the registry (kept as names because many modules read them).
INDEX_CODES: tuple[str, ...] = tuple(INDICES)
INDEX_LABELS: dict[str, str] = {c: s.label for c, s in INDICES.items()}
INDEX_ALIASES: dict[str, str] = {a: c for c, s in INDICES.items() for a in s.aliases}
OVERALL_MAX: dict[str, float] = {c: s.overall_max for c, s in INDICES.items() if s.overall_max is not None}
COLORS: dict[str, str] = {s.label: s.color for s in INDICES.values()}
INDEX_RE = re.compile("|".join(f"(?P<{c}>{s.pattern})" for c, s in INDICES.items()), re.IGNORECASE)


def index_of_match(m: re.Match[str]) -> str:
    """The index code of an :data:`INDEX_RE` match."""
    return next(k for k in INDEX_CODES if m.group(k))


def resolve_index(name: str) -> str | None:
    """'PAR INDEX', 'chỉ số cchc', 'papi' ... -> code; None when unknown."""
    key = re.sub(r"[\s_-]+", " ", fold(nfc(name)).strip())
    if key.upper() in INDEX_CODES:
        return key.upper()
    return INDEX_ALIASES.get(key)


def fields_of(code: str | None) -> tuple[FieldSpec, ...]:
    spec = INDICES.get(code or "")
    return spec.fields if spec else ()


def match_field(text: str, table: tuple[FieldSpec, ...]) -> tuple[int, str, float, int] | None:
    """The field (order, name, max, position in ``text``) named last in ``text``, if any."""
    low = fold(text)
    best: tuple[int, int, str, float] | None = None
    for i, f in enumerate(table):
        for k in f.keys:
            pos = low.rfind(k)
            if pos >= 0 and (best is None or pos > best[0]):
                best = (pos, i, f.name, f.max_score)
    return (best[1] + 1, best[2], best[3], best[0]) if best else None
