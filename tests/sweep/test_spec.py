"""The sweep file: validation of paths, ranges, designs and arms, with one-line errors naming the input."""

from __future__ import annotations

import pytest
from _sweep_cases import TINY, tiny_sweep
from hypothesis import given, settings
from hypothesis import strategies as st

from chemorad.catalog import catalog
from chemorad.errors import ChemoradError
from chemorad.sweep.design import design_points
from chemorad.sweep.paths import check_path, leaf_paths, with_values
from chemorad.sweep.spec import parse_sweep


def test_valid_sweep_resolves_arms_and_integer_parameters() -> None:
    sw = parse_sweep(tiny_sweep())
    assert list(sw.arms) == ["rt", "cis_rt"]
    assert sw.arms["cis_rt"]["schedule"][0]["kind"] == "drug"
    assert sw.integer == {"tumour.hypoxic_fraction": False, "tumour.doubling_time_days": False}
    one_arm = parse_sweep(
        tiny_sweep(arms=[{"name": "rt"}], parameters=[{"path": "schedule.0.fractions", "low": 2, "high": 5}])
    )
    assert one_arm.integer == {"schedule.0.fractions": True}


def test_a_path_must_exist_in_every_arm() -> None:
    # the cis_rt arm replaced the schedule: item 0 is the drug there, which has no `fractions`
    with pytest.raises(ChemoradError, match=r"parameters\[0\] in arm cis_rt: unknown parameter path"):
        parse_sweep(tiny_sweep(parameters=[{"path": "schedule.0.fractions", "low": 2, "high": 5}]))


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"parameters": [{"path": "tumour.hypoxic_fracton", "low": 0.1, "high": 0.2}]}, "closest: tumour.hypoxic"),
        ({"parameters": [{"path": "tumour.hypoxic_fraction", "low": 0.4, "high": 0.1}]}, "low 0.4 > high 0.1"),
        ({"design": {"kind": "lhs", "samples": 0}}, "design.samples"),
        ({"design": {"kind": "sobol", "samples": 0}}, "design.samples"),
        ({"parameters": [{"path": "schedule.5.dose_gy", "low": 1, "high": 2}]}, "has items 0..0"),
        ({"parameters": [{"path": "tumour.hypoxic_fraction", "low": 0.1, "high": 1.5}]}, "= 1.5 in arm rt"),
        ({"parameters": [{"path": "name", "low": 0.1, "high": 0.2}]}, "is not a number"),
        ({"parameters": [{"path": "clones.0.activities.nhej_repiar", "low": 0, "high": 1}]}, "closest: nhej_repair"),
        ({"parameters": []}, "needs at least one parameter"),
        ({"design": {"kind": "grid"}}, "a grid parameter needs values"),
        ({"design": {"kind": "cohort", "members": 3, "tissue": "lung", "mechanisms": ["hr_repiar"]}}, "hr_repair"),
        ({"arms": [{"name": "a"}, {"name": "a"}]}, "unique"),
        ({"arms": [{"name": "a", "set": {"tumour.hypoxic_fraction": 2}}]}, "arms[0] (a)"),
        ({"replicates": 0}, "replicates"),
    ],
)
def test_bad_sweeps_name_the_field(override: dict, needle: str) -> None:
    with pytest.raises(ChemoradError) as exc:
        parse_sweep(tiny_sweep(**override), "s.yaml")
    msg = str(exc.value)
    assert needle in msg and msg.startswith("s.yaml") and "\n" not in msg


def test_activity_paths_are_catalog_mechanisms() -> None:
    tree = parse_sweep(tiny_sweep()).arms["rt"]
    assert check_path(tree, "clones.0.activities.nhej_repair", "x", catalog()) is False
    assert "tumour.hypoxic_fraction" in leaf_paths(tree)


@settings(max_examples=30, deadline=None)
@given(value=st.floats(0.0, 1.0), index=st.integers(0, 2))
def test_with_values_sets_exactly_one_field(value: float, index: int) -> None:
    base = {"a": {"b": 1.0}, "l": [1, 2, 3]}
    out = with_values(base, {"a.b": value, f"l.{index}": 9})
    assert out["a"]["b"] == value and out["l"][index] == 9 and base == {"a": {"b": 1.0}, "l": [1, 2, 3]}


@settings(max_examples=20, deadline=None)
@given(
    low=st.floats(0.01, 0.3),
    width=st.floats(0.0, 0.5),
    n=st.integers(1, 30),
    seed=st.integers(0, 2**16),
    kind=st.sampled_from(["lhs", "sobol"]),
)
def test_sampled_points_stay_in_range_and_are_reproducible(low, width, n, seed, kind) -> None:
    raw = tiny_sweep(
        parameters=[{"path": "tumour.hypoxic_fraction", "low": low, "high": min(low + width, 1.0)}],
        design={"kind": kind, "samples": n},
        seed=seed,
    )
    sw = parse_sweep(raw)
    d = design_points(sw)
    x = d["tumour.hypoxic_fraction"]
    assert len(d) == (n if kind == "lhs" else 3 * n)
    assert (x >= low - 1e-12).all() and (x <= min(low + width, 1.0) + 1e-12).all()
    assert d.equals(design_points(sw))


def test_grid_is_the_cartesian_product() -> None:
    raw = tiny_sweep(
        parameters=[
            {"path": "tumour.hypoxic_fraction", "values": [0.1, 0.2]},
            {"path": "schedule.0.fractions", "low": 2, "high": 4, "num": 3},
        ],
        design={"kind": "grid"},
        arms=[{"name": "rt"}],
    )
    d = design_points(parse_sweep(raw))
    assert len(d) == 6 and sorted(set(d["schedule.0.fractions"])) == [2, 3, 4]
    assert d["schedule.0.fractions"].dtype.kind == "i"


def test_inline_base_must_be_a_valid_scenario() -> None:
    with pytest.raises(ChemoradError, match="base: schedule"):
        parse_sweep(tiny_sweep(base={**TINY, "schedule": [{"kind": "radiotherapy", "dose_gy": -1, "fractions": 1}]}))
