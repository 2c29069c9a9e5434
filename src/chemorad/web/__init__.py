"""The local web explorer (`chemorad serve`): the mechanism x therapy answer, the catalog, the evidence, one tumour's
prediction and simulations, in a browser; a JSON API under /api/. Routes and templates only: every number comes from
the domain packages (catalog, chain, evidence, profile, dynamics, sweep) through `services.Explorer`."""
