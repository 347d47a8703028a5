"""One typed configuration object, read from ``config.yaml`` and ``CCHC_*`` variables.

Precedence: explicit arguments > environment (``CCHC_SECTION__FIELD``) > config.yaml > defaults.
Secrets (tokens, webhook secrets, API keys) are accepted only from the environment.
Load it once in ``main()`` with :func:`load_settings` and pass it down.
"""

from __future__ import annotations

import contextvars
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from core.errors import ConfigError

# The config file of the load in progress (settings are built once, in main(); a context variable keeps
# concurrent loads in tests apart).
_YAML_PATH: contextvars.ContextVar[Path | None] = contextvars.ContextVar("_YAML_PATH", default=None)

SECRET_KEYS = {
    ("telegram", "token"),
    ("telegram", "webhook_secret"),
    ("zalo", "token"),
    ("zalo", "webhook_secret"),
    ("llm", "api_key"),
}


class DatabaseSettings(BaseModel):
    url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in CCHC_HOME")
    echo: bool = False


class IngestSettings(BaseModel):
    """Caps that keep parsing bounded (docs/security.md, "Files and parsing"); sizes in MB of 2^20 bytes."""

    max_file_mb: float = Field(25.0, gt=0)
    max_pdf_pages: int = Field(3000, gt=0)
    corpus_dir: Path = Path("data/corpus")
    chunk_chars: int = Field(900, ge=200, description="passages are split near, and never beyond, this many characters")
    max_unzipped_mb: float = Field(100.0, gt=0, description="bytes actually decompressed from one DOCX/XLSX")
    max_document_chars: int = Field(5_000_000, ge=1000, description="text characters in one document")
    max_passages: int = Field(20_000, ge=1, description="passages in one document")
    max_sheet_rows: int = Field(200_000, ge=1, description="rows of an imported sheet, blank rows included")
    max_sheet_cells: int = Field(5_000_000, ge=1, description="cells of an imported sheet, blank cells included")
    parse_memory_mb: int = Field(1024, ge=128, description="address-space cap of the child that parses a bot upload")
    parse_timeout_s: float = Field(120.0, gt=0, description="time cap of the child that parses a bot upload")


class RetrievalSettings(BaseModel):
    k: int = Field(10, ge=1, le=100)
    # Tuned on ALQAC dev (benchmarks/tune_retrieval.py); see docs/benchmarks.md.
    bigram_weight: float = Field(1.3, ge=0)
    folded_weight: float = Field(0.6, ge=0)
    title_weight: float = Field(0.2, ge=0)
    k1: float = Field(0.4, gt=0)
    b: float = Field(0.6, ge=0, le=1)
    # chosen on ALQAC dev: benchmarks/dense_fusion.py
    dense_weight: float = Field(0.1, ge=0, le=1, description="share of the dense leg in score fusion")
    check_seconds: float = Field(2.0, ge=0, le=60, description="how often an answering process checks the store for changes")


class AnswerSettings(BaseModel):
    passages: int = Field(6, ge=1, le=30)
    max_sentences: int = Field(3, ge=1, le=10)
    min_coverage: float = Field(0.44, ge=0, le=1, description="evidence threshold for refusal (tuned on the dev sets)")
    support_ratio: float = Field(0.6, ge=0, le=1, description="a supporting sentence needs this share of min_coverage")
    texts: dict[str, str] = Field(default_factory=dict, description="refusal texts overriding knowledge.answers.policy")
    max_question_chars: int = Field(1000, ge=50)


class EmbeddingSettings(BaseModel):
    model: str | None = Field(None, description="sentence-transformers model name or local path; none = lexical only")
    device: str = "cpu"
    batch_size: int = 32
    chroma_host: str | None = Field(None, description="Chroma server (client/server mode); none = local folder")
    chroma_port: int = 8000


class LlmSettings(BaseModel):
    """Optional generated answers (docs/llm.md): an OpenAI-compatible endpoint the province runs."""

    enabled: bool = Field(False, description="rewrite passage answers with the model, checked before shown")
    base_url: str | None = Field(None, description="e.g. http://127.0.0.1:8080/v1 (llama-server) or :11434/v1 (Ollama)")
    model: str | None = None
    api_key: SecretStr | None = None
    timeout_s: float = Field(30.0, gt=0, le=600, description="total time for the model's answer; slower = extractive")
    max_passages: int = Field(4, ge=1, le=12, description="passages sent: the extractive answer's, then retrieved ones")


class ChannelSettings(BaseModel):
    """Settings of one chat channel; each subclass is a section named like its ``bot.<name>`` module."""

    token: SecretStr | None = None

    @property
    def enabled(self) -> bool:
        return self.token is not None and bool(self.token.get_secret_value())


MIN_WEBHOOK_SECRET = 32
_TELEGRAM_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram's setWebhook accepts
SECRET_HINT = "tạo bằng: python3 -c \"import secrets; print(secrets.token_urlsafe(32))\""


def check_webhook_secret(value: SecretStr | None, *, telegram: bool) -> SecretStr | None:
    """A webhook secret, when set, has at least 32 characters (Telegram: only A-Z a-z 0-9 _ -)."""
    if value is None:
        return None
    secret = value.get_secret_value()
    if len(secret) < MIN_WEBHOOK_SECRET:
        raise PydanticCustomError(
            "webhook_secret_short",
            "bí mật webhook quá ngắn ({got} ký tự); cần ít nhất {need} ký tự ngẫu nhiên, " + SECRET_HINT,
            {"got": len(secret), "need": MIN_WEBHOOK_SECRET},
        )
    if telegram and not _TELEGRAM_SECRET_RE.fullmatch(secret):
        raise PydanticCustomError(
            "webhook_secret_chars",
            "bí mật webhook của Telegram chỉ được gồm A-Z, a-z, 0-9, _ và -, tối đa 256 ký tự; " + SECRET_HINT,
        )
    return value


class WebhookChannelSettings(ChannelSettings):
    """A channel that can receive updates by webhook: the secret is checked when settings load."""

    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _webhook_complete(self) -> WebhookChannelSettings:
        if self.enabled and self.mode == "webhook" and (self.webhook_secret is None or not self.webhook_url):
            raise PydanticCustomError(
                "webhook_incomplete",
                "chế độ webhook cần webhook_url và bí mật webhook (biến môi trường CCHC_<KÊNH>__WEBHOOK_SECRET, "
                "ít nhất {need} ký tự)",
                {"need": MIN_WEBHOOK_SECRET},
            )
        return self


class TelegramSettings(WebhookChannelSettings):
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    listen: str = "127.0.0.1"
    port: int = 8443
    poll_timeout_s: int = 10

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, v: SecretStr | None) -> SecretStr | None:
        return check_webhook_secret(v, telegram=True)


class ZaloSettings(WebhookChannelSettings):
    base_url: str = "https://bot-api.zaloplatforms.com"
    listen: str = "127.0.0.1"
    port: int = 8444
    poll_timeout_s: int = 10
    public_base_url: str | None = Field(None, description="where Zalo can fetch photos we serve by URL")

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, v: SecretStr | None) -> SecretStr | None:
        return check_webhook_secret(v, telegram=False)


class AccessSettings(BaseModel):
    admins: list[str] = Field(default_factory=list, description="first admins, as 'telegram:ID' or 'zalo:ID'")
    questions_per_minute: int = Field(10, ge=1, description="questions, /diem, /nhiemvu, /hanchot per user")
    commands_per_minute: int = Field(30, ge=1, description="every update per user, before anything else")
    invite_days: int = Field(7, ge=1, description="default invite expiry")
    invite_max_days: int = Field(30, ge=1, le=365, description="longest invite expiry allowed")
    register_max_failures: int = Field(5, ge=1, description="wrong codes of one user in the window before lockout")
    register_max_failures_total: int = Field(50, ge=1, description="wrong codes of everyone in the window")
    register_window_minutes: int = Field(15, ge=1)
    register_lockout_minutes: int = Field(30, ge=1)

    @model_validator(mode="after")
    def _invite_days(self) -> AccessSettings:
        if self.invite_days > self.invite_max_days:
            raise PydanticCustomError(
                "invite_days", "invite_days ({days}) lớn hơn invite_max_days ({max})",
                {"days": self.invite_days, "max": self.invite_max_days},
            )
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CCHC_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    home: Path = Path(".cchc")
    province: str = "Hưng Yên"
    log_level: str = "INFO"
    database: DatabaseSettings = DatabaseSettings()
    ingest: IngestSettings = IngestSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    llm: LlmSettings = LlmSettings()
    telegram: TelegramSettings = TelegramSettings()
    zalo: ZaloSettings = ZaloSettings()
    access: AccessSettings = AccessSettings()
    reminders: dict[str, Any] = Field(default_factory=dict, description="validated by reminders.policy.load_policy")

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        if v.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("log_level must be DEBUG, INFO, WARNING or ERROR")
        return v.upper()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _YAML_PATH.get()
        yaml_source = YamlConfigSettingsSource(settings_cls, yaml_file=path, yaml_file_encoding="utf-8") if path else None
        return (init_settings, env_settings, *([yaml_source] if yaml_source else []))

    # Derived locations -------------------------------------------------
    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.home / 'cchc.sqlite3').resolve()}"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    def channel_sections(self) -> dict[str, ChannelSettings]:
        """Every channel section (``telegram``, ``zalo``, ...), by name."""
        return {name: v for name in type(self).model_fields if isinstance(v := getattr(self, name), ChannelSettings)}

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "cchc.log"


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML không hợp lệ: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: phải là một bảng khóa: giá trị (mapping)")
    for section, key in SECRET_KEYS:
        sec = data.get(section)
        if isinstance(sec, dict) and sec.get(key):
            env = f"CCHC_{section.upper()}__{key.upper()}"
            raise ConfigError(
                f"{path}: '{section}.{key}' là bí mật, chỉ được đặt qua biến môi trường {env}, không ghi trong tệp cấu hình"
            )
    return data


def load_settings(config_path: str | Path | None = None, **overrides: Any) -> Settings:
    """Read config.yaml (path: argument, else CCHC_CONFIG, else ./config.yaml if present) and the environment."""
    path = Path(config_path or os.environ.get("CCHC_CONFIG") or "config.yaml")
    if path.exists():
        _read_yaml(path)  # our checks first: a mapping, and no secret written in the file
    elif config_path is not None or os.environ.get("CCHC_CONFIG"):
        raise ConfigError(f"Không tìm thấy tệp cấu hình {path}")
    token = _YAML_PATH.set(path if path.exists() else None)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            lines.append(f"- {loc}: {err['msg']}")
        raise ConfigError("Cấu hình không hợp lệ (" + str(path) + "):\n" + "\n".join(lines)) from exc
    finally:
        _YAML_PATH.reset(token)
