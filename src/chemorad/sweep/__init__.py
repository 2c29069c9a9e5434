"""Virtual cohorts and parameter sweeps over the dynamics scenarios, executed on Dask (docs/sweeps.md).

Modules, one job each: `paths` (dotted parameter paths into a scenario), `spec` (the sweep file), `design` (grid, Latin
hypercube, Sobol/Saltelli and virtual-cohort points), `evaluate` (one point: scenarios per arm, simulation, outcomes),
`run` (Dask execution, batching, Parquet streaming, manifest, resume), `sensitivity` (Sobol indices), `analysis`
(outcome distributions, arm comparisons, indices from a results folder) and `commands` (the CLI).
"""
