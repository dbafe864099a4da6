"""Deterministic mutations of schema files for the checker's fuzz test: each mutant is the
shipped schema (or a test schema) with one value deleted, renamed, retyped or swapped."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ODD_VALUES: list[Any] = [None, "x", 0, -1, 3.5, True, False, [], {}, "2026-02-30", [1, "a"],
                         {"zh": 1}, {"x": {"y": []}}, "yes", "", "a" * 300, "-", "." , "a.b.c",
                         10**30, [None], {"fields": None}, "org", "state", "id"]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*prefix, index))


def _strings(data: Any) -> list[str]:
    out: list[str] = []
    for path in _paths(data):
        if path and isinstance(path[-1], str):
            out.append(path[-1])
    return sorted(set(out))


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def mutate(data: Any, rng: random.Random) -> Any:
    """One mutation of a copy of `data`."""
    data = yaml.safe_load(yaml.safe_dump(data, allow_unicode=True))
    paths = [p for p in _paths(data) if p]
    if not paths:
        return rng.choice(ODD_VALUES)
    path = rng.choice(paths)
    parent, last = _get(data, path[:-1]), path[-1]
    move = rng.randrange(5)
    if move == 0 and isinstance(parent, dict):
        del parent[last]
    elif move == 1 and isinstance(parent, dict):
        parent[f"{last}x" if rng.random() < 0.5 else rng.choice(_strings(data))] = \
            parent.pop(last)
    elif move == 2:
        parent[last] = rng.choice(ODD_VALUES)
    elif move == 3:
        parent[last] = rng.choice(_strings(data))
    else:
        other = _get(data, rng.choice(paths))
        parent[last] = yaml.safe_load(yaml.safe_dump(other, allow_unicode=True))
    return data


def mutants(root: Path, out: Path, count: int, seed: int = 2026) -> Iterator[Path]:
    """`count` schema folders under `out`, each a copy of `root`'s folder with one file
    mutated once; yields the root file of each."""
    rng = random.Random(seed)
    files = sorted(p for p in root.parent.rglob("*.yaml"))
    loaded = {p: yaml.safe_load(p.read_text(encoding="utf-8")) for p in files}
    for number in range(count):
        target = out / f"m{number:04d}"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(root.parent, target)
        victim = rng.choice(files)
        mutated = mutate(loaded[victim], rng)
        (target / victim.relative_to(root.parent)).write_text(
            yaml.safe_dump(mutated, allow_unicode=True, sort_keys=False), encoding="utf-8")
        yield target / root.name
