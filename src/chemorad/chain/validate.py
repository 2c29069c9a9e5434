"""Argument checks for the model's numeric inputs.

Each helper converts its input to a float NumPy array (any shape, 0-d for a scalar) and raises
`chemorad.errors.ChemoradError` naming the argument, what is allowed, and the first offending value, e.g.

    dose_gy must be finite and >= 0 (got -1.0)
    po2_mmhg must be finite and >= 0 (got nan at position 3 of 10)

NaN is never allowed. Infinity is allowed only where a helper says so (e.g. `allow_inf=True` for a time horizon).
"""

from __future__ import annotations

import numpy as np

from chemorad.errors import ChemoradError

__all__ = ["as_float", "finite", "nonnegative", "positive", "in_range"]


def as_float(name: str, x) -> np.ndarray:
    """`x` as a float array; ChemoradError if it is not numeric (a string, None, a ragged list)."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ChemoradError(f"{name} must be a number or an array of numbers (got {x!r})") from None
    return a


def _fail(name: str, a: np.ndarray, bad: np.ndarray, allowed: str) -> ChemoradError:
    flat = np.flatnonzero(np.ravel(bad))
    i = int(flat[0])
    value = float(np.ravel(a)[i])
    where = f" at position {i} of {a.size}" if a.size > 1 else ""
    return ChemoradError(f"{name} must be {allowed} (got {value!r}{where})")


def finite(name: str, x) -> np.ndarray:
    """`x` as a float array; ChemoradError unless every value is finite (no NaN, no inf)."""
    a = as_float(name, x)
    bad = ~np.isfinite(a)
    if np.any(bad):
        raise _fail(name, a, bad, "finite")
    return a


def nonnegative(name: str, x, allow_inf: bool = False) -> np.ndarray:
    """`x` as a float array; ChemoradError unless every value is >= 0 and finite (or +inf if `allow_inf`)."""
    a = as_float(name, x)
    ok = (a >= 0) & (np.isfinite(a) | allow_inf)
    if not np.all(ok):
        raise _fail(name, a, ~ok, ">= 0 (inf allowed)" if allow_inf else "finite and >= 0")
    return a


def positive(name: str, x, allow_inf: bool = False) -> np.ndarray:
    """`x` as a float array; ChemoradError unless every value is > 0 and finite (or +inf if `allow_inf`)."""
    a = as_float(name, x)
    ok = (a > 0) & (np.isfinite(a) | allow_inf)
    if not np.all(ok):
        raise _fail(name, a, ~ok, "> 0 (inf allowed)" if allow_inf else "finite and > 0")
    return a


def in_range(name: str, x, lo: float, hi: float) -> np.ndarray:
    """`x` as a float array; ChemoradError unless every value lies in the closed interval [lo, hi]."""
    a = as_float(name, x)
    ok = (a >= lo) & (a <= hi)
    if not np.all(ok):
        raise _fail(name, a, ~ok, f"in [{lo:g}, {hi:g}]")
    return a
