"""The Dockerfile (H5): multi-stage, non-root, health check, runs ``collectief serve``.

Docker is not needed: the Dockerfile is parsed as text. No database either.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@dataclasses.dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def parse(text: str) -> list[Instruction]:
    """Instructions with line continuations joined and comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, arguments = full.partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
    assert not pending, "the Dockerfile ends in a line continuation"
    return instructions


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def exec_form(arguments: str) -> list[str]:
    """``["a", "b"]`` (exec form) or ``a b`` (shell form) as a list of words."""
    if arguments.startswith("["):
        value = json.loads(arguments)
        assert isinstance(value, list)
        return [str(v) for v in value]
    return shlex.split(arguments)


def without_flags(words: list[str]) -> list[str]:
    return [w for w in words if not w.startswith("--")]


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    return stages(instructions)[-1]


def test_h5_multi_stage(instructions: list[Instruction]) -> None:
    assert len(stages(instructions)) > 1


def test_h5_final_stage_runs_as_a_non_root_user(final_stage: list[Instruction]) -> None:
    users = [i.arguments for i in final_stage if i.keyword == "USER"]
    assert users, "the final stage sets no USER, so it runs as root"
    user = users[-1].split(":")[0].strip()
    assert user not in {"", "root", "0"}


def test_h5_health_check_hits_healthz_without_curl(final_stage: list[Instruction]) -> None:
    checks = [i.arguments for i in final_stage if i.keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/healthz" in checks[0]
    assert "urllib" in checks[0]  # slim images have no curl or wget
    assert "curl" not in checks[0]


def test_h5_container_runs_collectief_serve(final_stage: list[Instruction]) -> None:
    def last(keyword: str) -> list[str]:
        found = [i.arguments for i in final_stage if i.keyword == keyword]
        return exec_form(found[-1]) if found else []

    command = last("ENTRYPOINT") + last("CMD")
    assert command[:2] == ["collectief", "serve"]


def test_h5_final_stage_listens_on_8080_on_all_interfaces(final_stage: list[Instruction]) -> None:
    assert any(i.keyword == "EXPOSE" and "8080" in i.arguments.split() for i in final_stage)
    env = " ".join(i.arguments for i in final_stage if i.keyword == "ENV")
    assert "COLLECTIEF_HOST=0.0.0.0" in env
    assert "COLLECTIEF_ENVIRONMENT=production" in env


def _copy_sources(instructions: list[Instruction]) -> list[str]:
    sources: list[str] = []
    for instruction in instructions:
        if instruction.keyword not in {"COPY", "ADD"}:
            continue
        words = exec_form(instruction.arguments)
        if any(w.startswith("--from") for w in words):
            continue  # copies from another stage, not from the build context
        sources += without_flags(words)[:-1]
    return sources


def test_every_copy_source_exists_in_the_repository(instructions: list[Instruction]) -> None:
    sources = _copy_sources(instructions)
    assert sources
    missing = [s for s in sources if not (ROOT / s).exists()]
    assert missing == []


def test_every_copy_source_is_in_the_build_context(instructions: list[Instruction]) -> None:
    """The .dockerignore is an allow-list: a source it does not re-include is not sent."""
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert patterns[0] == "*"
    included = {p[1:].strip("/") for p in patterns if p.startswith("!")}
    for source in _copy_sources(instructions):
        top = Path(source).parts[0]
        assert top in included, f"{source} is excluded by .dockerignore"
