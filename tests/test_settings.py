"""Typed settings: config.yaml + CCHC_* environment, clear errors, secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import load_settings


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_from_empty_config(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, "{}\n"))
    assert s.retrieval.k == 10
    assert s.embedding.model is None
    assert s.province == "Hưng Yên"


def test_yaml_values_read(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, "province: Thái Bình\nretrieval:\n  k: 7\nanswer:\n  max_sentences: 2\n"))
    assert (s.province, s.retrieval.k, s.answer.max_sentences) == ("Thái Bình", 7, 2)


def test_env_overrides_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path, "retrieval:\n  k: 7\n  k1: 1.5\n")
    monkeypatch.setenv("CCHC_RETRIEVAL__K", "25")
    monkeypatch.setenv("CCHC_HOME", str(tmp_path / "nha"))
    s = load_settings(cfg)
    assert s.retrieval.k == 25
    assert s.retrieval.k1 == 1.5  # the other keys of the section still come from the file
    assert s.home == tmp_path / "nha"
    assert s.database_url == f"sqlite:///{(tmp_path / 'nha' / 'cchc.sqlite3').resolve()}"


def test_config_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path, "retrieval:\n  k: 3\n")
    monkeypatch.setenv("CCHC_CONFIG", str(cfg))
    assert load_settings().retrieval.k == 3


@pytest.mark.parametrize(
    ("yaml_text", "env", "field"),
    [
        ("retrieval:\n  k: 0\n", {}, "retrieval.k"),
        ("retrieval:\n  k: nhieu\n", {}, "retrieval.k"),
        ("{}\n", {"CCHC_RETRIEVAL__K": "1000"}, "retrieval.k"),
        ("answer:\n  min_coverage: 2\n", {}, "answer.min_coverage"),
        ("log_level: LOUD\n", {}, "log_level"),
        ("telegram:\n  mode: push\n", {}, "telegram.mode"),
        ("retrival:\n  k: 5\n", {}, "retrival"),
    ],
)
def test_invalid_values_name_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml_text: str, env: dict[str, str], field: str
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, yaml_text))
    msg = err.value.user_message
    assert field in msg, msg
    assert "Cấu hình không hợp lệ" in msg


def test_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, "retrieval: [k: 1\n"))
    assert "YAML không hợp lệ" in err.value.user_message


def test_yaml_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_settings(write(tmp_path, "- a\n- b\n"))


def test_missing_named_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "khong-co.yaml")
    assert "Không tìm thấy tệp cấu hình" in err.value.user_message


@pytest.mark.parametrize(
    ("section", "key"),
    [("telegram", "token"), ("telegram", "webhook_secret"), ("zalo", "token"), ("llm", "api_key")],
)
def test_secrets_in_yaml_rejected(tmp_path: Path, section: str, key: str) -> None:
    cfg = write(tmp_path, f"{section}:\n  {key}: '123456:ABC-bi-mat'\n")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    msg = err.value.user_message
    assert f"{section}.{key}" in msg
    assert f"CCHC_{section.upper()}__{key.upper()}" in msg
    assert "123456:ABC-bi-mat" not in msg  # never echo the secret


def test_secret_from_environment_accepted_and_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCHC_TELEGRAM__TOKEN", "123456:ABC-bi-mat")
    s = load_settings(write(tmp_path, "{}\n"))
    assert s.telegram.token is not None
    assert s.telegram.token.get_secret_value() == "123456:ABC-bi-mat"
    assert "123456:ABC-bi-mat" not in repr(s)


def test_empty_secret_key_in_yaml_is_allowed(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, "telegram:\n  token:\n  mode: webhook\n"))
    assert s.telegram.token is None and s.telegram.mode == "webhook"
