"""Document metadata from the header and signature blocks, overridable by a sidecar file.

Sidecar: ``NAME.meta.yaml`` beside ``NAME.txt`` (or ``NAME.txt.meta.yaml``) with any of the keys
of :class:`DocMeta`. Values found in the sidecar win over what the text says.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from core.errors import IngestError
from core.text import fold, nfc
from ingest.signature import parse_signature

logger = logging.getLogger(__name__)

DOC_TYPES = {
    "THÔNG BÁO": "Thông báo",
    "KẾ HOẠCH": "Kế hoạch",
    "KẾT LUẬN": "Kết luận",
    "BÁO CÁO": "Báo cáo",
    "QUYẾT ĐỊNH": "Quyết định",
    "CHỈ THỊ": "Chỉ thị",
    "NGHỊ QUYẾT": "Nghị quyết",
    "TỜ TRÌNH": "Tờ trình",
    "CÔNG VĂN": "Công văn",
    "HƯỚNG DẪN": "Hướng dẫn",
    "ĐỀ ÁN": "Đề án",
    "CHƯƠNG TRÌNH": "Chương trình",
}

# Provinces before and after the 2025 mergers (names as written in documents).
PROVINCES = [
    "An Giang", "Bà Rịa - Vũng Tàu", "Bạc Liêu", "Bắc Giang", "Bắc Kạn", "Bắc Ninh", "Bến Tre", "Bình Dương",
    "Bình Định", "Bình Phước", "Bình Thuận", "Cà Mau", "Cao Bằng", "Cần Thơ", "Đà Nẵng", "Đắk Lắk", "Đắk Nông",
    "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Nội", "Hà Tĩnh", "Hải Dương",
    "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa", "Kiên Giang", "Kon Tum", "Lai Châu",
    "Lạng Sơn", "Lào Cai", "Lâm Đồng", "Long An", "Nam Định", "Nghệ An", "Ninh Bình", "Ninh Thuận", "Phú Thọ",
    "Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị", "Sóc Trăng", "Sơn La",
    "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế", "Huế", "Tiền Giang", "TP. Hồ Chí Minh",
    "Hồ Chí Minh", "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
]
_PROVINCE_BY_FOLD = {fold(p).replace(" ", ""): p for p in PROVINCES}


@dataclass
class DocMeta:
    doc_type: str | None = None
    number: str | None = None
    date: str | None = None  # ISO date, or YYYY-MM / YYYY when the day is blank
    issuer: str | None = None
    signer: str | None = None
    province: str | None = None
    title: str | None = None
    signer_title: str | None = None  # "Phó Chủ tịch"
    signed_for: str | None = None  # "Thay mặt Ủy ban nhân dân; Ký thay Chủ tịch"

    def display(self) -> str:
        """Human title: type, number, date ("Kế hoạch số 192/KH-UBND ngày 17/12/2024")."""
        parts = [self.doc_type or "Văn bản"]
        if self.number:
            parts.append(f"số {self.number}")
        if self.date:
            parts.append(_date_vi(self.date))
        if self.issuer:
            parts.append(f"của {self.issuer}")
        return " ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _date_vi(iso: str) -> str:
    bits = iso.split("-")
    if len(bits) == 3:
        return f"ngày {int(bits[2])}/{int(bits[1])}/{bits[0]}"
    if len(bits) == 2:
        return f"tháng {int(bits[1])}/{bits[0]}"
    return f"năm {bits[0]}"


def find_province(text: str) -> str | None:
    """First province named in ``text`` (with or without diacritics, optionally after 'tỉnh')."""
    low = fold(text).replace("-", " ")
    best: tuple[int, str] | None = None
    for key, name in _PROVINCE_BY_FOLD.items():
        pat = re.compile(r"\b" + r"\s*".join(re.escape(part) for part in fold(name).replace("-", " ").split()) + r"\b")
        m = pat.search(low)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), name)
        del key
    return best[1] if best else None


def provinces_in(text: str) -> set[str]:
    low = fold(text).replace("-", " ")
    out = set()
    for name in PROVINCES:
        pat = r"\b" + r"\s*".join(re.escape(part) for part in fold(name).replace("-", " ").split()) + r"\b"
        if re.search(pat, low):
            out.add(name)
    return out


def extract(text: str, footer: str = "", filename: str = "") -> DocMeta:  # noqa: C901 - header fields in turn
    """Metadata from the repaired text (header at the top, signature in ``footer``)."""
    meta = DocMeta()
    head = text[:1500]
    for line in head.split("\n")[:15]:
        s = line.strip().rstrip(":")
        for key, val in DOC_TYPES.items():
            if s.upper().startswith(key) and (s.isupper() or len(s) <= len(key) + 2):
                meta.doc_type = meta.doc_type or val
    if meta.doc_type is None and re.search(r"^Kính gửi", head, re.M):
        meta.doc_type = "Công văn"
    m = re.search(r"Số:\s*([0-9]+[\w\-/.&]*/[\wĐđ\-&]+)", head)
    if m:
        meta.number = m.group(1)
    m = re.search(r"\w[\w ]*,\s*ngày\s+(\d{1,2})?\s*tháng\s+(\d{1,2})\s+năm\s+(\d{4})", head)
    if m:
        day, month, year = m.group(1), int(m.group(2)), m.group(3)
        meta.date = f"{year}-{month:02d}-{int(day):02d}" if day else f"{year}-{month:02d}"
    elif (fm := re.search(r"(20\d\d)-(\d\d)", filename)) is not None:
        meta.date = f"{fm.group(1)}-{fm.group(2)}"
    elif (fy := re.search(r"(?:^|[_-])(20\d\d)(?:[_-]|$)", filename)) is not None:
        meta.date = fy.group(1)
    for line in head.split("\n")[:8]:
        s = line.strip()
        if re.match(r"^(ỦY BAN NHÂN DÂN|UBND|SỞ|BAN|VĂN PHÒNG|HỘI ĐỒNG|TỈNH ỦY|BỘ)\b", s) and s.isupper():
            meta.issuer = s.title() if meta.issuer is None else meta.issuer
    # Province: the one the document names most often near "tỉnh".
    counts: dict[str, int] = {}
    low = fold(text)
    for name in PROVINCES:
        pat = r"tinh\s+" + r"\s*".join(re.escape(p) for p in fold(name).replace("-", " ").split())
        n = len(re.findall(pat, low))
        if n:
            counts[name] = n
    if counts:
        meta.province = max(counts, key=lambda k: counts[k])
    # Signer: the signature block (title, on behalf of whom); else the last short name-like line.
    sig = parse_signature(footer) if footer else None
    if sig is not None:
        meta.signer, meta.signer_title = sig.signer, sig.title
        meta.signed_for = "; ".join(sig.on_behalf) or None
    for line in reversed([ln.strip() for ln in footer.split("\n") if ln.strip()] if sig is None else []):
        words = line.split()
        if 2 <= len(words) <= 5 and all(w[:1].isupper() for w in words) and not line.isupper() and not line.startswith("-"):
            meta.signer = line
            break
    # Title: the line after the document type, if any.
    lines = [ln.strip() for ln in head.split("\n") if ln.strip()]
    for i, line in enumerate(lines[:12]):
        if meta.doc_type and line.upper().startswith(meta.doc_type.upper()) and i + 1 < len(lines):
            meta.title = lines[i + 1][:300]
            break
    if meta.title is None and lines:
        meta.title = lines[0][:300]
    return meta


def sidecar_path(path: Path) -> Path | None:
    for cand in (path.with_name(path.name + ".meta.yaml"), path.with_suffix(".meta.yaml")):
        if cand.exists():
            return cand
    return None


def apply_sidecar(meta: DocMeta, path: Path) -> DocMeta:
    side = sidecar_path(path)
    if side is None:
        return meta
    try:
        data = yaml.safe_load(side.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise IngestError(f"{side.name}: tệp siêu dữ liệu không hợp lệ: {exc}", path=str(path)) from exc
    known = {f.name for f in fields(DocMeta)}
    unknown = set(data) - known
    if unknown:
        raise IngestError(f"{side.name}: khóa không biết: {', '.join(sorted(unknown))}", path=str(path))
    for key, val in data.items():
        if val is not None:
            setattr(meta, key, nfc(str(val)))
    return meta
