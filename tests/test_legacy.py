"""Legacy Vietnamese encodings (TCVN3/ABC, VNI-Windows) are detected and converted to Unicode."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.legacy import TCVN3, VNI, fix_legacy, from_tcvn3, from_vni
from ingest.readers import decode_text, read_bytes
from ingest.repair import repair
from tests.conftest import CORPUS

TCVN3_SAMPLE = "Céng hßa x· héi chñ nghÜa ViÖt Nam"
VNI_SAMPLE = "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam"
UNICODE = "Cộng hòa xã hội chủ nghĩa Việt Nam"
# Characters that occur in TCVN3/VNI text read as Latin-1 but never in Vietnamese Unicode text.
LEGACY_GLYPHS = "¡¢£¤¥¦§¨©ª«¬®µ¶·¸¹»¼½¾ÆÇËÐÎÏÑ×ØÜÞß÷þäåæëîïñöøû"

# A small official text with no upper-case toned letters (TCVN3 keeps those in separate "H" fonts).
DOC = (
    "Cộng hòa xã hội chủ nghĩa Việt Nam\n"
    "Độc lập - Tự do - Hạnh phúc\n"
    "KẾ HOẠCH\n"
    "Về cải cách hành chính năm 2020\n"
    "1. Mục đích\n"
    "Nâng cao chất lượng giải quyết thủ tục hành chính cho người dân và doanh nghiệp trên địa bàn tỉnh.\n"
    "2. Nhiệm vụ\n"
    "Sở Nội vụ chủ trì, phối hợp với các cơ quan, đơn vị thực hiện kiểm tra công tác cải cách hành chính.\n"
)

_TCVN3_INV = {v: k for k, v in TCVN3.items()}
_VNI_INV: dict[str, str] = {}
for _seq, _ch in sorted(VNI.items(), key=lambda kv: len(kv[0])):  # VNI writes i-letters as one byte
    _VNI_INV.setdefault(_ch, _seq)


def to_tcvn3(text: str) -> str:
    """Unicode -> TCVN3 as the ABC fonts store it (the inverse of the converter's table)."""
    out = []
    for ch in text:
        if ch in _TCVN3_INV:
            out.append(_TCVN3_INV[ch])
        elif ch.lower() in _TCVN3_INV and ch.isupper() and ch not in "ĂÂĐÊÔƠƯ":
            out.append(_TCVN3_INV[ch.lower()])  # *H fonts: same code, upper-case glyph
        else:
            out.append(ch)
    return "".join(out)


def to_vni(text: str) -> str:
    return "".join(_VNI_INV.get(ch, ch) for ch in text)


def tcvn3_lowered(text: str) -> str:
    """What converting TCVN3 gives back: upper-case toned letters come out lower-case."""
    return "".join(ch.lower() if ch.isupper() and ch.lower() in _TCVN3_INV and ch not in "ĂÂĐÊÔƠƯ" else ch for ch in text)


def tcvn3_lowered_initials(text: str) -> str:
    """Lower-case the toned capitals that begin a word with lower-case letters after them."""
    import re

    return re.sub(r"\b(\w)(?=\w*[a-zà-ỹ])", lambda m: tcvn3_lowered(m.group(1)), text)


def test_tcvn3_sample_converted() -> None:
    assert from_tcvn3(TCVN3_SAMPLE) == UNICODE
    text, enc = fix_legacy(TCVN3_SAMPLE)
    assert (text, enc) == (UNICODE, "tcvn3")


def test_vni_sample_converted() -> None:
    assert from_vni(VNI_SAMPLE) == UNICODE
    text, enc = fix_legacy(VNI_SAMPLE)
    assert (text, enc) == (UNICODE, "vni")


def test_round_trip_helpers_are_faithful() -> None:
    assert to_tcvn3(UNICODE) == TCVN3_SAMPLE
    assert to_vni(UNICODE) == VNI_SAMPLE


@pytest.mark.parametrize("enc", ["tcvn3", "vni"])
def test_whole_document_converted(enc: str) -> None:
    legacy = to_tcvn3(DOC) if enc == "tcvn3" else to_vni(DOC)
    assert legacy != DOC
    text, found = fix_legacy(legacy)
    assert found == enc
    # TCVN3 has no codes for toned capitals: they are restored from the case of the letters around
    # them, so a line in capitals ("KẾ HOẠCH") comes back whole; only a toned capital that starts a
    # mixed-case word ("Ủy") stays lower case.
    expected = tcvn3_lowered_initials(DOC) if enc == "tcvn3" else DOC
    assert text == expected


def test_tcvn3_capitals_keep_their_case() -> None:
    for line in ("KẾ HOẠCH", "ĐỘC LẬP - TỰ DO - HẠNH PHÚC", "Về việc TRIỂN KHAI nhiệm vụ", "Kế hoạch số 12"):
        assert from_tcvn3(to_tcvn3(line)) == line


@pytest.mark.parametrize(
    "text",
    [
        UNICODE,
        DOC,
        "Plain English text with no Vietnamese at all, numbers 12/63 and 83,52/100.",
        "Hưng Yên, ngày 26 tháng 5 năm 2023 · Straße · café",
        "",
    ],
)
def test_unicode_left_alone(text: str) -> None:
    assert fix_legacy(text) == (text, "unicode")


def test_corpus_files_are_unicode() -> None:
    for path in sorted(CORPUS.glob("*.txt")):
        raw = read_bytes(path.read_bytes(), path.name, max_bytes=10**8)
        rep = repair(raw.text)
        assert rep.encoding == "unicode", path.name
        assert "Hưng Yên" in rep.text or "Hải Dương" in rep.text


@pytest.mark.parametrize("enc", ["tcvn3", "vni"])
def test_legacy_bytes_decoded_then_repaired(enc: str) -> None:
    legacy = to_tcvn3(DOC) if enc == "tcvn3" else to_vni(DOC)
    data = legacy.encode("latin-1")  # single-byte file as written by the old fonts
    raw = read_bytes(data, f"cu-{enc}.txt", max_bytes=10**6)
    rep = repair(raw.text)
    assert rep.encoding == enc
    assert "cộng hòa xã hội chủ nghĩa việt nam" in rep.text.lower()
    assert "Sở Nội vụ chủ trì" in rep.text or "sở nội vụ chủ trì" in rep.text.lower()


def test_decode_text_keeps_legacy_bytes_for_repair() -> None:
    data = to_tcvn3(DOC).encode("latin-1")
    text = decode_text(data)
    assert fix_legacy(text)[1] == "tcvn3"


@pytest.mark.parametrize("enc", ["tcvn3", "vni"])
def test_legacy_file_ingested_end_to_end(enc: str, settings: Settings, tmp_path: Path) -> None:
    from knowledge.service import Knowledge

    legacy = to_tcvn3(DOC) if enc == "tcvn3" else to_vni(DOC)
    src = tmp_path / f"ke-hoach-cu-{enc}.txt"
    src.write_bytes(legacy.encode("latin-1"))
    kn = Knowledge(settings)
    try:
        report = kn.ingest([src])
        assert report.ingested == [src.name], report.failed
        con = sqlite3.connect(settings.home / "cchc.sqlite3")
        doc_enc, doc_text = con.execute(
            "select encoding, text from documents where source = ?", (src.name,)
        ).fetchone()
        passages = [r[0] for r in con.execute("select p.text from passages p join documents d on d.id = p.document_id")]
        con.close()
        assert doc_enc == enc
        assert "Sở Nội vụ chủ trì" in doc_text
        joined = "\n".join(passages)
        assert "Sở Nội vụ chủ trì, phối hợp" in joined
        assert "thủ tục hành chính" in joined
        # no legacy glyphs survive in any passage
        assert not set(joined) & set(LEGACY_GLYPHS), joined
        hits = kn.search("sở nội vụ kiểm tra cải cách hành chính", k=3)
        assert hits and hits[0].passage.source == src.name
    finally:
        kn.close()
