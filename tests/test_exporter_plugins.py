"""The exporter plugin system (E1, E2, E5): loading, allow-list, broken plugins, options, running.

Pure tests: no database (they do not use the ``backend`` fixture, so they run once).
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from exporters.borderel import Borderel
from exporters.exporter import BaseExporter, InvalidOptions, Option, Problem, validate_options
from exporters.hookspecs import ENTRY_POINT_GROUP, PLUGIN_API_VERSION
from exporters.raet import RaetExporter
from exporters.registry import BUILTINS, api_version_refusal, load_exporters
from exporters.running import ExportFailed, ExportTimedOut, run_export
from exporters.testing import check_exporter, standard_borderel

from .plugin_packages import FakePlugins, install_example

GOOD_PLUGIN = """
    from exporters.exporter import BaseExporter
    from exporters.hookspecs import hookimpl

    class Good(BaseExporter):
        name = "{exporter}"
        title = "Good"
        extension = "txt"
        media_type = "text/plain"

        def write(self, borderel, options, stream):
            stream.write(b"good")

    @hookimpl
    def collectief_register_exporters():
        return [Good()]
"""


@pytest.fixture
def fake_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePlugins:
    (tmp_path / "site").mkdir()
    return FakePlugins(tmp_path / "site", monkeypatch)


@pytest.fixture(scope="session")
def example_installed() -> None:
    install_example()


def failures_of(registry: Any, plugin: str) -> list[str]:
    return [failure.error for failure in registry.failures if failure.plugin == plugin]


def builtin_providers() -> dict[str, str]:
    """The built-in exporters (RAET and the E4 formats) by name, with their modules."""
    return dict(load_exporters(allow=set()).providers)


# ---- loading (E1) ------------------------------------------------------------------------------


def test_builtins_are_registered_through_the_hook() -> None:
    registry = load_exporters(allow=set())
    assert "exporters.raet" in BUILTINS
    assert isinstance(registry.get("raet"), RaetExporter)
    assert registry.providers["raet"] == "exporters.raet"
    assert registry.plugins[0] == "exporters.raet"
    assert registry.failures == ()


def test_example_package_is_discovered_through_its_entry_point(example_installed: None) -> None:
    [entry_point] = [
        ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == "hello"
    ]
    assert entry_point.dist is not None
    assert entry_point.dist.name == "collectief-exporter-example"
    registry = load_exporters(allow={"hello"})
    hello = registry.get("hello")
    assert type(hello).__module__ == "collectief_exporter_example"
    assert registry.providers == {**builtin_providers(), "hello": "hello"}
    assert registry.failures == ()


def test_example_package_passes_the_conformance_kit(example_installed: None) -> None:
    registry = load_exporters(allow={"hello"})
    check_exporter(registry.get("hello"), plugin_name="hello")


def test_allow_list_loads_only_the_named_plugins(fake_plugins: FakePlugins) -> None:
    alpha = fake_plugins.add("alpha", GOOD_PLUGIN.format(exporter="alpha"))
    beta = fake_plugins.add("beta", GOOD_PLUGIN.format(exporter="beta"))

    registry = load_exporters(allow={"alpha", "ghost"})

    assert set(registry.exporters) == {*builtin_providers(), "alpha"}
    assert "beta" in registry.not_allowed
    assert alpha in sys.modules
    assert beta not in sys.modules  # not even imported
    assert failures_of(registry, "ghost") == ["named in the allow-list but not installed"]

    everything = load_exporters()
    assert {"raet", "alpha", "beta"} <= set(everything.exporters)
    assert everything.not_allowed == ()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import no_such_module_for_collectief\n", "cannot be loaded: ModuleNotFoundError"),
        ("raise SystemExit(3)\n", "cannot be loaded: SystemExit: 3"),
        (
            """
            from exporters.hookspecs import hookimpl

            @hookimpl
            def collectief_register_exporters():
                raise RuntimeError("database of the vendor is down")
            """,
            "raised in its hook: RuntimeError: database of the vendor is down",
        ),
        (
            """
            from exporters.hookspecs import hookimpl

            @hookimpl
            def collectief_register_exporter():
                return []
            """,
            "implements unknown hooks: collectief_register_exporter",
        ),
        ("X = 1\n", "implements no collectief hook"),
        (
            """
            from exporters.hookspecs import hookimpl

            @hookimpl
            def collectief_register_exporters():
                return "raet"
            """,
            "collectief_register_exporters returned str, not a list",
        ),
        (
            """
            from exporters.hookspecs import hookimpl

            @hookimpl
            def collectief_exporter_api_version():
                return "2.0"

            @hookimpl
            def collectief_register_exporters():
                raise AssertionError("must not be asked for exporters")
            """,
            f"written for plugin API 2.0, this portal offers {PLUGIN_API_VERSION}",
        ),
        (
            """
            from exporters.hookspecs import hookimpl

            class Bad:
                name = "Bad Name"
                title = ""
                extension = ".txt"
                media_type = "text"
                options = [1]

            @hookimpl
            def collectief_register_exporters():
                return [Bad()]
            """,
            "exporter 'Bad Name' refused: name 'Bad Name' must match",
        ),
    ],
    ids=[
        "import-error",
        "system-exit",
        "hook-raises",
        "unknown-hook",
        "no-hooks",
        "not-a-list",
        "api-version",
        "malformed-exporter",
    ],
)
def test_broken_plugin_is_reported_and_skipped(
    fake_plugins: FakePlugins, source: str, expected: str
) -> None:
    fake_plugins.add("broken", source)
    fake_plugins.add("good", GOOD_PLUGIN.format(exporter="good"))

    registry = load_exporters(allow={"broken", "good"})

    [error] = failures_of(registry, "broken")
    assert error.startswith(expected), error
    assert "broken" not in registry.providers.values()
    assert {*builtin_providers(), "good"} == set(registry.exporters)
    assert failures_of(registry, "good") == []


def test_malformed_exporter_lists_every_fault(fake_plugins: FakePlugins) -> None:
    fake_plugins.add(
        "sloppy",
        """
        from exporters.hookspecs import hookimpl

        class Sloppy:
            name = "sloppy"
            title = ""
            extension = ".txt"
            media_type = "text"
            options = [1]

        @hookimpl
        def collectief_register_exporters():
            return [Sloppy()]
        """,
    )
    [error] = failures_of(load_exporters(allow={"sloppy"}), "sloppy")
    for fault in (
        "title must be non-empty text",
        "extension '.txt' must be given without a dot",
        "media_type 'text' is not a media type",
        "problems() is missing",
        "write() is missing",
        "option 1 is not an Option",
    ):
        assert fault in error


def test_duplicate_exporter_name_keeps_the_first(fake_plugins: FakePlugins) -> None:
    fake_plugins.add("impostor", GOOD_PLUGIN.format(exporter="raet"))

    registry = load_exporters(allow={"impostor"})

    assert isinstance(registry.get("raet"), RaetExporter)
    assert failures_of(registry, "impostor") == [
        "exporter 'raet' skipped: plugin 'exporters.raet' already provides an exporter of that name"
    ]


def test_broken_builtin_is_reported_too() -> None:
    registry = load_exporters(allow=set(), builtins=("exporters.no_such_format", *BUILTINS))
    [failure] = registry.failures
    assert failure.plugin == "exporters.no_such_format"
    assert failure.error.startswith("cannot be loaded: ModuleNotFoundError")
    assert "raet" in registry.exporters


def test_unknown_exporter() -> None:
    with pytest.raises(Exception, match="No exporter named 'nope'") as raised:
        load_exporters(allow=set()).get("nope")
    assert getattr(raised.value, "code", None) == "UNKNOWN_EXPORTER"


@pytest.mark.parametrize(
    ("version", "refused"),
    [("1.0", False), (PLUGIN_API_VERSION, False), ("1.99", True), ("0.9", True), ("one", True)],
)
def test_plugin_api_version_compatibility(version: str, refused: bool) -> None:
    assert (api_version_refusal(version) is not None) is refused


# ---- options (E2) ------------------------------------------------------------------------------


class Optioned(BaseExporter):
    name = "optioned"
    title = "Optioned"
    extension = "txt"
    media_type = "text/plain"
    options = (
        Option.string("code", "A code", required=True, pattern=r"[A-Z]{2}[0-9]{2}"),
        Option.string("label", "A label", default="x", max_length=5),
        Option.integer("width", "A width", default=10, minimum=1, maximum=80),
        Option.boolean("header", "A header", default=True),
        Option.choice("sep", "A separator", choices=(";", ","), default=";"),
    )


def test_options_get_their_defaults() -> None:
    assert validate_options(Optioned(), {"code": "AB12"}) == {
        "code": "AB12",
        "label": "x",
        "width": 10,
        "header": True,
        "sep": ";",
    }
    assert validate_options(Optioned(), {"code": "AB12", "width": None})["width"] == 10


@pytest.mark.parametrize(
    ("raw", "option", "reason"),
    [
        ({"code": "AB12", "colour": "red"}, "colour", "unknown option (known: code, label,"),
        ({}, "code", "required"),
        ({"code": "ab12"}, "code", "does not match the pattern"),
        ({"code": 1234}, "code", "expected text, got int"),
        ({"code": "AB12", "label": "toolong"}, "label", "must be at most 5 characters, got 7"),
        ({"code": "AB12", "width": "8"}, "width", "expected a whole number, got str"),
        ({"code": "AB12", "width": True}, "width", "expected a whole number, got bool"),
        ({"code": "AB12", "width": 81}, "width", "must be at most 80, got 81"),
        ({"code": "AB12", "width": 0}, "width", "must be at least 1, got 0"),
        ({"code": "AB12", "header": "yes"}, "header", "expected a boolean, got str"),
        ({"code": "AB12", "sep": "|"}, "sep", "must be one of ;, ,; got '|'"),
    ],
)
def test_invalid_options_name_exporter_option_and_reason(
    raw: dict[str, object], option: str, reason: str
) -> None:
    with pytest.raises(InvalidOptions) as raised:
        validate_options(Optioned(), raw)
    assert raised.value.exporter == "optioned"
    assert raised.value.option == option
    assert raised.value.code == "INVALID_EXPORT_OPTION"
    assert str(raised.value).startswith(f"Exporter 'optioned', option {option!r}: {reason}")


def test_options_from_text_are_parsed() -> None:
    raw = {"code": "AB12", "width": " 12", "header": "no"}
    resolved = validate_options(Optioned(), raw, from_text=True)
    assert (resolved["width"], resolved["header"]) == (12, False)
    with pytest.raises(InvalidOptions, match="'header': expected true or false"):
        validate_options(Optioned(), {"code": "AB12", "header": "maybe"}, from_text=True)


# ---- running (E1: off the event loop, with a time limit, nothing half-written) -----------------


class Scripted(BaseExporter):
    """An exporter whose problems and write do what a test tells them."""

    name = "scripted"
    title = "Scripted"
    extension = "txt"
    media_type = "text/plain"

    def __init__(self, *, problems: Any = None, write: Any = None) -> None:
        self._problems = problems
        self._write = write
        self.writes = 0

    def problems(self, borderel: Borderel, options: Mapping[str, Any]) -> list[Problem]:
        if callable(self._problems):
            return self._problems()
        return self._problems or []

    def write(self, borderel: Borderel, options: Mapping[str, Any], stream: BinaryIO) -> None:
        self.writes += 1
        if self._write is not None:
            self._write(stream)
        else:
            stream.write(b"complete")


async def test_run_export_returns_the_bytes() -> None:
    result = await run_export(Scripted(), standard_borderel(), timeout=5)
    assert result.ok
    assert (result.exporter, result.content, result.problems) == ("scripted", b"complete", ())


async def test_problems_are_returned_and_nothing_is_written() -> None:
    problem = Problem(code="MISSING_EMPLOYEE_NUMBER", message="J. van Dijk has none")
    exporter = Scripted(problems=[problem])
    result = await run_export(exporter, standard_borderel(), timeout=5)
    assert result.problems == (problem,)
    assert result.content is None
    assert not result.ok
    assert exporter.writes == 0


async def test_invalid_options_stop_before_any_plugin_code_runs() -> None:
    exporter = Scripted(problems=lambda: pytest.fail("plugin code ran"))
    with pytest.raises(InvalidOptions, match="'scripted', option 'colour'"):
        await run_export(exporter, standard_borderel(), {"colour": "red"}, timeout=5)


def _half_then_raise(stream: BinaryIO) -> None:
    stream.write(b"half of the file")
    raise OSError("vendor library crashed")


def _exit(stream: BinaryIO) -> None:
    raise SystemExit(1)


@pytest.mark.parametrize(
    ("exporter", "message"),
    [
        (Scripted(write=_half_then_raise), "failed: OSError: vendor library crashed"),
        (Scripted(write=_exit), "failed: SystemExit: 1"),
        (Scripted(write=lambda stream: stream.write("text")), "failed: TypeError"),
        (Scripted(write=lambda stream: stream.close()), "closed the stream it was given"),
        (Scripted(problems=lambda: 1 / 0), "failed: ZeroDivisionError"),
        (Scripted(problems=["not a problem"]), "returned problems that are not a list of Problem"),
    ],
    ids=[
        "raises-half-way",
        "system-exit",
        "writes-text",
        "closes-stream",
        "problems-raise",
        "bad-problems",
    ],
)
async def test_misbehaving_exporter_is_a_clear_failure(exporter: Scripted, message: str) -> None:
    with pytest.raises(ExportFailed) as raised:
        await run_export(exporter, standard_borderel(), timeout=5)
    assert raised.value.exporter == "scripted"
    assert raised.value.code == "EXPORT_FAILED"
    assert str(raised.value).startswith("Exporter 'scripted' ")
    assert message in str(raised.value)


async def test_hanging_exporter_times_out_and_its_late_output_is_discarded() -> None:
    release = threading.Event()
    late: list[BaseException | None] = []

    def hang(stream: BinaryIO) -> None:
        stream.write(b"first half")
        release.wait(10)
        try:
            stream.write(b"second half")
            late.append(None)
        except ValueError as error:  # the abandoned stream was closed
            late.append(error)

    exporter = Scripted(write=hang)
    started = time.monotonic()
    with pytest.raises(ExportTimedOut) as raised:
        await run_export(exporter, standard_borderel(), timeout=0.2)
    elapsed = time.monotonic() - started
    assert raised.value.code == "EXPORT_TIMED_OUT"
    assert str(raised.value) == (
        "Exporter 'scripted' did not finish within 0.2 seconds; its output is discarded"
    )
    assert 0.2 <= elapsed < 2

    # The abandoned thread goes on when it can; its writes fail and nothing reaches anyone.
    release.set()
    for _ in range(100):
        if late:
            break
        await asyncio.sleep(0.01)
    assert len(late) == 1
    assert isinstance(late[0], ValueError)

    # The next export runs normally: a hung plugin does not block the others.
    assert (await run_export(Scripted(), standard_borderel(), timeout=5)).content == b"complete"


async def test_slow_exporter_runs_off_the_event_loop() -> None:
    ticks = 0
    stop = asyncio.Event()

    async def tick() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    exporter = Scripted(write=lambda stream: (time.sleep(0.3), stream.write(b"slow")))
    result = await run_export(exporter, standard_borderel(), timeout=5)
    stop.set()
    await ticker
    assert result.content == b"slow"
    assert ticks >= 10  # the loop kept running while the plugin slept
