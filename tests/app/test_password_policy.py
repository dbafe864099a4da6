"""The password policy as plain rules: every rule, the presets, the YAML's parameters over a
preset, and the Chinese of every message (no Flask, no database)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from babel.support import Translations
from werkzeug.security import generate_password_hash

from app.hooks import CATALOGUE
from app.hooks.password_policy import (
    HAS_USERNAME,
    IN_HISTORY,
    NEEDS,
    PRESETS,
    SAME_AS_CURRENT,
    TOO_COMMON,
    TOO_LONG,
    TOO_SHORT,
    PasswordRejected,
    Policy,
    check_password,
    common_passwords,
    enforce,
    english,
)
from generator import load_spec
from generator.spec import HookRef

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = PRESETS["default"]
GOOD = "Xq7#mLp2vR"


def fast_hash(password: str) -> str:
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


def test_a_good_password_breaks_no_rule() -> None:
    assert check_password(DEFAULT, GOOD, "zhangsan") == []


@pytest.mark.parametrize("password,broken", [
    ("Xq7#mLp", [TOO_SHORT]),  # 7 characters
    ("Xq7#mLp2", []),  # exactly 8
    ("Xq7#" + "a" * 60, []),  # exactly 64
    ("Xq7#" + "a" * 61, [TOO_LONG]),  # 65
])
def test_length(password: str, broken: list[str]) -> None:
    assert check_password(DEFAULT, password, "zhangsan") == broken


@pytest.mark.parametrize("password,missing", [
    ("xq7#mlp2vr", ["upper"]),
    ("XQ7#MLP2VR", ["lower"]),
    ("Xqz#mLpavR", ["digit"]),
    ("Xq7zmLp2vR", ["special"]),
    ("abcdefghij", ["upper", "digit", "special"]),
])
def test_character_classes(password: str, missing: list[str]) -> None:
    assert check_password(DEFAULT, password, "zhangsan") == [NEEDS[m] for m in missing]


def test_special_characters_include_spaces_and_chinese() -> None:
    assert check_password(DEFAULT, "Xq7 mLp2vR", "zhangsan") == []
    assert check_password(DEFAULT, "Xq7药mLp2vR", "zhangsan") == []


def test_classes_can_be_relaxed() -> None:
    relaxed = Policy.from_params({"classes": ["lower", "digit"], "not_common": False})
    assert check_password(relaxed, "abcdefg1", "zhangsan") == []
    assert check_password(relaxed, "ABCDEFG1", "zhangsan") == [NEEDS["lower"]]


@pytest.mark.parametrize("password", ["Zhangsan@2024", "x1#ZHANGSANq", "zhangsan#X9"])
def test_not_the_user_name_in_any_case(password: str) -> None:
    assert check_password(DEFAULT, password, "zhangsan") == [HAS_USERNAME]


def test_short_user_names_are_not_searched_and_the_rule_can_be_off() -> None:
    assert check_password(DEFAULT, "Xq7#mLp2vRab", "ab") == []
    off = Policy.from_params({"not_username": False})
    assert check_password(off, "Zhangsan@2024", "zhangsan") == []


def test_not_a_common_password_in_any_case() -> None:
    assert "p@ssw0rd" in common_passwords()
    assert check_password(DEFAULT, "P@ssw0rd", "zhangsan") == [TOO_COMMON]
    assert check_password(DEFAULT, "P@SSW0RD", "zhangsan") == [NEEDS["lower"], TOO_COMMON]
    assert check_password(Policy.from_params({"not_common": False}), "P@ssw0rd", "x") == []


def test_the_common_list_is_shipped_and_credited() -> None:
    text = (ROOT / "app" / "hooks" / "data" / "common_passwords.txt").read_text("utf-8")
    assert "zxcvbn" in text and "MIT License" in text
    words = common_passwords()
    assert len(words) == 10_000 and "12345" not in words  # shorter than any policy allows
    assert {"password", "12345678", "1qaz2wsx", "qwertyuiop"} <= words


def test_history_of_the_last_n() -> None:
    hashes = [fast_hash(f"Old#{n}pass") for n in range(7)]  # newest first
    policy = Policy.from_params({"history": 5})
    assert check_password(policy, "Old#0pass", "x", hashes) == [IN_HISTORY]
    assert check_password(policy, "Old#4pass", "x", hashes) == [IN_HISTORY]
    assert check_password(policy, "Old#5pass", "x", hashes) == []  # the 6th: allowed again
    assert check_password(policy, GOOD, "x", hashes) == []


def test_the_current_password_always_counts() -> None:
    current = [fast_hash(GOOD), fast_hash("Old#1pass")]
    for history in (0, 1):
        policy = Policy.from_params({"history": history})
        assert check_password(policy, GOOD, "x", current) == [SAME_AS_CURRENT]
        assert check_password(policy, "Old#1pass", "x", current) == []


def test_every_broken_rule_is_reported_at_once() -> None:
    assert check_password(DEFAULT, "zhang", "zhang") == [
        TOO_SHORT, NEEDS["upper"], NEEDS["digit"], NEEDS["special"], HAS_USERNAME]
    assert check_password(DEFAULT, "password", "li") == [
        NEEDS["upper"], NEEDS["digit"], NEEDS["special"], TOO_COMMON]


def test_enforce_raises_with_every_problem_and_english_text() -> None:
    with pytest.raises(PasswordRejected) as info:
        enforce(DEFAULT, "short", "x")
    assert info.value.problems[0] == TOO_SHORT
    assert english(info.value.problems, DEFAULT)[0] == (
        "The password must have at least 8 characters.")
    enforce(DEFAULT, GOOD, "x")


def test_presets() -> None:
    default, seed, strict = PRESETS["default"], PRESETS["seed_8_20"], PRESETS["strict"]
    assert (default.min_length, default.max_length, default.classes) == (
        8, 64, ("upper", "lower", "digit", "special"))
    assert (default.not_username, default.not_common, default.history, default.expiry_days,
            default.change_first_login, default.lockout_attempts, default.lockout_minutes,
            default.idle_minutes, default.captcha, default.unused_days) == (
        True, True, 5, 90, True, 5, 10, 30, True, 90)
    assert (seed.min_length, seed.max_length) == (8, 20)
    assert Policy(preset="seed_8_20", max_length=20) == seed
    assert check_password(seed, "Xq7#" + "a" * 17, "x") == [TOO_LONG]  # 21
    assert check_password(default, "Xq7#" + "a" * 17, "x") == []
    assert (strict.min_length, strict.history, strict.expiry_days, strict.lockout_attempts,
            strict.lockout_minutes, strict.idle_minutes) == (12, 10, 60, 5, 30, 15)
    assert check_password(strict, GOOD, "x") == [TOO_SHORT]  # 10 < 12


def test_parameters_override_the_preset() -> None:
    policy = Policy.from_params({"preset": "strict", "history": 3, "captcha": False})
    assert (policy.preset, policy.min_length, policy.history, policy.captcha) == (
        "strict", 12, 3, False)
    # deployment overrides come last and may name another preset
    later = Policy.from_params({"preset": "strict", "history": 3}, {"preset": "seed_8_20"})
    assert (later.max_length, later.history, later.min_length) == (20, 3, 8)
    with pytest.raises(ValueError, match="greater than max_length"):
        Policy.from_params({"preset": "seed_8_20", "min_length": 24})
    with pytest.raises(ValueError, match="unknown password policy parameter"):
        Policy.from_params({"max_lenght": 30})


def test_no_yaml_hook_means_the_default_preset() -> None:
    class NoHooks:
        def hook(self, name: str) -> Any:
            return None

    assert Policy.from_spec(NoHooks()) == DEFAULT
    assert Policy.from_spec(NoHooks(), {"captcha": False}) == Policy(captcha=False)


def test_the_yaml_names_a_preset_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "entities.yaml").write_text("""
hooks:
  password_policy: {preset: seed_8_20, history: 3, lockout_minutes: 15}
module: m
entities:
  Report:
    fields:
      title: string
""", encoding="utf-8")
    spec = load_spec(tmp_path / "entities.yaml", CATALOGUE)
    policy = Policy.from_spec(spec)
    assert (policy.preset, policy.max_length, policy.history, policy.lockout_minutes,
            policy.expiry_days) == ("seed_8_20", 20, 3, 15, 90)
    ref = HookRef("password_policy", (("preset", "strict"), ("idle_minutes", 5)))
    assert Policy.from_params(ref.as_dict).idle_minutes == 5


def test_the_yaml_cannot_ask_for_a_minimum_above_the_maximum() -> None:
    hook = CATALOGUE["password_policy"]
    assert hook.check_params({"preset": "seed_8_20", "min_length": 24})[1] == {
        "min_length": ["min_length 24 is greater than max_length 20"]}
    assert hook.check_params({"min_length": 24})[1] == {}
    assert "preset" in hook.check_params({"preset": "lax"})[1]


def test_every_message_has_its_chinese() -> None:
    zh = Translations.load(str(ROOT / "translations"), ["zh"])
    values = DEFAULT.placeholders()
    messages = [TOO_SHORT, TOO_LONG, *NEEDS.values(), HAS_USERNAME, TOO_COMMON,
                SAME_AS_CURRENT, IN_HISTORY]
    for msgid in messages:
        chinese = zh.gettext(msgid) % values
        assert chinese != msgid % values and "%" not in chinese, msgid
    assert zh.gettext(TOO_SHORT) % values == "密码至少需要 8 个字符。"
