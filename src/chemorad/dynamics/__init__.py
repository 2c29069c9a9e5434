"""Tumour dynamics: schedules, clones, microenvironment, evolution, the stochastic engine and the simulator."""
