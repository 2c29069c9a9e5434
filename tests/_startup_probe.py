"""Which modules a fresh interpreter has loaded after running some code: the start-up tests' probe (tests never assert
on wall-clock time; they check the cause, an import)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def app_run(args: list[str]) -> str:
    """Code running `chemorad ARGS` in-process, its exit swallowed."""
    return f"from chemorad.cli import app\ntry:\n    app({args!r})\nexcept SystemExit:\n    pass"


def modules_after(code: str, names: tuple[str, ...]) -> list[str]:
    """The modules of `names` loaded after `code` runs in a fresh interpreter (this checkout's src, nothing else on
    the path), sorted."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {names!r} if m in sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])
