"""The damage chain: delivery -> damage -> fixation -> repair -> death.

Public API (see `docs/model.md`): `phenotype.phenotype`/`from_array` build mechanism activities; `survival.survival`,
`population_survival` and `dose_for_survival` compose the chain; `Environment` says where the cells are;
`resistance_factors`/`verdicts` compute specificity; `plasma_exposure` turns a clinical dose into an in-vitro-equivalent
concentration. Building blocks (pure, vectorised): `radiation`, `pharmacokinetics`, `microenvironment`, `validate`.
"""

# The public names are imported from their submodules on first use (PEP 562): importing one building block (a
# prediction needs `phenotype` and `survival`) does not load the others (`pharmacokinetics` loads scipy.special).
# The functions `survival` and `phenotype` are deliberately not re-exported here: those names belong to the submodules
# `chemorad.chain.survival` and `chemorad.chain.phenotype`, and binding a function to them would shadow the module.
_WHERE = {
    "Environment": "survival",
    "Phenotype": "phenotype",
    "dose_for_survival": "survival",
    "from_array": "phenotype",
    "plasma_exposure": "exposure",
    "population_survival": "survival",
    "resistance_factors": "specificity",
    "verdicts": "specificity",
}

__all__ = [
    "Environment",
    "Phenotype",
    "dose_for_survival",
    "from_array",
    "plasma_exposure",
    "population_survival",
    "resistance_factors",
    "verdicts",
]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
