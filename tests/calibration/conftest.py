"""The calibration's tests run JAX in 64-bit mode, as the calibration does (`forward.use_float64`)."""

try:
    from chemorad.calibration.forward import use_float64
except ImportError:  # no JAX: the test modules skip themselves (pytest.importorskip)
    pass
else:
    use_float64()
