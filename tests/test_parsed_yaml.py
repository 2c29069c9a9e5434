"""`parsed_yaml.read_yaml_once`: the parsed catalog files are read back from the cache folder, never a stale or a
changed value."""

from __future__ import annotations

import datetime as dt

import pytest

from chemorad import parsed_yaml
from chemorad.catalog.load import load_catalog
from chemorad.errors import ChemoradError

TEXT = "- id: a\n  values: [1, 2.5, null, true]\n  note: x\n- id: b\n  nested: {k: v}\n"


def _parser_must_not_run(monkeypatch):
    def refuse(path, what):
        raise AssertionError(f"{path} was parsed again")

    monkeypatch.setattr(parsed_yaml, "read_yaml", refuse)


def test_the_second_read_of_the_same_content_is_not_parsed(tmp_path, monkeypatch):
    src, cache = tmp_path / "f.yaml", tmp_path / "cache"
    src.write_text(TEXT)
    first = parsed_yaml.read_yaml_once(src, "file", cache)
    assert first == [{"id": "a", "values": [1, 2.5, None, True], "note": "x"}, {"id": "b", "nested": {"k": "v"}}]
    assert len(list(cache.glob("yaml-*.json"))) == 1
    _parser_must_not_run(monkeypatch)
    assert parsed_yaml.read_yaml_once(src, "file", cache) == first


def test_an_edited_file_is_parsed_again(tmp_path):
    src, cache = tmp_path / "f.yaml", tmp_path / "cache"
    src.write_text(TEXT)
    parsed_yaml.read_yaml_once(src, "file", cache)
    src.write_text(TEXT.replace("note: x", "note: y"))
    assert parsed_yaml.read_yaml_once(src, "file", cache)[0]["note"] == "y"


def test_a_value_json_cannot_carry_exactly_is_not_kept(tmp_path):
    """A date (or an integer key) would come back as another type: such a file is parsed every time."""
    src, cache = tmp_path / "f.yaml", tmp_path / "cache"
    src.write_text("when: 2026-12-07\n1: one\n")
    value = parsed_yaml.read_yaml_once(src, "file", cache)
    assert value == {"when": dt.date(2026, 12, 7), 1: "one"}
    assert not list(cache.glob("yaml-*.json"))
    assert parsed_yaml.read_yaml_once(src, "file", cache) == value


def test_a_damaged_entry_is_ignored_and_replaced(tmp_path):
    src, cache = tmp_path / "f.yaml", tmp_path / "cache"
    src.write_text(TEXT)
    parsed_yaml.read_yaml_once(src, "file", cache)
    (entry,) = cache.glob("yaml-*.json")
    entry.write_text('[{"id": "a"')
    assert parsed_yaml.read_yaml_once(src, "file", cache)[1]["id"] == "b"
    assert entry.read_text().startswith('[{"id": "a", "values"')


def test_errors_are_the_parser_s_and_nothing_is_cached(tmp_path):
    src, cache = tmp_path / "f.yaml", tmp_path / "cache"
    src.write_text("a: 1\na: 2\n")
    with pytest.raises(ChemoradError, match="duplicate key 'a'"):
        parsed_yaml.read_yaml_once(src, "file", cache)
    with pytest.raises(ChemoradError, match="file .*missing.yaml not found"):
        parsed_yaml.read_yaml_once(tmp_path / "missing.yaml", "file", cache)
    assert not cache.exists()


def test_the_catalog_read_through_the_cache_equals_a_fresh_parse(tmp_path, monkeypatch):
    """The shipped catalog loaded from cached JSON is the catalog parsed from YAML (every mechanism, therapy,
    reference and perturbation)."""
    from importlib import resources
    from pathlib import Path

    folder = Path(str(resources.files("chemorad") / "catalog" / "data"))
    monkeypatch.setenv("CHEMORAD_CACHE", str(tmp_path))
    fresh = load_catalog(folder)
    assert len(list(tmp_path.glob("yaml-*.json"))) == 4
    _parser_must_not_run(monkeypatch)
    again = load_catalog(folder)
    for part in ("mechanisms", "therapies", "references", "perturbations"):
        assert getattr(again, part) == getattr(fresh, part), part
