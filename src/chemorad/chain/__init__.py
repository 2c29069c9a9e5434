"""The damage chain: delivery -> damage -> fixation -> repair -> death.

Public API (see `docs/model.md`): `phenotype.phenotype`/`from_array` build mechanism activities; `survival.survival`,
`population_survival` and `dose_for_survival` compose the chain; `Environment` says where the cells are;
`resistance_factors`/`verdicts` compute specificity; `plasma_exposure` turns a clinical dose into an in-vitro-equivalent
concentration. Building blocks (pure, vectorised): `radiation`, `pharmacokinetics`, `microenvironment`, `validate`.
"""

from chemorad.chain.exposure import plasma_exposure
from chemorad.chain.phenotype import Phenotype, from_array
from chemorad.chain.specificity import resistance_factors, verdicts
from chemorad.chain.survival import Environment, dose_for_survival, population_survival

# The functions `survival` and `phenotype` are deliberately not re-exported here: those names belong to the submodules
# `chemorad.chain.survival` and `chemorad.chain.phenotype`, and binding a function to them would shadow the module.

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
