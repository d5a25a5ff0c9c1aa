"""The Designer files have one compile path (scripts/compile_ui.py, which `make ui` runs), and the
committed modules in cras_desk/gui/generated are what it makes of today's ui/*.ui."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_generated_modules_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "compile_ui.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout}{done.stderr}"


def test_make_ui_runs_the_same_script() -> None:
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("ui:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    assert recipe == ["$(BIN)/python scripts/compile_ui.py"]
