"""Calibration: the damage chain as a differentiable forward model, priors from the catalog, likelihoods from data.

Modules (JAX is imported only by `forward`, `model`, `infer`, `posterior`'s functions and `predict`, so the command line
stays light): `spec` (the catalog as arrays), `forward` (the chain in jax.numpy), `data` (the bundle as arrays),
`clonogenic` (optional published clonogenic curves, PIDE, as observations), `model` (the NumPyro model), `infer`
(NUTS / VI and diagnostics), `posterior` (files, calibrated specificity), `predict` (posterior predictions and
explanations), `workflow` (`chemorad calibrate`). See docs/calibration.md.
"""
