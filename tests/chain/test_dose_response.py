"""The hoisted survival function (`dose_response`) and the stacked bisection (`doses_for_survival`) give exactly the
numbers of the straightforward computation: `survival` called afresh at every step of a per-therapy bisection.

Bit-for-bit (assert_array_equal, not allclose): the split only moves dose-independent work out of the loop and stacks
elementwise operations, so no floating-point operation changes. The phenotypes and environments are drawn to reach
every branch: radiation (with and without a late-S share, phase-resolved), drugs with a penetration length
(doxorubicin), hypoxic activation (mitomycin C), an oxygen-dependent kill (bleomycin, the anthracyclines),
phase-specific drugs in and out of their phases, negative activities (losses), pO2 0 and inf, per-cell arrays.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from chemorad.catalog import catalog
from chemorad.catalog.registry import Modality
from chemorad.catalog.schema import Phase
from chemorad.chain.phenotype import from_array, phenotype
from chemorad.chain.survival import (
    DrugResponse,
    Environment,
    RadiationResponse,
    dose_for_survival,
    dose_response,
    doses_for_survival,
    survival,
)
from chemorad.errors import ChemoradError

CAT = catalog()
THERAPIES = list(CAT.therapies)
N_MECH = len(CAT.mechanisms)


def bisect_by_survival(therapy: str, target: float, ph, env, lo: float = 1e-6, hi: float = 1e6) -> np.ndarray:
    """The straightforward bisection: `survival` (validation, modifiers, parameters and all) at each of 61 steps."""
    a = np.full(ph.n, np.log(lo))
    b = np.full(ph.n, np.log(hi))
    reachable = survival(CAT, therapy, hi, ph, env) <= target
    for _ in range(60):
        mid = 0.5 * (a + b)
        above = survival(CAT, therapy, np.exp(mid), ph, env) > target
        a = np.where(above, mid, a)
        b = np.where(above, b, mid)
    return np.where(reachable, np.exp(0.5 * (a + b)), np.inf)


def target_of(therapy: str) -> float:
    return 0.1 if CAT.therapies[therapy].modality == Modality.radiation else 0.5


@st.composite
def cases(draw):
    """(phenotype, environment, therapies): activities in [-3, 3] with exact zeros, pO2 scalar or per cell."""
    n = draw(st.integers(1, 5))
    acts = draw(st.lists(st.sampled_from([0.0, 0.0, -3.0, -1.0, -0.3, 0.4, 1.0, 2.5]), min_size=n * N_MECH,
                         max_size=n * N_MECH))  # fmt: skip
    ph = from_array(CAT, np.reshape(acts, (n, N_MECH)))
    po2_value = st.sampled_from([0.0, 0.5, 3.0, 10.0, 40.0, np.inf]) | st.floats(0.0, 200.0)
    po2 = draw(po2_value | st.lists(po2_value, min_size=n, max_size=n).map(np.array))
    distance = draw(
        st.sampled_from([0.0, 40.0]) | st.lists(st.floats(0.0, 200.0), min_size=n, max_size=n).map(np.array)
    )
    phase = draw(st.none() | st.sampled_from(list(Phase)))
    g = draw(st.sampled_from([1.0, 0.6]))
    therapies = draw(st.lists(st.sampled_from(THERAPIES), min_size=1, max_size=6, unique=True))
    return ph, Environment(po2_mmhg=po2, distance_um=distance, phase=phase, g=g), therapies


@settings(max_examples=30, deadline=None)
@given(cases())
def test_stacked_and_single_bisections_equal_the_straightforward_one_bit_for_bit(case) -> None:
    ph, env, therapies = case
    expected = [bisect_by_survival(t, target_of(t), ph, env) for t in therapies]
    for t, want in zip(therapies, expected, strict=True):
        assert_array_equal(dose_for_survival(CAT, t, target_of(t), ph, env), want)
    stacked = doses_for_survival([dose_response(CAT, t, ph, env) for t in therapies], [target_of(t) for t in therapies])
    for got, want in zip(stacked, expected, strict=True):
        assert_array_equal(got, want)


def test_every_therapy_in_every_environment_at_once() -> None:
    """All catalog therapies in one stack (radiation among the drugs), per-cell pO2 and distance, every phase."""
    rng = np.random.default_rng(7)
    a = rng.normal(0.0, 1.5, (12, N_MECH)) * (rng.random((12, N_MECH)) < 0.4)
    a[0] = 0.0
    ph = from_array(CAT, a)
    envs = [
        Environment(),
        Environment(po2_mmhg=np.linspace(0.0, 80.0, 12), distance_um=np.linspace(0.0, 150.0, 12)),
        Environment(po2_mmhg=np.inf),
        *(Environment(po2_mmhg=2.0, phase=p) for p in Phase),
    ]
    for env in envs:
        responses = [dose_response(CAT, t, ph, env) for t in THERAPIES]
        stacked = doses_for_survival(responses, 0.5)
        assert stacked.shape == (len(THERAPIES), 12)
        for t, got in zip(THERAPIES, stacked, strict=True):
            assert_array_equal(got, bisect_by_survival(t, 0.5, ph, env))


@settings(max_examples=30, deadline=None)
@given(cases(), st.sampled_from([0.0, 1e-4, 0.3, 2.0, 60.0, 1e6]))
def test_a_dose_response_is_survival_without_the_repeated_work(case, dose) -> None:
    ph, env, therapies = case
    for t in therapies:
        resp = dose_response(CAT, t, ph, env)
        assert isinstance(resp, RadiationResponse if CAT.therapies[t].modality == Modality.radiation else DrugResponse)
        assert_array_equal(resp(np.asarray(dose)), survival(CAT, t, dose, ph, env))


def test_population_axes_broadcast_as_before() -> None:
    """pO2 on its own axis (compartments x cells, as `population_survival` passes it): the bisection's shape is the
    broadcast shape, as in the straightforward loop (cisplatin, which reads neither, keeps one row)."""
    ph = phenotype(CAT, {"efflux_abcb1": np.array([0.0, 1.0, -1.0])})
    env = Environment(po2_mmhg=np.array([[0.5], [40.0]]), distance_um=np.array([[0.0], [60.0]]))
    for t in ("radiotherapy", "doxorubicin", "mitomycin_c", "cisplatin"):
        want = bisect_by_survival(t, 0.5, ph, env)
        assert_array_equal(dose_for_survival(CAT, t, 0.5, ph, env), want)
        assert_array_equal(doses_for_survival([dose_response(CAT, t, ph, env)], 0.5)[0], want)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: survival(CAT, "radiotherapy", -1.0, phenotype(CAT)), "dose_gy must be finite and >= 0 (got -1.0)"),
        (lambda: survival(CAT, "cisplatin", -2.0, phenotype(CAT)), "conc_um must be finite and >= 0 (got -2.0)"),
        (lambda: survival(CAT, "cisplatin", np.nan, phenotype(CAT)), "dose must be finite (got nan)"),
        (
            lambda: survival(CAT, "radiotherapy", 2.0, phenotype(CAT), Environment(po2_mmhg=-5.0)),
            "po2_mmhg must be >= 0 (inf allowed) (got -5.0)",
        ),
        (
            lambda: survival(CAT, "cisplatin", 1.0, phenotype(CAT), Environment(distance_um=np.array([0.0, -1.0]))),
            "distance_um must be finite and >= 0 (got -1.0 at position 1 of 2)",
        ),
        (
            lambda: dose_for_survival(CAT, "radiotherapy", 0.1, phenotype(CAT), Environment(po2_mmhg=np.nan)),
            "po2_mmhg must be >= 0 (inf allowed) (got nan)",
        ),
        (lambda: dose_for_survival(CAT, "radiotherapy", 0.1, phenotype(CAT), hi=-1.0), "dose_gy must be finite"),
        (lambda: dose_for_survival(CAT, "cisplatin", 0.5, phenotype(CAT), hi=np.inf), "dose must be finite (got inf)"),
        (lambda: dose_for_survival(CAT, "cisplatin", 1.5, phenotype(CAT)), "target_sf must be in (0, 1) (got 1.5)"),
        (lambda: doses_for_survival([dose_response(CAT, "cisplatin", phenotype(CAT))], 0.0), "target_sf"),
        (lambda: doses_for_survival([dose_response(CAT, "cisplatin", phenotype(CAT))], [0.5, 0.5]), "1 dose response"),
        (
            lambda: doses_for_survival(
                [dose_response(CAT, "cisplatin", phenotype(CAT)), dose_response(CAT, "cisplatin", phenotype(CAT, n=2))],
                0.5,
            ),
            "different sizes",
        ),
    ],
)
def test_bad_inputs_keep_their_messages(call, message) -> None:
    with pytest.raises(ChemoradError) as err:
        call()
    assert message in str(err.value)
