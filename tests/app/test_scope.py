"""app/security/scope.py on its own: the path range that stands for "within my jurisdiction",
the widest range a user's roles give on an entity, and the states hidden from reviewers (the
bundled schema's Spec, users as plain objects; the queries of every door: test_security.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask

from app.hooks import CATALOGUE
from app.security.scope import hidden_states, path_range, role_names, user_scope
from generator import load_spec
from generator.spec import Spec
from tests.conftest import ROOT


@dataclass
class Role:
    name: str


@dataclass
class User:
    roles: list[Role] = field(default_factory=list)


def user(*names: str) -> User:
    return User([Role(n) for n in names])


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(str(ROOT / "schema" / "entities.yaml"), CATALOGUE)


@pytest.fixture(autouse=True)
def app_context() -> Iterator[None]:
    app = Flask(__name__)
    app.config["AUTH_ROLE_ADMIN"] = "Admin"
    with app.app_context():
        yield


def test_the_range_holds_exactly_the_paths_below() -> None:
    low, high = path_range("/1/5/")
    assert (low, high) == ("/1/5/", "/1/50")
    inside = ["/1/5/", "/1/5/9/", "/1/5/10/77/"]
    outside = ["/1/5", "/1/50/", "/1/6/", "/1/4/9/", "/2/"]
    assert all(low <= p < high for p in inside)
    assert not any(low <= p < high for p in outside)


@pytest.mark.parametrize(("roles", "scope"), [
    (("institution",), "own"), (("county",), "jurisdiction"), (("province",), "jurisdiction"),
    (("national",), "all"), (("institution", "national"), "all"),  # the widest wins
    (("Admin",), "all"), (("agent",), None), ((), None)])
def test_the_widest_range_of_the_users_roles(spec: Spec, roles: tuple[str, ...],
                                             scope: str | None) -> None:
    assert user_scope(spec.entity("procurement.Demand"), user(*roles)) == scope


def test_nobody_signed_in_reaches_nothing(spec: Spec) -> None:
    assert user_scope(spec.entity("procurement.Demand"), None) is None
    assert hidden_states(spec.entity("procurement.Demand"), None) == []


def test_returned_rows_are_hidden_from_the_reviewers_only(spec: Spec) -> None:
    demand = spec.entity("procurement.Demand")
    for reviewer in ("county", "city", "province", "national"):
        assert hidden_states(demand, user(reviewer)) == ["returned"], reviewer
    assert hidden_states(demand, user("institution")) == []
    assert hidden_states(demand, user("county", "institution")) == []  # sees them as one
    assert hidden_states(demand, user("Admin")) == []
    assert hidden_states(demand, user("agent")) == []  # no grant on the entity at all
    assert hidden_states(spec.entity("procurement.Batch"), user("county")) == []  # no workflow


def test_role_names() -> None:
    assert role_names(user("county", "city")) == {"county", "city"}
    assert role_names(object()) == set()
