"""YAML -> raw data that remembers where every key came from.

The loader does no meaning-level checking: it reads files, follows `include:` globs and
records file and line of each mapping key, so that `checks` can point at the exact spot.
"""

from __future__ import annotations

import glob
import hashlib
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


UNKNOWN = Location("?", 0)


class Node(dict):
    """A YAML mapping that knows the file and line of itself and of each of its keys."""

    location: Location = UNKNOWN
    key_locations: dict[str, Location] = {}  # noqa: RUF012 - each loaded Node sets its own

    def where(self, key: str | None = None) -> Location:
        if key is not None and key in self.key_locations:
            return self.key_locations[key]
        return self.location


class Seq(list):
    location: Location = UNKNOWN
    item_locations: list[Location] = []  # noqa: RUF012 - each loaded Seq sets its own

    def where(self, index: int | None = None) -> Location:
        if index is not None and index < len(self.item_locations):
            return self.item_locations[index]
        return self.location


@dataclass
class LoadProblem:
    location: Location
    message: str
    code: str = "SCHEMA-E001"
    path: str = "(file)"
    allowed: str = ""


class Reported(str):
    """A scalar the loader could not take as YAML meant it (an impossible date): kept as its
    text, already reported, so the checks do not report it again."""


YAML11_WORDS = frozenset({"yes", "no", "on", "off"})


@dataclass
class Document:
    """One YAML file as loaded."""

    path: str  # as shown to people: relative to the root schema's folder
    data: Any
    digest: str = ""  # sha256 of the bytes read (generator/spec_cache.py keys by it)


@dataclass
class Loaded:
    root: Document | None
    includes: list[Document] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    base: str = ""  # the root schema file's folder (documents' paths are relative to it)

    @property
    def documents(self) -> list[Document]:
        return ([self.root] if self.root else []) + self.includes


def _loader_for(display_path: str, problems: list[LoadProblem]) -> type[yaml.SafeLoader]:
    class _Loader(yaml.SafeLoader):
        pass

    def at(node: yaml.Node) -> Location:
        return Location(display_path, node.start_mark.line + 1)

    def construct_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
        # YAML 1.1 reads yes/no/on/off as true/false: `values: {yes: 公开}` would store True.
        word = str(node.value)
        if word.lower() in YAML11_WORDS:
            meaning = "true" if word.lower() in ("yes", "on") else "false"
            problems.append(LoadProblem(
                at(node), f"unquoted '{word}' is read as {meaning}", "SCHEMA-E028", "(value)",
                f"'{word}' in quotes for the text, or {meaning} for the yes/no value"))
        return bool(loader.construct_yaml_bool(node))

    def construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        try:
            return loader.construct_yaml_timestamp(node)
        except ValueError as exc:
            problems.append(LoadProblem(at(node), f"'{node.value}' is not a date that exists "
                                        f"({exc})", "SCHEMA-E029", "(value)",
                                        "a real date like 2026-02-28"))
            return Reported(node.value)

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Node:
        result = Node()
        result.location = Location(display_path, node.start_mark.line + 1)
        result.key_locations = {}
        for key_node, value_node in node.value:
            if (isinstance(key_node, yaml.ScalarNode) and key_node.value == "on"
                    and key_node.style is None):
                # the key of automatic rules (`on: {transition: fail}`), never a yes/no
                key: Any = "on"
            else:
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

    _Loader.add_constructor("tag:yaml.org,2002:bool", construct_bool)
    _Loader.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    return _Loader


def _read(path: str, display_path: str, problems: list[LoadProblem]) -> Document | None:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        problems.append(LoadProblem(Location(display_path, 0), f"cannot read file: {exc.strerror}"))
        return None
    try:
        # as a text-mode read would give it: universal newlines
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        data = yaml.load(text, Loader=_loader_for(display_path, problems))  # noqa: S506
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or exc.context or "invalid YAML"
        problems.append(LoadProblem(Location(display_path, line), f"invalid YAML: {what}"))
        return None
    except UnicodeDecodeError:
        problems.append(LoadProblem(Location(display_path, 0), "file is not UTF-8 text"))
        return None
    return Document(display_path, data, hashlib.sha256(raw).hexdigest())


def load(path: str) -> Loaded:
    """Load the root schema file and every file its `include:` patterns name."""
    problems: list[LoadProblem] = []
    base = os.path.dirname(os.path.abspath(path))
    root = _read(path, os.path.basename(path), problems)
    loaded = Loaded(root, problems=problems, base=base)
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
            problems.append(LoadProblem(where, f"include pattern '{pattern}' matches no file",
                                        "SCHEMA-E021", "include"))
        for match in matches:
            real = os.path.realpath(match)
            if real in seen or real == os.path.realpath(path):
                continue
            seen.add(real)
            doc = _read(match, os.path.relpath(match, base), problems)
            if doc is not None:
                loaded.includes.append(doc)
    return loaded
