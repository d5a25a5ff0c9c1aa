"""Compile ui/*.ui (Qt Designer) into cras_desk/gui/generated/ui_*.py.

    .venv/bin/python scripts/compile_ui.py           # (re)generate; `make ui` runs this
    .venv/bin/python scripts/compile_ui.py --check   # exit 1 if a generated file is stale (CI)

The generated modules are committed, so the desk needs no build step and no uic at run time.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "ui"
OUT = ROOT / "cras_desk" / "gui" / "generated"
HEADER = "# generated from ui/{name} by scripts/compile_ui.py - do not edit; edit the .ui and recompile\n"


def uic() -> str:
    found = shutil.which("pyside6-uic", path=str(Path(sys.executable).parent)) or shutil.which("pyside6-uic")
    if not found:
        raise SystemExit("pyside6-uic not found: install PySide6 into this environment")
    return found


def prune_imports(body: str) -> str:
    """Keep only the Qt names the form uses.

    uic imports some eighty classes whatever the form needs; PySide6 sets each class up on first
    use, which the desk would pay for at every start.
    """
    tree = ast.parse(body)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {
        n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
    }
    lines = body.splitlines(keepends=True)
    for node in sorted(
        (n for n in tree.body if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("PySide6")),
        key=lambda n: n.lineno,
        reverse=True,
    ):
        keep = sorted(a.name for a in node.names if (a.asname or a.name) in used)
        start, end = node.lineno - 1, node.end_lineno or node.lineno
        new = [f"from {node.module} import {', '.join(keep)}\n"] if keep else []
        lines[start:end] = new
    return "".join(lines)


def compile_one(tool: str, source: Path) -> str:
    done = subprocess.run([tool, "--no-autoconnection", str(source)], check=True, capture_output=True)
    body = done.stdout.decode("utf-8")
    # uic writes the absolute .ui path into its banner; keep the output the same on every machine.
    body = body.replace(str(source), f"ui/{source.name}")
    return HEADER.format(name=source.name) + prune_imports(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if any generated file is out of date")
    args = parser.parse_args(argv)
    tool = uic()
    OUT.mkdir(parents=True, exist_ok=True)
    init = OUT / "__init__.py"
    if not init.exists():
        init.write_text('"""Generated from ui/*.ui by scripts/compile_ui.py - do not edit."""\n')
    stale = []
    sources = sorted(UI.glob("*.ui"))
    # A generated module whose .ui is gone would still import, and drift unseen.
    wanted = {f"ui_{source.stem}.py" for source in sources}
    for orphan in sorted(p for p in OUT.glob("ui_*.py") if p.name not in wanted):
        if args.check:
            stale.append(orphan.relative_to(ROOT))
        else:
            orphan.unlink()
            print(f"removed {orphan.relative_to(ROOT)} (its .ui is gone)")
    for source in sources:
        target = OUT / f"ui_{source.stem}.py"
        text = compile_one(tool, source)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(target.relative_to(ROOT))
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    if stale:
        print("out of date (run scripts/compile_ui.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
