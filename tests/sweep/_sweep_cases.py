"""Sweep files shared by the sweep tests (a module, not a package: imported as `_sweep_cases`)."""

from __future__ import annotations

TINY = {
    "name": "tiny",
    "tumour": {"initial_cells": 1.0e5, "redistribution": False},
    "schedule": [{"kind": "radiotherapy", "dose_gy": 2.0, "fractions": 3}],
    "simulation": {"days": 12, "dt_days": 1.0, "mode": "tau"},
}


def tiny_sweep(**over) -> dict:
    """A small, stochastic sweep: tau-leaping so the per-point seeds matter; two arms."""
    raw = {
        "name": "tiny-sweep",
        "base": TINY,
        "arms": [
            {"name": "rt"},
            {
                "name": "cis_rt",
                "schedule": [
                    {"kind": "drug", "therapy": "cisplatin", "dose_mg_m2": 75},
                    {"kind": "radiotherapy", "dose_gy": 2.0, "fractions": 3, "start_day": 2},
                ],
            },
        ],
        "parameters": [
            {"path": "tumour.hypoxic_fraction", "low": 0.05, "high": 0.4},
            {"path": "tumour.doubling_time_days", "low": 2.0, "high": 6.0},
        ],
        "design": {"kind": "lhs", "samples": 12},
        "replicates": 2,
        "seed": 5,
    }
    raw.update(over)
    return raw
