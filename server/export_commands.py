"""``collectief exporters`` and ``collectief export`` (E1–E3), without a running server.

* ``exporters`` lists the loaded exporters (name, title, extension, media type, options) and the
  plugins that failed to load (name: error) or that the allow-list leaves out. Exit 0.
* ``export`` converts a stored borderel (``--collectivity NUMBER --month YYYY-MM``) or a ``.dat``
  file (``--dat FILE``, docs/formats/borderel-dat.md) with any loaded exporter into ``--output``.
  The file is written to a temporary file next to it and renamed only when complete, so a refusal
  or a failure leaves no output (and an existing file untouched).

Exit codes of ``export``: 0 written; 1 the exporter reported problems (printed, with the insured
to fix) or failed; 2 bad input (unknown exporter, bad option, unreadable ``.dat``, unknown
collectivity, no borderel that month).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from exporters.borderel import Borderel
from exporters.dat import DatError, parse_dat
from exporters.exporter import Exporter, InvalidOptions, Option, UnknownExporter
from exporters.registry import Registry
from exporters.running import ExportFailed, run_export
from resolvers.borderel_exports import borderel_model_by_number
from resolvers.errors import DomainError
from resolvers.months import parse_month
from schema.types.exports import option_text
from storage import create_engine, create_session_factory

from .app import load_registry, prepare_database
from .settings import Settings


class CommandError(Exception):
    """Bad input: printed as ``collectief: …``, exit code 2."""


def _option_line(option: Option) -> str:
    facts = [option.kind.value.lower()]
    if option.required:
        facts.append("required")
    elif option.default is not None:
        text = option_text(option.default)
        facts.append(f"default {text}" if text else 'default ""')
    if option.choices:
        facts.append("one of " + "|".join(option.choices))
    return f"      {option.name} ({', '.join(facts)}): {option.description}"


def exporters_text(registry: Registry) -> str:
    lines = ["Exporters:"]
    for name in sorted(registry.exporters):
        exporter = registry.exporters[name]
        lines.append(
            f"  {name}  {exporter.title} (.{exporter.extension}, {exporter.media_type}; "
            f"plugin {registry.providers.get(name, '?')})"
        )
        if exporter.options:
            lines.append("    options:")
            lines += [_option_line(option) for option in exporter.options]
    lines.append("Failed plugins:" if registry.failures else "Failed plugins: none")
    lines += [f"  {failure.plugin}: {failure.error}" for failure in registry.failures]
    if registry.not_allowed:
        lines.append(
            "Installed but not in COLLECTIEF_EXPORTERS: " + ", ".join(registry.not_allowed)
        )
    return "\n".join(lines)


def list_exporters(settings: Settings) -> int:
    print(exporters_text(load_registry(settings)))
    return 0


def parse_options(pairs: Sequence[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        name = name.strip()
        if not equals or not name:
            raise CommandError(f"--option {pair!r}: expected name=value")
        if name in options:
            raise CommandError(f"--option {name!r} is given more than once")
        options[name] = value
    return options


async def _stored_borderel(settings: Settings, number: str, month_text: str) -> Borderel:
    try:
        month = parse_month(month_text)
    except DomainError:
        raise CommandError(f"--month {month_text!r}: expected YYYY-MM") from None
    engine = create_engine(settings.effective_database_url)
    try:
        await prepare_database(settings, engine)
        async with create_session_factory(engine)() as db:
            return await borderel_model_by_number(db, number, month)
    except DomainError as error:
        if error.field == "collectivity":
            raise CommandError(f"no collectivity numbered {number!r}") from None
        raise CommandError(f"collectivity {number} has no borderel for {month_text}") from None
    finally:
        await engine.dispose()


def _dat_borderel(path: str) -> Borderel:
    try:
        content = Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return parse_dat(content)
    except DatError as error:
        raise CommandError(f"{path} is not a borderel .dat file: {error}") from None


def _write_atomically(output: str, content: bytes) -> None:
    if output == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    target = Path(output)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


async def export(
    settings: Settings,
    *,
    exporter_name: str,
    dat: str | None,
    collectivity: str | None,
    month: str | None,
    option_pairs: Sequence[str],
    output: str,
) -> int:
    registry = load_registry(settings)
    try:
        exporter: Exporter = registry.get(exporter_name)
    except UnknownExporter:
        loaded = ", ".join(sorted(registry.exporters)) or "none"
        raise CommandError(
            f"no exporter named {exporter_name!r} is loaded (loaded: {loaded})"
        ) from None
    options = parse_options(option_pairs)
    if output != "-" and not Path(output).parent.is_dir():
        raise CommandError(f"--output {output}: the directory does not exist")
    if dat is not None:
        borderel = _dat_borderel(dat)
    else:
        if collectivity is None or month is None:
            raise CommandError("give --dat FILE, or --collectivity NUMBER with --month YYYY-MM")
        borderel = await _stored_borderel(settings, collectivity, month)
    try:
        result = await run_export(
            exporter,
            borderel,
            options,
            timeout=settings.export_timeout_seconds,
            options_from_text=True,
        )
    except InvalidOptions as error:
        raise CommandError(str(error)) from None
    except ExportFailed as error:
        print(f"collectief: export failed, nothing written: {error}", file=sys.stderr)
        return 1
    if result.problems:
        print(
            f"collectief: {exporter.name} refused the borderel, nothing written. "
            f"{len(result.problems)} problem(s) to fix:",
            file=sys.stderr,
        )
        for problem in result.problems:
            who = ""
            if problem.insured is not None:
                policy = problem.policy_number or problem.insured.policy_number
                who = f" [{problem.insured.display_name}, policy {policy}]"
            print(f"  {problem.code}{who}: {problem.message}", file=sys.stderr)
        return 1
    assert result.content is not None
    _write_atomically(output, result.content)
    if output != "-":
        print(
            f"Wrote {output}: {len(result.content)} bytes, {exporter.name}, "
            f"{len(borderel.lines)} borderel lines."
        )
    return 0
