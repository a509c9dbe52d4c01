"""docs/plugins.md documents every hook with its exact signature (E5).

Each hook of ``exporters.hookspecs`` must appear in the guide as a ``def`` line inside a ```python
block, and that line must give the same signature (names, kinds, defaults, annotations) as the hook
specification. A documented hook that does not exist fails too. Pure test: no database.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import exporters.hookspecs as hookspecs
from exporters.hookspecs import PROJECT_NAME

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"
_PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
_HOOK_DEF = re.compile(r"^def (collectief_\w+)\(.*\).*:$", re.MULTILINE)


def specified_hooks() -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(function)
        for name, function in vars(hookspecs).items()
        if callable(function) and hasattr(function, f"{PROJECT_NAME}_spec")
    }


def documented_hooks(text: str) -> dict[str, list[inspect.Signature]]:
    found: dict[str, list[inspect.Signature]] = {}
    for block in _PYTHON_BLOCK.findall(text):
        for match in _HOOK_DEF.finditer(block):
            # Compiled with postponed annotations, like hookspecs.py: annotations stay as text.
            namespace: dict[str, object] = {}
            source = f"from __future__ import annotations\n{match.group(0)}\n    pass\n"
            exec(compile(source, str(GUIDE), "exec"), namespace)  # noqa: S102 (our own docs)
            found.setdefault(match.group(1), []).append(
                inspect.signature(namespace[match.group(1)])
            )  # type: ignore[arg-type]
    return found


def test_there_are_hooks_to_document() -> None:
    assert {"collectief_register_exporters", "collectief_exporter_api_version"} <= set(
        specified_hooks()
    )


def test_every_hook_is_documented_with_its_exact_signature() -> None:
    documented = documented_hooks(GUIDE.read_text(encoding="utf-8"))
    for name, signature in specified_hooks().items():
        assert name in documented, f"hook {name} is not documented in docs/plugins.md"
        assert documented[name] == [signature], (
            f"docs/plugins.md documents {name}{documented[name][0]}, "
            f"the hook specification is {name}{signature}"
        )
        assert f"### `{name}`" in GUIDE.read_text(encoding="utf-8"), f"no section for {name}"
    assert set(documented) <= set(specified_hooks()), (
        f"documented hooks that do not exist: {sorted(set(documented) - set(specified_hooks()))}"
    )


def test_a_wrong_signature_is_noticed() -> None:
    """The comparison itself can fail: a changed return type or an extra argument differ."""
    [right] = documented_hooks(
        "```python\ndef collectief_register_exporters() -> list[Exporter]:\n```"
    )["collectief_register_exporters"]
    [wrong_return] = documented_hooks(
        "```python\ndef collectief_register_exporters() -> list[object]:\n```"
    )["collectief_register_exporters"]
    [extra_argument] = documented_hooks(
        "```python\ndef collectief_register_exporters(borderel) -> list[Exporter]:\n```"
    )["collectief_register_exporters"]
    specified = specified_hooks()["collectief_register_exporters"]
    assert right == specified
    assert wrong_return != specified
    assert extra_argument != specified
