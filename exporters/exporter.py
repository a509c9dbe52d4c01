"""What an exporter is (E2): metadata, declared options, problems before writing, bytes to a stream.

An exporter is any object with the attributes and methods of :class:`Exporter` (a ``Protocol``, so
a plugin needs no base class; :class:`BaseExporter` is a convenience). It is handed a read-only
:class:`~exporters.borderel.Borderel` and the options resolved by :func:`validate_options`:

1. ``problems(borderel, options)`` lists what stops the export (e.g. missing employee numbers);
   the portal shows them to the user and does **not** call ``write``.
2. ``write(borderel, options, stream)`` writes the whole file to a binary stream. It is synchronous
   and runs in a thread with a time limit (:mod:`exporters.running`); it must not close the stream.

Options are declared with :class:`Option` (``Option.string``, ``Option.integer``,
``Option.boolean``, ``Option.choice``). :func:`validate_options` turns raw values (from GraphQL, the
CLI or stored settings) into a complete dict of every declared option, or raises
:class:`InvalidOptions` naming the exporter, the option and the reason.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO, ClassVar, Protocol, runtime_checkable

from .borderel import Borderel, Insured

# An exporter's name: what users choose and what settings store. Lower case, stable.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


class ExporterError(Exception):
    """Base of every failure of the exporter layer; ``code`` is stable, the message is English."""

    code: ClassVar[str] = "EXPORT_FAILED"

    def __init__(self, exporter: str, message: str) -> None:
        super().__init__(message)
        self.exporter = exporter


class UnknownExporter(ExporterError):
    code = "UNKNOWN_EXPORTER"

    def __init__(self, exporter: str) -> None:
        super().__init__(exporter, f"No exporter named {exporter!r} is loaded")


class InvalidOptions(ExporterError):
    """An option is unknown, missing, of the wrong type or has an invalid value."""

    code = "INVALID_EXPORT_OPTION"

    def __init__(self, exporter: str, option: str, reason: str) -> None:
        super().__init__(exporter, f"Exporter {exporter!r}, option {option!r}: {reason}")
        self.option = option
        self.reason = reason


class OptionKind(enum.StrEnum):
    STRING = "STRING"
    INTEGER = "INTEGER"
    BOOLEAN = "BOOLEAN"
    CHOICE = "CHOICE"


_MISSING: Any = object()
_TRUE_TEXT = frozenset({"true", "yes", "on", "1"})
_FALSE_TEXT = frozenset({"false", "no", "off", "0"})


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """One declared option of an exporter.

    ``required`` options have no default: the user must give them (e.g. RAET's identification).
    Validation: ``max_length``/``min_length``/``pattern`` (a full match) for strings,
    ``minimum``/``maximum`` for integers, ``choices`` for choices.
    """

    name: str
    kind: OptionKind
    description: str
    default: str | int | bool | None = None
    required: bool = False
    choices: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None

    @classmethod
    def string(
        cls,
        name: str,
        description: str,
        *,
        default: str | None = None,
        required: bool = False,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
    ) -> Option:
        return cls(
            name=name,
            kind=OptionKind.STRING,
            description=description,
            default=default,
            required=required,
            min_length=min_length,
            max_length=max_length,
            pattern=pattern,
        )

    @classmethod
    def integer(
        cls,
        name: str,
        description: str,
        *,
        default: int | None = None,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> Option:
        return cls(
            name=name,
            kind=OptionKind.INTEGER,
            description=description,
            default=default,
            required=required,
            minimum=minimum,
            maximum=maximum,
        )

    @classmethod
    def boolean(cls, name: str, description: str, *, default: bool = False) -> Option:
        return cls(name=name, kind=OptionKind.BOOLEAN, description=description, default=default)

    @classmethod
    def choice(
        cls,
        name: str,
        description: str,
        *,
        choices: Sequence[str],
        default: str | None = None,
        required: bool = False,
    ) -> Option:
        return cls(
            name=name,
            kind=OptionKind.CHOICE,
            description=description,
            default=default,
            required=required,
            choices=tuple(choices),
        )

    def check(self, value: object, *, from_text: bool = False) -> str | int | bool:
        """The value, validated (and parsed from text when ``from_text``); ``ValueError`` if bad."""
        if self.kind is OptionKind.BOOLEAN:
            if from_text and isinstance(value, str):
                text = value.strip().lower()
                if text in _TRUE_TEXT:
                    return True
                if text in _FALSE_TEXT:
                    return False
                raise ValueError(f"expected true or false, got {value!r}")
            if not isinstance(value, bool):
                raise ValueError(f"expected a boolean, got {type(value).__name__}")
            return value
        if self.kind is OptionKind.INTEGER:
            if from_text and isinstance(value, str):
                try:
                    value = int(value.strip(), 10)
                except ValueError:
                    raise ValueError(f"expected a whole number, got {value!r}") from None
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"expected a whole number, got {type(value).__name__}")
            if self.minimum is not None and value < self.minimum:
                raise ValueError(f"must be at least {self.minimum}, got {value}")
            if self.maximum is not None and value > self.maximum:
                raise ValueError(f"must be at most {self.maximum}, got {value}")
            return value
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {type(value).__name__}")
        if self.kind is OptionKind.CHOICE:
            if value not in self.choices:
                raise ValueError(f"must be one of {', '.join(self.choices)}; got {value!r}")
            return value
        if self.min_length is not None and len(value) < self.min_length:
            raise ValueError(f"must be at least {self.min_length} characters")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValueError(f"must be at most {self.max_length} characters, got {len(value)}")
        if self.pattern is not None and re.fullmatch(self.pattern, value) is None:
            raise ValueError(f"does not match the pattern {self.pattern}: {value!r}")
        return value


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """Something that stops an export, reported before writing (E2).

    ``code`` is stable and upper case (e.g. ``MISSING_EMPLOYEE_NUMBER``); ``message`` is English for
    people; ``insured`` is the person to fix when the problem concerns one (for a missing employee
    number: the policyholder, or the first billed member of the family when the policyholder has no
    line); ``policy_number`` is the policyholder's policy number then.
    """

    code: str
    message: str
    insured: Insured | None = None
    policy_number: str | None = None


@runtime_checkable
class Exporter(Protocol):
    """The interface every exporter offers (E2). See the module docstring."""

    name: str  # stable id, ``NAME_PATTERN``, e.g. "raet"
    title: str  # for people, e.g. "Raet Payroll Business (batch input)"
    extension: str  # without the dot, e.g. "txt"
    media_type: str  # e.g. "text/plain"
    options: Sequence[Option]

    def problems(self, borderel: Borderel, options: Mapping[str, Any]) -> list[Problem]: ...

    def write(self, borderel: Borderel, options: Mapping[str, Any], stream: BinaryIO) -> None: ...


class BaseExporter:
    """Optional base class: class attributes for the metadata, no problems by default."""

    name: ClassVar[str]
    title: ClassVar[str]
    extension: ClassVar[str]
    media_type: ClassVar[str]
    options: ClassVar[Sequence[Option]] = ()

    def problems(self, borderel: Borderel, options: Mapping[str, Any]) -> list[Problem]:
        return []

    def write(self, borderel: Borderel, options: Mapping[str, Any], stream: BinaryIO) -> None:
        # The one method a subclass must provide (the file itself); the rest have defaults.
        raise NotImplementedError(f"{type(self).__name__} must implement write()")


def validate_options(
    exporter: Exporter, raw: Mapping[str, object] | None = None, *, from_text: bool = False
) -> dict[str, Any]:
    """Every declared option of ``exporter``: the raw value checked, or else its default.

    Raises :class:`InvalidOptions` for an unknown option, a missing required one, a value of the
    wrong type (``True`` is not an integer, ``"8"`` is not one either unless ``from_text``, which
    parses text as the CLI gives it) or an invalid value (length, pattern, range, choices).
    ``None`` as a raw value means "use the default".
    """
    raw = raw or {}
    declared = {option.name: option for option in exporter.options}
    for name in sorted(set(raw) - set(declared)):
        known = ", ".join(declared) or "none"
        raise InvalidOptions(exporter.name, name, f"unknown option (known: {known})")
    resolved: dict[str, Any] = {}
    for name, option in declared.items():
        value = raw.get(name)
        if value is None:
            if option.required:
                raise InvalidOptions(exporter.name, name, "required")
            value = option.default
            if value is None:
                resolved[name] = None
                continue
        try:
            resolved[name] = option.check(value, from_text=from_text)
        except ValueError as error:
            raise InvalidOptions(exporter.name, name, str(error)) from None
    return resolved


def describe_exporter(exporter: Exporter) -> list[str]:
    """What is wrong with an exporter object's declarations; empty when it is fine.

    The registry refuses an exporter with any of these; the conformance kit asserts there are none.
    """
    faults: list[str] = []
    name = getattr(exporter, "name", None)
    if not isinstance(name, str) or NAME_PATTERN.fullmatch(name) is None:
        faults.append(f"name {name!r} must match {NAME_PATTERN.pattern}")
    for attribute in ("title", "extension", "media_type"):
        value = getattr(exporter, attribute, None)
        if not isinstance(value, str) or not value.strip():
            faults.append(f"{attribute} must be non-empty text")
    extension = getattr(exporter, "extension", "")
    if isinstance(extension, str) and (extension.startswith(".") or "/" in extension):
        faults.append(f"extension {extension!r} must be given without a dot or slash")
    media_type = getattr(exporter, "media_type", "")
    if isinstance(media_type, str) and media_type and "/" not in media_type:
        faults.append(f"media_type {media_type!r} is not a media type")
    for method in ("problems", "write"):
        if not callable(getattr(exporter, method, None)):
            faults.append(f"{method}() is missing")
    options = getattr(exporter, "options", None)
    if not isinstance(options, Sequence) or isinstance(options, str):
        faults.append("options must be a sequence of Option")
        return faults
    seen: set[str] = set()
    for option in options:
        if not isinstance(option, Option):
            faults.append(f"option {option!r} is not an Option")
            continue
        if option.name in seen:
            faults.append(f"option {option.name!r} is declared twice")
        seen.add(option.name)
        if option.kind is OptionKind.CHOICE and not option.choices:
            faults.append(f"option {option.name!r} is a choice without choices")
        if not option.required and option.default is not None:
            try:
                option.check(option.default)
            except ValueError as error:
                faults.append(f"default of option {option.name!r} is invalid: {error}")
    return faults
