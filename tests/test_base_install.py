"""The base install stays light: the default path never imports torch, Chroma, sentence-transformers or
LangChain (they live in the ``dense`` and ``llm`` extras)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "chromadb", "sentence_transformers", "langchain_core", "langchain_openai")


def test_default_path_imports_no_optional_extra(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from cchc.cli import cli\n"
        "from knowledge.service import Knowledge\n"
        "from bot.router import Router\n"
        "from bot.serve import serve\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "", f"the default path imported optional extras: {out.stdout.strip()}"
