"""The refusal policy in one place: the evidence thresholds and every refusal text.

Thresholds come from ``settings.answer`` (configurable, tuned on the dev sets); the texts are the
defaults below unless ``settings.answer`` overrides them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields

from core.errors import ConfigError
from core.settings import AnswerSettings

logger = logging.getLogger(__name__)

NO_EVIDENCE = (
    "Xin lỗi, các tài liệu CCHC hiện có không có thông tin trả lời câu hỏi này. "
    "Hãy hỏi về nhiệm vụ, chỉ tiêu, kết quả các chỉ số (PAR INDEX, SIPAS, PAPI...) trong tài liệu."
)
NO_EVIDENCE_CLOSE = "Xin lỗi, các tài liệu CCHC hiện có không nêu đúng điều được hỏi."
NOT_VIETNAMESE = "Trợ lý chỉ trả lời câu hỏi bằng tiếng Việt về tài liệu CCHC. Vui lòng đặt câu hỏi bằng tiếng Việt."
UNKNOWN_PROVINCE = "Tài liệu hiện có không có thông tin về tỉnh {province}. Các tỉnh có tài liệu: {known}."
UNKNOWN_YEAR = "Tài liệu hiện có không có thông tin về năm {year} (các tài liệu nói về các năm {span})."
NO_YEAR_MATCH = "Không tìm thấy nội dung về năm {year} trong tài liệu."
OTHER_PROVINCE = "Theo tài liệu của tỉnh {province} (không phải tỉnh {home}):"


@dataclass(frozen=True)
class RefusalPolicy:
    """``min_coverage``: the best sentence's evidence (0..1) below which the answer is refused.
    ``support_ratio``: a supporting sentence needs at least this share of ``min_coverage``."""

    min_coverage: float = 0.44
    support_ratio: float = 0.6
    no_evidence: str = NO_EVIDENCE
    no_evidence_close: str = NO_EVIDENCE_CLOSE
    not_vietnamese: str = NOT_VIETNAMESE
    unknown_province: str = UNKNOWN_PROVINCE
    unknown_year: str = UNKNOWN_YEAR
    no_year_match: str = NO_YEAR_MATCH
    other_province: str = OTHER_PROVINCE

    @property
    def min_support(self) -> float:
        return self.support_ratio * self.min_coverage

    @classmethod
    def from_settings(cls, answer: AnswerSettings) -> RefusalPolicy:
        """From ``settings.answer``: its thresholds, and any texts it overrides (``answer.texts``)."""
        known = {f.name for f in fields(cls)} - {"min_coverage", "support_ratio"}
        bad = sorted(set(answer.texts) - known)
        if bad:
            raise ConfigError(f"answer.texts: khóa không hợp lệ {', '.join(bad)}; dùng: {', '.join(sorted(known))}")
        return cls(min_coverage=answer.min_coverage, support_ratio=answer.support_ratio, **answer.texts)
