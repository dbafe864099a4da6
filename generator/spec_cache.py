"""The checked Spec kept between starts, keyed by what it was made of.

Reading and checking a large schema is a good part of a start-up, and its result depends only
on the YAML files, on the code that reads and checks them, and on the hook catalogue's code.
An entry holds the Spec (pickled) with the digest of each of these; it is used only while
every one of them is unchanged, so an edited YAML file, a new file matching an `include:`
pattern or a changed checker is read again, never served stale. A schema with problems is
never cached: its report is made afresh every time.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from generator.loader import Loaded, load
from generator.problems import SchemaError
from generator.spec import Spec

FORMAT = "1"  # bump when an entry's layout changes
GENERATOR = Path(__file__).resolve().parent


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_digest(folders: Iterable[str | Path]) -> str:
    """One digest of every Python source under `folders` (and of the Python version)."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version}".encode())
    for folder in folders:
        for path in sorted(Path(folder).rglob("*.py")):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _included(base: str, root: Any) -> list[str]:
    """The files the root's `include:` patterns match, as the loader globs them."""
    patterns = root.get("include") if isinstance(root, dict) else None
    if not isinstance(patterns, list):
        return []
    return [match for pattern in patterns if isinstance(pattern, str)
            for match in sorted(glob.glob(os.path.join(base, pattern)))]


def _read(path: str) -> str | None:
    try:
        return _digest(Path(path).read_bytes())
    except OSError:
        return None


def _entry_path(folder: str, path: str) -> str:
    return os.path.join(folder, f"spec-{_digest(os.path.abspath(path).encode())[:20]}.pickle")


def _valid(entry: Any, path: str, code: str) -> Spec | None:
    if not isinstance(entry, dict) or entry.get("code") != code:
        return None
    base = os.path.dirname(os.path.abspath(path))
    if _included(base, {"include": entry.get("patterns")}) != entry.get("matches"):
        return None  # a file appeared or went away under a pattern
    documents = entry.get("documents") or {}
    if _read(path) != entry.get("root") or any(
            _read(os.path.join(base, name)) != digest for name, digest in documents.items()):
        return None
    spec = entry.get("spec")
    return spec if isinstance(spec, Spec) else None


def load_spec_cached(path: str, hooks: Mapping[str, Any] | None, folder: str | None,
                     sources: Iterable[str | Path] = ()) -> Spec:
    """generator.load_spec through the cache in `folder` (None or "": no cache); `sources`
    are the folders of the hook catalogue's code, which key the entry too."""
    from generator.checks import check

    code = code_digest([GENERATOR, *sources]) if folder else ""
    entry_path = _entry_path(folder, path) if folder else ""
    if folder:
        try:
            with open(entry_path, "rb") as fh:
                cached = _valid(pickle.load(fh), path, code)  # noqa: S301 - our own folder
        except Exception:  # noqa: BLE001 - a missing, partial or outdated entry: read the YAML
            cached = None
        if cached is not None:
            return cached
    loaded = load(path)
    spec, problems = check(loaded, hooks)
    if problems or spec is None:
        raise SchemaError(problems)
    if folder:
        _store(folder, entry_path, loaded, code, spec)
    return spec


def _store(folder: str, entry_path: str, loaded: Loaded, code: str, spec: Spec) -> None:
    """The digests are those of the bytes the loader read: a file changed since is read again
    at the next start."""
    if loaded.root is None:
        return
    root = loaded.root.data
    entry = {"code": code, "root": loaded.root.digest,
             "patterns": root.get("include") if isinstance(root, dict) else None,
             "matches": _included(loaded.base, root),
             "documents": {doc.path: doc.digest for doc in loaded.includes}, "spec": spec}
    try:
        os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    except OSError:
        return  # a read-only folder: every start reads the YAML, as without a cache
    try:
        with os.fdopen(handle, "wb") as fh:
            pickle.dump(entry, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry_path)  # whole or not at all, for other processes too
    except Exception:  # noqa: BLE001 - no entry is only slower
        with contextlib.suppress(OSError):
            os.remove(temporary)
