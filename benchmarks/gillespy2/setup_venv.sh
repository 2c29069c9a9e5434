#!/usr/bin/env bash
# Build the peer tool's own venv: GillesPy2 1.8.3 (Gillespie SSA / tau-leaping, C solvers built with SCons).
#
# Usage: bash benchmarks/gillespy2/setup_venv.sh [VENV_DIR]
#   VENV_DIR defaults to benchmarks/.venv-gillespy2 (keep it out of git: .gitignore has benchmarks/.venv-*/).
#   PYTHON overrides the interpreter (default python3).
#
# GillesPy2's C solvers (SSACSolver, TauLeapingCSolver, TauHybridCSolver) compile a model-specific binary with `scons`
# and a C++ compiler (g++): the venv's bin/ must be first on PATH when they run (bench_engine.py does that).
# Kept apart from the project's venv so its numpy/scipy pins never touch chemorad's. Only PyPI is needed.
# Idempotent: a venv whose stamp matches and that imports gillespy2 1.8.3 is left alone.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$here/../.venv-gillespy2}"
python="${PYTHON:-python3}"

pins=(
    "gillespy2==1.8.3"
    "scons"
)
stamp_text="$(printf '%s\n' "${pins[@]}")"
stamp="$venv/.chemorad-bench-installed"

check() {
    PATH="$venv/bin:$PATH" "$venv/bin/python" - <<'PYEOF'
from importlib.metadata import version
import shutil
import gillespy2  # noqa: F401
assert version("gillespy2") == "1.8.3", version("gillespy2")
assert shutil.which("scons"), "scons not on PATH"
PYEOF
}

if [[ -f "$stamp" && "$(cat "$stamp")" == "$stamp_text" ]] && check 2>/dev/null; then
    echo "gillespy2 venv ready: $venv"
    exit 0
fi

command -v g++ >/dev/null || { echo "GillesPy2's C solvers need g++ (apt-get install g++)" >&2; exit 1; }
[[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "${pins[@]}"
check
printf '%s\n' "$stamp_text" >"$stamp"
echo "gillespy2 venv ready: $venv"
