"""What users send, made safe at the channel boundary: text without lone surrogates or NULs, and
small numbers parsed from ASCII digits only (``int()`` accepts ``'²'``-like digits of other scripts,
``'1_000'``, and raises on 5,000-digit strings)."""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)

MAX_ID_DIGITS = 12
_DIGITS = re.compile(rf"[0-9]{{1,{MAX_ID_DIGITS}}}")


def clean_text(text: str | None) -> str:
    """Lone UTF-16 surrogates (which cannot be encoded, stored or sent) become U+FFFD; NULs are dropped."""
    if not text:
        return ""
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        # surrogatepass keeps valid pairs as one character; a lone half decodes to U+FFFD
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text.replace("\x00", "")


def clean_optional(text: str | None) -> str | None:
    return None if text is None else clean_text(text)


def small_int(text: str, *, max_digits: int = MAX_ID_DIGITS) -> int | None:
    """A non-negative number written in 1..max_digits ASCII digits, else None (never raises)."""
    text = text.strip()
    if len(text) > max_digits or not _DIGITS.fullmatch(text):
        return None
    return int(text)
