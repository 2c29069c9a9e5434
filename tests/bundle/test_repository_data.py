"""A clone on its own: with no --data, no $CHEMORAD_DATA and no ../shared/data, the repository's data/ is found and
the main job's evidence stage (the claim verdicts `chemorad demo` writes in its stage 4) runs on it.

The whole demo takes 7 to 10 minutes on 2 busy cores (its stages 3 and 5 are simulation and bootstrap, not data), so
the suite runs the data-dependent stage through its command; the full demo from a fresh clone is checked by hand
(README, "Data").
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from chemorad.bundle import datasets as ds
from chemorad.cli import app
from chemorad.context import Context

pytestmark = [pytest.mark.data, pytest.mark.slow]


@pytest.fixture
def repository_copy_alone(tmp_path, monkeypatch):
    """cwd in an empty folder, $CHEMORAD_DATA unset, and no shared folder beside the checkout."""
    monkeypatch.delenv(ds.ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    own = [c for c in ds._default_candidates() if "shared" not in c[1]]
    monkeypatch.setattr(ds, "_default_candidates", lambda: own)
    return ds.repository_data().resolve()


def test_the_context_finds_the_repository_copy(repository_copy_alone):
    bundle = Context.create().bundle
    assert bundle.path == repository_copy_alone and bundle.found_by == "the repository's data/ folder"
    assert all(r["ok"] for r in bundle.verify())


def test_the_evidence_stage_runs_on_the_repository_copy(repository_copy_alone):
    res = CliRunner().invoke(app, ["evidence", "claims", "--format", "json"])
    assert res.exit_code == 0, res.output
    verdicts = json.loads(res.stdout)
    assert len(verdicts) > 20 and {"mechanism", "verdict"} <= set(verdicts[0])
