"""The calibration's tests run JAX in 64-bit mode, as the calibration does (`forward.use_float64`)."""

import pytest

jax = pytest.importorskip("jax")

from chemorad.calibration.forward import use_float64  # noqa: E402

use_float64()
