"""The private names of Flask-AppBuilder, Werkzeug and Flask-WTF the app depends on (all
listed in app/compat.py) are still what the code was written against."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from app.compat import PINNED, PRIVATE, digest


@pytest.mark.parametrize("package", sorted(PINNED))
def test_the_pinned_versions_are_installed(package: str) -> None:
    assert version(package) == PINNED[package], (
        f"{package} {version(package)} is installed, app/compat.py was checked against "
        f"{PINNED[package]}: review every entry of PRIVATE, then update PINNED and PRIVATE")


@pytest.mark.parametrize("target", sorted(PRIVATE))
def test_every_private_name_is_unchanged(target: str) -> None:
    assert digest(target) == PRIVATE[target], (
        f"{target} changed upstream: review its use in app/compat.py (and the code that "
        "calls it), then update its digest in PRIVATE")
