"""What a new password must be (A3, NIST SP 800-63B-4): pure rules and their settings."""

from __future__ import annotations

import fnmatch
import gzip
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from resolvers.errors import DomainError, ErrorCode
from resolvers.password_policy import (
    MAX_LENGTH,
    PasswordPolicy,
    check_new_password,
    common_passwords,
    password_length,
)
from server.app import portal_rules
from server.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = PasswordPolicy()
EMAIL = "marieke.jansen@vandijkbouw.nl"


def _code(password: str, policy: PasswordPolicy = DEFAULT, email: str | None = EMAIL):
    try:
        check_new_password(password, email=email, policy=policy, field="newPassword")
    except DomainError as error:
        # Every rule reports on the input field, so a form can show it there.
        return error.code if error.field == "newPassword" else f"wrong field {error.field}"
    return None


@pytest.mark.parametrize(
    "password",
    [
        "fiets bakker regen",  # a passphrase with spaces
        "zonderhoofdletters",  # no composition rules
        "1234567890123457",  # only digits, but not a listed one
        "🚲🚲🚲 op de dijk naar huis",  # any Unicode
        "x" * MAX_LENGTH,  # the longest allowed
    ],
)
def test_a3_long_enough_passwords_are_accepted_without_composition_rules(password: str) -> None:
    assert _code(password) is None


@pytest.mark.parametrize("password", ["", "kort", "veertien-tekst"])
def test_a3_shorter_than_15_is_too_short(password: str) -> None:
    assert len(password) < 15
    assert _code(password) is ErrorCode.PASSWORD_TOO_SHORT


def test_a3_too_short_message_carries_the_minimum() -> None:
    with pytest.raises(DomainError) as caught:
        check_new_password("kort", email=None, policy=PasswordPolicy(min_length=12))
    assert caught.value.params == {"minimum": 12}


def test_a3_at_most_128_code_points_are_accepted() -> None:
    assert _code("x" * (MAX_LENGTH + 1)) is ErrorCode.PASSWORD_TOO_LONG
    assert _code("x" * 5000) is ErrorCode.PASSWORD_TOO_LONG


def test_a3_length_counts_code_points_after_nfkc() -> None:
    composed, decomposed = "é" * 15, "e\u0301" * 15  # é as one and as two code points
    assert len(decomposed) == 30
    assert password_length(composed) == password_length(decomposed) == 15
    assert _code(decomposed) is None
    # NFKC: the ligature "ﬁ" is two letters, so 8 of them are 16 characters.
    assert _code("ﬁ" * 8) is None
    assert _code("x" * 127 + "ﬁ") is ErrorCode.PASSWORD_TOO_LONG


@pytest.mark.parametrize(
    "password",
    ["1q2w3e4r5t6y7u8i9o0p", "123456789987654321", "1Q2W3E4R5T6Y7U8I9O0P", "friend of emily"],
)
def test_a3_common_passwords_are_refused_case_insensitively(password: str) -> None:
    assert _code(password) is ErrorCode.PASSWORD_TOO_COMMON


def test_a3_with_a_lower_minimum_the_list_matters_more() -> None:
    policy = PasswordPolicy(min_length=8)
    assert _code("Password1", policy) is ErrorCode.PASSWORD_TOO_COMMON
    assert _code("qwertyuiop", policy) is ErrorCode.PASSWORD_TOO_COMMON
    assert _code("fiets-regen", policy) is None


def test_a3_the_bundled_list_is_djangos_20000_and_ships_as_package_data() -> None:
    raw = resources.files("resolvers").joinpath("data", "common-passwords.txt.gz").read_bytes()
    lines = gzip.decompress(raw).decode().splitlines()
    assert len(lines) > 19_000
    assert common_passwords() == frozenset(lines)
    assert {"password", "123456", "qwerty"} <= common_passwords()
    licence = resources.files("resolvers").joinpath("data", "LICENSE-django.txt").read_text()
    assert "Django Software Foundation" in licence


@pytest.mark.parametrize(
    "password",
    [
        "marieke.jansen is mijn naam",
        "MARIEKE.JANSEN-2026-wachtwoord",
        "geheim marieke.jansen@vandijkbouw.nl",
    ],
)
def test_a3_password_containing_the_local_part_is_refused(password: str) -> None:
    assert _code(password) is ErrorCode.PASSWORD_CONTAINS_EMAIL


def test_a3_local_part_rule_needs_three_characters_and_the_whole_local_part() -> None:
    assert _code("marieke op de fiets naar huis") is None  # only part of the local part
    assert _code("jo gaat op de fiets naar huis", email="jo@vandijkbouw.nl") is None
    assert _code("jan gaat op de fiets naar huis", email="jan@vandijkbouw.nl") is (
        ErrorCode.PASSWORD_CONTAINS_EMAIL
    )


def test_a3_min_length_comes_from_settings_and_defaults_to_15() -> None:
    assert portal_rules(Settings.from_env({})).password_policy.min_length == 15
    settings = Settings.from_env(
        {"COLLECTIEF_REQUIRE_TWO_FACTOR": "true", "COLLECTIEF_PASSWORD_MIN_LENGTH": "8"}
    )
    assert portal_rules(settings).password_policy.min_length == 8
    raised = Settings.from_env({"COLLECTIEF_PASSWORD_MIN_LENGTH": "20"})
    assert portal_rules(raised).password_policy.min_length == 20


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"COLLECTIEF_PASSWORD_MIN_LENGTH": "12"}, "only when COLLECTIEF_REQUIRE_TWO_FACTOR"),
        (
            {"COLLECTIEF_PASSWORD_MIN_LENGTH": "7", "COLLECTIEF_REQUIRE_TWO_FACTOR": "true"},
            "at least 8",
        ),
        ({"COLLECTIEF_PASSWORD_MIN_LENGTH": "129"}, "at most 128"),
        ({"COLLECTIEF_PASSWORD_MIN_LENGTH": "vijftien"}, "whole number"),
    ],
)
def test_a3_unsafe_minimum_is_refused_at_startup(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ)


def test_a3_policy_itself_refuses_a_minimum_below_8() -> None:
    with pytest.raises(ValueError, match="between 8 and 128"):
        PasswordPolicy(min_length=7)


def test_a3_the_list_and_its_licence_are_package_data_of_the_wheel() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["resolvers"]
    for name in ("common-passwords.txt.gz", "LICENSE-django.txt"):
        assert (ROOT / "resolvers" / "data" / name).is_file()
        assert any(fnmatch.fnmatch(f"data/{name}", p) for p in patterns), name
