"""Use case: a simulation job, a scenario validated now and simulated when `run` is called.

Validation (the scenario file against the catalog, the memory and step budget) happens before any work, so a bad file
is a one-line error before a thread or a progress bar starts. Used by `chemorad simulate` (run at once) and the web
explorer's simulation page (run in a worker process, its progress polled by the page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chemorad.context import Context
from chemorad.dynamics.scenario import Scenario
from chemorad.dynamics.simulator import Result


@dataclass(frozen=True)
class SimulationJob:
    """A validated scenario with the replicates and seed to override (None: the scenario's own)."""

    ctx: Context
    scenario: Scenario
    replicates: int | None = None
    seed: int | None = None
    #: one line per schedule item cut by the end of the simulated time (`chemorad.dynamics.scenario.horizon_warnings`)
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.scenario.name

    def run(self, progress: Callable[[int, int], None] | None = None) -> Result:
        """Simulate (`chemorad.dynamics.simulator.simulate`); `progress` is told (steps done, steps in all)."""
        from chemorad.dynamics.simulator import simulate

        return simulate(self.scenario, self.replicates, self.seed, progress=progress, cat=self.ctx.catalog)


def simulation_job(
    ctx: Context, scenario: Path, replicates: int | None = None, seed: int | None = None
) -> SimulationJob:
    """Read and validate `scenario` against the context's catalog and check that the run fits the budget."""
    from chemorad.dynamics.scenario import horizon_warnings, load_scenario
    from chemorad.dynamics.simulator import check_budget

    sc = load_scenario(scenario, cat=ctx.catalog)
    check_budget(sc, replicates or sc.simulation.replicates)
    return SimulationJob(ctx, sc, replicates, seed, tuple(horizon_warnings(sc, str(scenario), cat=ctx.catalog)))
