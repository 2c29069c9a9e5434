#!/usr/bin/env bash
# Build the peer tool's own venv: gdsctools 1.0.1 (GDSC ANOVA) with the older pins it needs.
#
# Usage: bash benchmarks/gdsctools/setup_venv.sh [VENV_DIR]
#   VENV_DIR defaults to benchmarks/.venv-gdsctools (keep it out of git).
#   PYTHON overrides the interpreter (default python3; must be a Python 3.11).
#
# Idempotent: a venv that already imports gdsctools 1.0.1 with the pinned numpy/pandas/statsmodels
# is left alone (the stamp file records the pins); anything else is (re)installed. Only PyPI is needed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$(realpath -m "${1:-$here/../.venv-gdsctools}")"
python="${PYTHON:-python3}"

pins=(
    "numpy==1.23.5"
    "pandas==1.5.3"
    "scipy==1.10.1"
    "statsmodels==0.13.5"
    "scikit-learn==1.2.2"
    "matplotlib==3.7.5"
    "numexpr<2.9"
    "easydev==0.12.1"
    "colormap"
    "reports"
    "colorlog"
    "xlrd"
    "jinja2"
    "setuptools<70"
    "pyarrow<15"
)
peer="gdsctools==1.0.1"
stamp_text="$(printf '%s\n' "${pins[@]}" "$peer")"
stamp="$venv/.chemorad-bench-installed"

check() {
    # statsmodels 0.13 dropped smf.OLS, which gdsctools 1.0.1 still calls: alias it before the import.
    "$venv/bin/python" - <<'EOF'
import statsmodels.api as sm
import statsmodels.formula.api as smf
smf.OLS = sm.OLS
from importlib.metadata import version
import gdsctools, numpy, pandas, statsmodels
assert version("gdsctools") == "1.0.1", version("gdsctools")
assert numpy.__version__ == "1.23.5" and pandas.__version__ == "1.5.3" and statsmodels.__version__ == "0.13.5"
EOF
}

if [[ -f "$stamp" && "$(cat "$stamp")" == "$stamp_text" ]] && check 2>/dev/null; then
    echo "gdsctools venv ready: $venv"
    exit 0
fi

ver="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [[ "$ver" != "3.11" ]]; then
    echo "need Python 3.11 for the pinned wheels, $python is $ver (set PYTHON=...)" >&2
    exit 1
fi

[[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade "pip<25"
"$venv/bin/python" -m pip install --quiet "${pins[@]}"
# gdsctools' own requirements would drag in newer/unpinned packages: install it alone.
"$venv/bin/python" -m pip install --quiet --no-deps "$peer"
check
printf '%s\n' "$stamp_text" >"$stamp"
echo "gdsctools venv ready: $venv"
