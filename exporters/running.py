"""Running an exporter off the event loop with a time limit (E1, E2).

``run_export`` is the one way the portal and the CLI run an exporter::

    result = await run_export(registry.get("raet"), borderel, {"identification": "12345678"},
                              timeout=60)
    if result.problems:      # refused: nothing written, show the problems (e.g. by insured)
        ...
    else:
        result.content       # the complete file as bytes

It validates the options (``InvalidOptions``), then, in one fresh daemon thread, asks the exporter
for its problems and, only if there are none, lets it write into a private ``BytesIO``. The bytes
are handed out only after ``write`` returned normally, so nothing half-written ever escapes.

A plugin that raises (anything, even ``SystemExit``), returns malformed problems, writes text
instead of bytes or closes the stream becomes :class:`ExportFailed` naming the exporter. One that
does not finish within ``timeout`` seconds becomes :class:`ExportTimedOut`. Python cannot kill a
thread: a hung plugin's thread is **abandoned** — its stream is closed (so further writes fail) and
whatever it produces later is discarded. It is a daemon thread, so it never blocks shutdown. A
fresh thread per run (not a shared pool) means a hung plugin cannot starve later exports.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import threading
from collections.abc import Mapping
from typing import Any

from .borderel import Borderel
from .exporter import Exporter, ExporterError, Problem, validate_options


class ExportFailed(ExporterError):
    """The exporter raised or misbehaved; the message names the exporter and what happened."""

    code = "EXPORT_FAILED"


class ExportTimedOut(ExportFailed):
    code = "EXPORT_TIMED_OUT"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ExportResult:
    """Either problems (the export was refused, ``content`` is None) or the file's bytes."""

    exporter: str
    options: Mapping[str, Any]
    problems: tuple[Problem, ...] = ()
    content: bytes | None = None

    @property
    def ok(self) -> bool:
        return self.content is not None


async def run_export(
    exporter: Exporter,
    borderel: Borderel,
    options: Mapping[str, object] | None = None,
    *,
    timeout: float,  # noqa: ASYNC109 (the plugin's limit, reported as ExportTimedOut)
    options_from_text: bool = False,
) -> ExportResult:
    """Validate ``options``, collect problems, and write the file, all within ``timeout`` seconds.

    Raises ``InvalidOptions`` (before any plugin code runs), ``ExportFailed`` or ``ExportTimedOut``.
    ``options_from_text`` parses text values of integer and boolean options (for the CLI).
    """
    resolved = validate_options(exporter, options, from_text=options_from_text)
    loop = asyncio.get_running_loop()
    done: asyncio.Future[tuple[tuple[Problem, ...], bytes | None]] = loop.create_future()
    stream = io.BytesIO()

    def settle(outcome: tuple[tuple[Problem, ...], bytes | None] | None, error: str | None) -> None:
        if done.done():  # timed out or cancelled: the late result is discarded
            return
        if error is not None:
            done.set_exception(ExportFailed(exporter.name, error))
        else:
            assert outcome is not None
            done.set_result(outcome)

    def work() -> None:
        try:
            outcome = _produce(exporter, borderel, resolved, stream)
        except _Misbehaved as fault:
            error: str | None = f"Exporter {exporter.name!r} {fault}"
            outcome = None
        except BaseException as raised:  # a plugin must not take anything down with it
            error = f"Exporter {exporter.name!r} failed: {type(raised).__name__}: {raised}"
            outcome = None
        else:
            error = None
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(settle, outcome, error)

    thread = threading.Thread(target=work, name=f"exporter-{exporter.name}", daemon=True)
    thread.start()
    try:
        problems, content = await asyncio.wait_for(done, timeout)
    except TimeoutError:
        stream.close()
        raise ExportTimedOut(
            exporter.name,
            f"Exporter {exporter.name!r} did not finish within {timeout:g} seconds; "
            "its output is discarded",
        ) from None
    except asyncio.CancelledError:
        stream.close()
        raise
    return ExportResult(
        exporter=exporter.name, options=resolved, problems=problems, content=content
    )


class _Misbehaved(Exception):
    pass


def _produce(
    exporter: Exporter, borderel: Borderel, options: Mapping[str, Any], stream: io.BytesIO
) -> tuple[tuple[Problem, ...], bytes | None]:
    problems = exporter.problems(borderel, options)
    if not isinstance(problems, list | tuple) or not all(
        isinstance(problem, Problem) for problem in problems
    ):
        raise _Misbehaved("returned problems that are not a list of Problem")
    if problems:
        return tuple(problems), None
    exporter.write(borderel, options, stream)
    if stream.closed:
        raise _Misbehaved("closed the stream it was given")
    return (), stream.getvalue()
