"""The scoring reference stored in the parse cache (`profile.reference_store`): read back exactly equal to a fresh
computation, keyed by the catalog's markers and the code; a damaged or inconsistent entry is refused and replaced."""

from dataclasses import replace

import pandas as pd
import pytest

from chemorad.bundle.cache import cache_dir
from chemorad.catalog.load import catalog
from chemorad.evidence import scores as sc
from chemorad.profile import activities, reference_store


def _fresh(cat, data):
    plan, tissue, raw, markers = sc.bundle_markers(cat, data)
    return plan, tissue, raw, sc.mechanism_raw(markers, plan.members)


def _counting(cat, data):
    calls = []

    def compute():
        calls.append(1)
        return _fresh(cat, data)

    return compute, calls


def _assert_parts_equal(got, want):
    (gp, gt, gr, gm), (wp, wt, wr, wm) = got, want
    pd.testing.assert_frame_equal(gp.coverage, wp.coverage, check_exact=True)
    assert gp.members == wp.members and list(gp.members) == list(wp.members)
    assert list(gp.features) == list(wp.features)
    for name, series in wp.features.items():
        pd.testing.assert_series_equal(gp.features[name], series, check_exact=True)
    pd.testing.assert_series_equal(gt, wt, check_exact=True)
    pd.testing.assert_frame_equal(gr, wr, check_exact=True)
    pd.testing.assert_frame_equal(gm, wm, check_exact=True)


@pytest.fixture(scope="module")
def fresh(shared_data):
    return _fresh(catalog(), shared_data)


def _entries(cat):
    return sorted(cache_dir().glob(f"reference-{reference_store.reference_key(cat)}-*.arrow"))


def test_stored_reference_equals_a_fresh_computation(shared_data, fresh):
    cat = catalog()
    for _ in range(2):  # the first call may compute and store; the second reads the stored tables
        got = reference_store.stored(cat, shared_data, _counting(cat, shared_data)[0])
        _assert_parts_equal(got, fresh)
    compute, calls = _counting(cat, shared_data)
    _assert_parts_equal(reference_store.stored(cat, shared_data, compute), fresh)
    assert calls == [] and _entries(cat)
    ref = activities.reference(cat, shared_data)
    want = sc.mechanism_scores(cat, shared_data)
    pd.testing.assert_frame_equal(ref.markers, want.markers, check_exact=True)
    pd.testing.assert_frame_equal(ref.scores, want.scores, check_exact=True)


def test_damaged_entry_is_refused_and_replaced(shared_data, fresh):
    cat = catalog()
    reference_store.stored(cat, shared_data, _counting(cat, shared_data)[0])
    entries = _entries(cat)
    assert len(entries) == 7
    # truncated; replaced, not rewritten in place, as the cache itself writes (a process may have the file mapped)
    damaged = entries[0].with_suffix(".damaged")
    damaged.write_bytes(entries[0].read_bytes()[:200])
    damaged.replace(entries[0])
    compute, calls = _counting(cat, shared_data)
    _assert_parts_equal(reference_store.stored(cat, shared_data, compute), fresh)
    assert calls == [1]
    compute, calls = _counting(cat, shared_data)
    _assert_parts_equal(reference_store.stored(cat, shared_data, compute), fresh)
    assert calls == []  # replaced


def test_inconsistent_entry_is_refused_and_replaced(shared_data, fresh):
    """Readable Arrow tables under the right key whose contents do not fit together are computed again."""
    from chemorad.bundle import datasets as ds

    cat = catalog()
    key = (reference_store.reference_key(cat),)
    for e in _entries(cat):
        e.unlink()
    frames = list(reference_store.encode(*fresh))
    frames[4] = frames[4].iloc[:-3]  # the long feature table loses rows
    ds.cached_frames("reference", key, shared_data, lambda: tuple(frames))
    compute, calls = _counting(cat, shared_data)
    _assert_parts_equal(reference_store.stored(cat, shared_data, compute), fresh)
    assert calls == [1]
    compute, calls = _counting(cat, shared_data)
    reference_store.stored(cat, shared_data, compute)
    assert calls == []


def test_changed_marker_is_a_new_key_never_the_old_entry(shared_data):
    cat = catalog()
    mid, mech = next((k, m) for k, m in cat.mechanisms.items() if len(m.markers) > 1)
    flipped = [mech.markers[0].model_copy(update={"sign": -mech.markers[0].sign}), *mech.markers[1:]]
    other = replace(cat, mechanisms={**cat.mechanisms, mid: mech.model_copy(update={"markers": flipped})})
    assert reference_store.reference_key(other) != reference_store.reference_key(cat)
    reference_store.stored(cat, shared_data, _counting(cat, shared_data)[0])
    compute, calls = _counting(other, shared_data)
    got = reference_store.stored(other, shared_data, compute)
    assert calls == [1]
    _assert_parts_equal(got, _fresh(other, shared_data))


def test_key_covers_the_catalog_markers_and_the_code(monkeypatch):
    cat = catalog()
    key = reference_store.reference_key(cat)
    assert reference_store.reference_key(replace(cat, therapies={})) == key  # therapies do not enter the plan
    monkeypatch.setattr(reference_store, "CODE", (*reference_store.CODE, "chemorad.bundle.cache"))
    assert reference_store.reference_key(cat) != key
