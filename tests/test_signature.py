"""Signature blocks: signer, title and on behalf of whom, from laid-out and flattened blocks."""

from __future__ import annotations

import pytest

from ingest.signature import parse_signature


@pytest.mark.parametrize(
    ("text", "signer", "title", "behalf"),
    [
        ("...\nNơi nhận:\n- Lưu: VT.\nTM. ỦY BAN NHÂN DÂN \nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nPhạm Văn Nghiêm\n",
         "Phạm Văn Nghiêm", "Phó Chủ tịch", ("Thay mặt Ủy ban nhân dân", "Ký thay Chủ tịch")),
        ("...\n- Lưu: VT.\nTM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH\nPhạm Văn Nghiêm",
         "Phạm Văn Nghiêm", "Phó Chủ tịch", ("Thay mặt Ủy ban nhân dân", "Ký thay Chủ tịch")),
        ("...\n**T/M BAN THƯỜNG VỤ\nBÍ THƯ**\n\n\n\nPhạm Quang Ngọc", "Phạm Quang Ngọc", "Bí thư",
         ("Thay mặt Ban Thường vụ",)),
        ("...\nKT. CHÁNH VĂN PHÒNG \n\nPHÓ CHÁNH VĂN PHÒNG  \n\n \n\nTrần Văn Thắng  \n", "Trần Văn Thắng",
         "Phó Chánh Văn phòng", ("Ký thay Chánh Văn phòng",)),
    ],
)
def test_signature_block(text: str, signer: str, title: str, behalf: tuple[str, ...]) -> None:
    sig = parse_signature(text)
    assert sig is not None
    assert (sig.signer, sig.title, sig.on_behalf) == (signer, title, behalf)
    assert text[sig.start:sig.end].strip().endswith(signer)


def test_no_signature_block() -> None:
    assert parse_signature("Một đoạn văn không có chữ ký.\nHết.") is None
    assert parse_signature("- Lưu: VT.\nNguyễn Văn A") is None  # a name with no title block above it


def test_ingest_metadata_keeps_the_signature_block() -> None:
    from ingest.metadata import extract

    footer = "Nơi nhận:\n- Lưu: VT.\nTM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nNguyễn Duy Hưng\n"
    meta = extract("KẾ HOẠCH\nCải cách hành chính\n", footer)
    assert (meta.signer, meta.signer_title, meta.signed_for) == (
        "Nguyễn Duy Hưng", "Phó Chủ tịch", "Thay mặt Ủy ban nhân dân; Ký thay Chủ tịch")
