"""Shared fixtures: settings in tmp_path, a knowledge store with the sample corpus ingested."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "corpus"
SHARED = ROOT.parent / "shared"


def make_settings(home: Path, **overrides: object) -> Settings:
    """Settings isolated in ``home`` (no config.yaml from the working directory)."""
    empty = home / "config.yaml"
    home.mkdir(parents=True, exist_ok=True)
    if not empty.exists():
        empty.write_text("{}\n", encoding="utf-8")
    return load_settings(empty, home=home, **overrides)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(__import__("os").environ):
        if key.startswith("CCHC_") and key != "CCHC_TEST_DATABASE_URL":
            monkeypatch.delenv(key, raising=False)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "home")


@pytest.fixture(scope="session")
def _corpus_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the sample corpus ingested once per test session."""
    from knowledge.service import Knowledge

    home = tmp_path_factory.mktemp("corpus-home")
    kn = Knowledge(make_settings(home))
    report = kn.ingest([CORPUS])
    assert not report.failed, report.failed
    kn.close()
    return home


@pytest.fixture
def corpus_settings(_corpus_home: Path, tmp_path: Path) -> Settings:
    """Settings whose home is a private copy of the ingested sample corpus."""
    home = tmp_path / "home"
    shutil.copytree(_corpus_home, home)
    return make_settings(home)


@pytest.fixture
def knowledge(corpus_settings: Settings) -> Iterator[object]:
    from knowledge.service import Knowledge

    kn = Knowledge(corpus_settings)
    yield kn
    kn.close()
