"""generator/spec_cache.py: a start reuses the checked Spec only while the YAML files, the
files their `include:` patterns match and the checking code are what it was made of."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import SchemaError, load_spec
from generator import spec_cache as cache

ROOT = """\
include: [modules/*.yaml]
module: base
label: {zh: 基础}
entities:
  Item:
    label: {zh: 条目}
    fields:
      name: {type: string, max: 50, label: {zh: 名称}}
"""
MODULE = """\
module: extra
label: {zh: 扩展}
entities:
  Note:
    label: {zh: 备注}
    fields:
      text: {type: string, max: %d, label: {zh: 内容}}
"""


@pytest.fixture
def schema(tmp_path: Path) -> Path:
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "extra.yaml").write_text(MODULE % 20, encoding="utf-8")
    path = tmp_path / "entities.yaml"
    path.write_text(ROOT, encoding="utf-8")
    return path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The schemas read from YAML (not from the cache)."""
    seen: list[str] = []
    real = cache.load

    def load(path: str) -> Any:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(cache, "load", load)
    return seen


def start(schema: Path, folder: Path, sources: tuple[Path, ...] = ()) -> Any:
    return cache.load_spec_cached(str(schema), None, str(folder), sources)


def test_an_unchanged_schema_is_not_read_again(schema: Path, tmp_path: Path,
                                               reads: list[str]) -> None:
    first = start(schema, tmp_path / "cache")
    again = start(schema, tmp_path / "cache")
    assert reads == [str(schema)]
    assert again == first == load_spec(str(schema))


def test_an_edited_root_file_is_read_again(schema: Path, tmp_path: Path,
                                           reads: list[str]) -> None:
    start(schema, tmp_path / "cache")
    schema.write_text(ROOT.replace("max: 50", "max: 60"), encoding="utf-8")
    spec = start(schema, tmp_path / "cache")
    assert len(reads) == 2
    assert spec.entity("base.Item").field("name").max == 60


def test_an_edited_or_new_included_file_is_read_again(schema: Path, tmp_path: Path,
                                                      reads: list[str]) -> None:
    start(schema, tmp_path / "cache")
    (tmp_path / "modules" / "extra.yaml").write_text(MODULE % 30, encoding="utf-8")
    assert start(schema, tmp_path / "cache").entity("extra.Note").field("text").max == 30
    (tmp_path / "modules" / "more.yaml").write_text(
        (MODULE % 40).replace("extra", "more"), encoding="utf-8")
    assert start(schema, tmp_path / "cache").entity("more.Note").field("text").max == 40
    (tmp_path / "modules" / "more.yaml").unlink()
    assert "more" not in {m.key for m in start(schema, tmp_path / "cache").modules}
    assert len(reads) == 4


def test_changed_checking_code_is_read_again(schema: Path, tmp_path: Path,
                                             reads: list[str]) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "catalogue.py").write_text("LIMIT = 1\n", encoding="utf-8")
    start(schema, tmp_path / "cache", (hooks,))
    start(schema, tmp_path / "cache", (hooks,))
    (hooks / "catalogue.py").write_text("LIMIT = 2\n", encoding="utf-8")
    start(schema, tmp_path / "cache", (hooks,))
    assert len(reads) == 2


def test_a_schema_with_problems_is_reported_every_time(schema: Path, tmp_path: Path,
                                                       reads: list[str]) -> None:
    schema.write_text(ROOT.replace("type: string", "type: strang"), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(SchemaError) as raised:
            start(schema, tmp_path / "cache")
        assert "strang" in str(raised.value)
    assert len(reads) == 2
    assert not list((tmp_path / "cache").glob("*.pickle"))


def test_a_damaged_entry_is_ignored(schema: Path, tmp_path: Path, reads: list[str]) -> None:
    start(schema, tmp_path / "cache")
    [entry] = (tmp_path / "cache").glob("*.pickle")
    entry.write_bytes(entry.read_bytes()[:100])
    assert start(schema, tmp_path / "cache") == load_spec(str(schema))
    assert len(reads) == 2


def test_no_folder_no_cache(schema: Path, reads: list[str]) -> None:
    cache.load_spec_cached(str(schema), None, None)
    cache.load_spec_cached(str(schema), None, "")
    assert len(reads) == 2
