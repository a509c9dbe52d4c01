"""Every setting is documented (H2): docs/configuration.md and ``server.settings.Settings`` agree.

No database is needed.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from server.settings import PREFIX, Settings

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"

# Variables read by the test suite only (tests/databases.py); the doc lists them in their own section.
TEST_ONLY_PREFIX = f"{PREFIX}TEST_"

_MENTION = re.compile(rf"\b{PREFIX}[A-Z0-9_]*[A-Z0-9]\b")
_TABLE_ENTRY = re.compile(rf"^\|\s*`({PREFIX}[A-Z0-9_]+)`\s*\|", re.MULTILINE)


def _settings_variables() -> set[str]:
    return {PREFIX + field.name.upper() for field in dataclasses.fields(Settings)}


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_h2_every_setting_has_an_entry_in_the_configuration_doc() -> None:
    entries = set(_TABLE_ENTRY.findall(_doc()))
    missing = sorted(_settings_variables() - entries)
    assert missing == [], f"not documented in docs/configuration.md: {missing}"


def test_h2_the_configuration_doc_names_no_variable_that_settings_lacks() -> None:
    mentioned = {m for m in _MENTION.findall(_doc()) if not m.startswith(TEST_ONLY_PREFIX)}
    unknown = sorted(mentioned - _settings_variables())
    assert unknown == [], f"documented but not in server.settings.Settings: {unknown}"


def test_h2_each_setting_is_documented_once() -> None:
    entries = _TABLE_ENTRY.findall(_doc())
    duplicates = sorted({e for e in entries if entries.count(e) > 1})
    assert duplicates == []
