"""YAML -> raw data that remembers where every key came from.

The loader does no meaning-level checking: it reads files, follows `include:` globs and
records file and line of each mapping key, so that `checks` can point at the exact spot.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from typing import Any

import yaml


@dataclass(frozen=True)
class Location:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class Node(dict):
    """A YAML mapping that knows the file and line of itself and of each of its keys."""

    location: Location
    key_locations: dict[str, Location]

    def where(self, key: str | None = None) -> Location:
        if key is not None and key in self.key_locations:
            return self.key_locations[key]
        return self.location


class Seq(list):
    location: Location
    item_locations: list[Location]

    def where(self, index: int | None = None) -> Location:
        if index is not None and index < len(self.item_locations):
            return self.item_locations[index]
        return self.location


@dataclass
class LoadProblem:
    location: Location
    message: str


@dataclass
class Document:
    """One YAML file as loaded."""

    path: str  # as shown to people: relative to the root schema's folder
    data: Any


@dataclass
class Loaded:
    root: Document | None
    includes: list[Document] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)

    @property
    def documents(self) -> list[Document]:
        return ([self.root] if self.root else []) + self.includes


def _loader_for(display_path: str) -> type[yaml.SafeLoader]:
    class _Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Node:
        result = Node()
        result.location = Location(display_path, node.start_mark.line + 1)
        result.key_locations = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain values", key_node.start_mark
                )
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_locations[key] = Location(display_path, key_node.start_mark.line + 1)
        return result

    def construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> Seq:
        result = Seq(loader.construct_object(child, deep=True) for child in node.value)
        result.location = Location(display_path, node.start_mark.line + 1)
        result.item_locations = [Location(display_path, c.start_mark.line + 1) for c in node.value]
        return result

    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    return _Loader


def _read(path: str, display_path: str, problems: list[LoadProblem]) -> Document | None:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        problems.append(LoadProblem(Location(display_path, 0), f"cannot read file: {exc.strerror}"))
        return None
    try:
        data = yaml.load(text, Loader=_loader_for(display_path))  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or exc.context or "invalid YAML"
        problems.append(LoadProblem(Location(display_path, line), f"invalid YAML: {what}"))
        return None
    except UnicodeDecodeError:
        problems.append(LoadProblem(Location(display_path, 0), "file is not UTF-8 text"))
        return None
    return Document(display_path, data)


def load(path: str) -> Loaded:
    """Load the root schema file and every file its `include:` patterns name."""
    problems: list[LoadProblem] = []
    base = os.path.dirname(os.path.abspath(path))
    root = _read(path, os.path.basename(path), problems)
    loaded = Loaded(root, problems=problems)
    if root is None or not isinstance(root.data, Node):
        return loaded
    patterns = root.data.get("include") or []
    if not isinstance(patterns, list):
        return loaded  # reported by checks
    seen: set[str] = set()
    for index, pattern in enumerate(patterns):
        if not isinstance(pattern, str):
            continue  # reported by checks
        matches = sorted(glob.glob(os.path.join(base, pattern)))
        if not matches:
            where = patterns.where(index) if isinstance(patterns, Seq) else root.data.location
            problems.append(LoadProblem(where, f"include pattern '{pattern}' matches no file"))
        for match in matches:
            real = os.path.realpath(match)
            if real in seen or real == os.path.realpath(path):
                continue
            seen.add(real)
            doc = _read(match, os.path.relpath(match, base), problems)
            if doc is not None:
                loaded.includes.append(doc)
    return loaded
