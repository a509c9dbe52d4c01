"""Payroll exporters in the API (E1–E3): ``Exporter`` with its options, the query ``exporters``
and ``Collectivity.exporterChoice`` (the exporter and options a collectivity used last)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import strawberry

from exporters import exporter as plugin
from exporters.registry import Registry
from resolvers import borderel_exports

from ..context import RequestContext

Info = strawberry.Info[RequestContext, None]

ExporterOptionType = strawberry.enum(
    plugin.OptionKind,
    name="ExporterOptionType",
    description="How an option's value is read: STRING (text), INTEGER (a whole number in "
    'text, "8"), BOOLEAN ("true"/"false"), CHOICE (one of choices).',
)


def option_text(value: object) -> str | None:
    """An option value as the text the API carries: booleans as true/false."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@strawberry.type(description="One option an exporter declares (E2).")
class ExporterOption:
    name: str = strawberry.field(
        description='As given in exportBorderel\'s options, e.g. "identification".'
    )
    type: ExporterOptionType
    default: str | None = strawberry.field(
        description="Used when the option is not given; null: none (required options have none)."
    )
    description: str
    choices: list[str] = strawberry.field(description="CHOICE: the values allowed.")
    required: bool = strawberry.field(description="Must be given (no default).")

    @classmethod
    def of(cls, option: plugin.Option) -> ExporterOption:
        return cls(
            name=option.name,
            type=option.kind,
            default=option_text(option.default),
            description=option.description,
            choices=list(option.choices),
            required=option.required,
        )


@strawberry.type(description="A payroll export format (E1, E2), built in or from a plugin.")
class Exporter:
    name: str = strawberry.field(description='Stable id, e.g. "raet": what exportBorderel takes.')
    title: str
    extension: str = strawberry.field(description='File extension without the dot, e.g. "txt".')
    media_type: str
    options: list[ExporterOption]

    @classmethod
    def of(cls, exporter: plugin.Exporter) -> Exporter:
        return cls(
            name=exporter.name,
            title=exporter.title,
            extension=exporter.extension,
            media_type=exporter.media_type,
            options=[ExporterOption.of(o) for o in exporter.options],
        )


@strawberry.type(description="An option's value as text (booleans true/false).")
class ExportOptionValue:
    name: str
    value: str | None


def option_values(options: Mapping[str, Any]) -> list[ExportOptionValue]:
    return [ExportOptionValue(name=k, value=option_text(v)) for k, v in options.items()]


@strawberry.type(
    description="The exporter and options a collectivity used for its last export (E): "
    "exportBorderel uses them when no exporter (or an option) is given."
)
class ExporterChoice:
    exporter_name: str
    options: list[ExportOptionValue]
    updated_at: dt.datetime
    _registry: strawberry.Private[Registry]

    @strawberry.field(description="The exporter, or null when it is no longer loaded.")
    def exporter(self) -> Exporter | None:
        found = self._registry.exporters.get(self.exporter_name)
        return Exporter.of(found) if found is not None else None


def exporters(info: Info) -> list[Exporter]:
    """Every loaded exporter, by name."""
    info.context.require_actor()
    registry = info.context.exporters
    return [Exporter.of(registry.exporters[name]) for name in sorted(registry.exporters)]


async def collectivity_exporter_choice(root: Any, info: Info) -> ExporterChoice | None:
    context = info.context
    async with context.db() as db:
        row = await borderel_exports.exporter_choice(db, context.require_actor(), root._key)
    if row is None:
        return None
    return ExporterChoice(
        exporter_name=row.exporter,
        options=option_values(row.options or {}),
        updated_at=row.updated_at,
        _registry=context.exporters,
    )
