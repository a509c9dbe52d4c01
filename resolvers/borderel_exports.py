"""Converting a stored borderel into a payroll system's import file (E1–E3).

``export_borderel`` runs one exporter of the loaded ``Registry`` (``exporters.registry``) on the
borderel's read-only model (``resolvers.borderel_model``) through ``exporters.running.run_export``
(a thread with a time limit), then keeps the file as an inbox document of kind EXPORT (F1) and
hands out a short-lived link, like ``downloadBorderel`` (D7).

* Scope first: another employer's borderel is NOT_FOUND (B3); borderels exist only with salary
  deduction in their month (BORDEREL_NEEDS_SALARY_DEDUCTION).
* The exporter: the one named, else the one the collectivity chose last time (``ExporterChoice``);
  none → VALUE_REQUIRED; not loaded → EXPORTER_UNKNOWN naming it.
* Options: name/value pairs whose text values are parsed by each option's type (``from_text``) on
  top of the options remembered for the same exporter; a null value means "the default". Anything
  wrong → EXPORT_OPTIONS_INVALID (field ``options.<name>``) naming exporter, option and reason,
  before any plugin code runs.
* Problems the exporter reports (e.g. missing employee numbers, E3) are returned with the insured
  to fix; nothing is stored. A plugin that raises, misbehaves or does not finish within the time
  limit → EXPORT_FAILED naming the exporter; nothing is stored, the server carries on.
* On success the document is stored (an identical earlier export is reused), the exporter and
  its options are remembered for the collectivity (an upsert, safe when two users export at the
  same moment), the export is audited, and a link is returned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from exporters.borderel import Borderel as BorderelModel
from exporters.exporter import Exporter, InvalidOptions, Problem, UnknownExporter
from exporters.registry import Registry, load_exporters
from exporters.running import ExportFailed, run_export
from storage import Borderel, Collectivity, Document, ExporterChoice, InsuredPerson, Policy
from storage.enums import AuditOutcome, DocumentKind

from . import audit
from .actor import Actor
from .borderel_files import require_salary_deduction
from .borderel_model import borderel_model
from .borderels import get_borderel
from .documents import document_link
from .download_links import DownloadLink, DownloadLinks
from .errors import DomainError, ErrorCode
from .months import format_month

log = logging.getLogger("collectief.exports")

# Problem codes of exporters that the portal knows and shows with its own message and code.
MISSING_EMPLOYEE_NUMBER = "MISSING_EMPLOYEE_NUMBER"
_TITLE_LENGTH = 200


@dataclasses.dataclass(frozen=True, slots=True)
class ProblemInsured:
    """The person a problem is about, as the portal knows them (for "fix these insured")."""

    insured_id: int | None  # None when the person could not be matched (should not happen)
    name: str
    policy_number: str
    relation: str


@dataclasses.dataclass(frozen=True, slots=True)
class ExportProblem:
    """A problem reported by the exporter, with a domain error for the payload's userErrors."""

    code: str
    message: str
    insured: ProblemInsured | None
    error: DomainError


@dataclasses.dataclass(frozen=True, slots=True)
class ExportOutcome:
    """Either problems (nothing stored) or the stored document and a link to it."""

    exporter: str
    problems: tuple[ExportProblem, ...] = ()
    document: Document | None = None
    link: DownloadLink | None = None


@functools.cache
def builtin_registry() -> Registry:
    """The built-in exporters only (no entry-point plugin is imported): the default where no
    registry was loaded from the settings (tests, tools)."""
    return load_exporters(allow=())


def option_error(error: InvalidOptions) -> DomainError:
    return DomainError(
        ErrorCode.EXPORT_OPTIONS_INVALID,
        field=f"options.{error.option}",
        exporter=error.exporter,
        option=error.option,
        reason=error.reason,
    )


def resolve_exporter(registry: Registry, name: str) -> Exporter:
    try:
        return registry.get(name)
    except UnknownExporter:
        raise DomainError(ErrorCode.EXPORTER_UNKNOWN, field="exporter", exporter=name) from None


def merge_options(
    exporter: Exporter,
    remembered: Mapping[str, Any] | None,
    given: Sequence[tuple[str, str | None]] | None,
) -> dict[str, Any]:
    """Remembered values of options the exporter still declares, overlaid with the given pairs
    (a name twice is refused)."""
    declared = {option.name for option in exporter.options}
    merged: dict[str, Any] = {k: v for k, v in (remembered or {}).items() if k in declared}
    seen: set[str] = set()
    for name, value in given or ():
        if name in seen:
            raise option_error(InvalidOptions(exporter.name, name, "given more than once"))
        seen.add(name)
        merged[name] = value
    return merged


async def exporter_choice(
    db: AsyncSession, actor: Actor, collectivity_id: int
) -> ExporterChoice | None:
    """The exporter and options the collectivity used last (E), within the scope (B3)."""
    actor.require_scope(collectivity_id, "collectivity_id")
    return await db.scalar(
        select(ExporterChoice).where(ExporterChoice.collectivity_id == collectivity_id)
    )


async def remember_choice(
    db: AsyncSession,
    collectivity_id: int,
    exporter: str,
    options: Mapping[str, Any],
    now: dt.datetime,
) -> None:
    """Upsert the collectivity's choice in the caller's transaction: one row per collectivity
    whoever wins a race (INSERT … ON CONFLICT DO UPDATE on SQLite and PostgreSQL)."""
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        "collectivity_id": collectivity_id,
        "exporter": exporter,
        "options": dict(options),
        "updated_at": now,
    }
    statement = insert(ExporterChoice).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[ExporterChoice.collectivity_id],
        set_={"exporter": exporter, "options": dict(options), "updated_at": now},
    )
    await db.execute(statement)


async def borderel_model_by_number(
    db: AsyncSession, collectivity_number: str, month: dt.date
) -> BorderelModel:
    """For the command line (no actor: whoever runs it reaches the database anyway): the
    stored borderel of a collectivity and month as the exporters' model. NOT_FOUND for an
    unknown collectivity, BORDEREL_NOT_MADE when that month has no borderel."""
    collectivity_id = await db.scalar(
        select(Collectivity.id).where(Collectivity.collectivity_number == collectivity_number)
    )
    if collectivity_id is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="collectivity")
    borderel = await db.scalar(
        select(Borderel).where(Borderel.collectivity_id == collectivity_id, Borderel.month == month)
    )
    if borderel is None:
        raise DomainError(ErrorCode.BORDEREL_NOT_MADE, field="month")
    return await borderel_model(db, borderel)


def export_filename(exporter: Exporter, collectivity: Collectivity, borderel: Borderel) -> str:
    return (
        f"{exporter.name}-{collectivity.collectivity_number}-{format_month(borderel.month)}"
        f".{exporter.extension}"
    )


async def _problems(
    db: AsyncSession, exporter: Exporter, problems: Sequence[Problem]
) -> tuple[ExportProblem, ...]:
    """The exporter's problems with the insured matched to the portal's persons."""
    numbers = {p.insured.policy_number for p in problems if p.insured is not None}
    people: dict[tuple[str, str, dt.date, str, str], int] = {}
    if numbers:
        rows = await db.execute(
            select(
                InsuredPerson.id,
                Policy.policy_number,
                InsuredPerson.relation,
                InsuredPerson.birth_date,
                InsuredPerson.initials,
                InsuredPerson.last_name,
            )
            .join(Policy, Policy.id == InsuredPerson.policy_id)
            .where(Policy.policy_number.in_(numbers))
        )
        for key, number, relation, birth_date, initials, last_name in rows:
            people[(number, relation.value, birth_date, initials, last_name)] = key
    found: list[ExportProblem] = []
    for problem in problems:
        person = problem.insured
        insured = None
        if person is not None:
            insured = ProblemInsured(
                insured_id=people.get(
                    (
                        person.policy_number,
                        person.relation.value,
                        person.birth_date,
                        person.initials,
                        person.last_name,
                    )
                ),
                name=person.display_name,
                policy_number=problem.policy_number or person.policy_number,
                relation=person.relation.value,
            )
        if problem.code == MISSING_EMPLOYEE_NUMBER and insured is not None:
            error = DomainError(
                ErrorCode.EMPLOYEE_NUMBER_MISSING,
                field="borderel_id",
                name=insured.name,
                policy_number=insured.policy_number,
            )
        else:
            error = DomainError(
                ErrorCode.EXPORT_PROBLEM,
                field="options" if person is None else "borderel_id",
                exporter=exporter.name,
                detail=problem.message,
            )
        found.append(ExportProblem(problem.code, problem.message, insured, error))
    return tuple(found)


async def _stored(
    db: AsyncSession, collectivity_id: int, filename: str, content: bytes
) -> Document | None:
    """An earlier export with exactly these bytes under this name, to reuse instead of a copy."""
    candidates = await db.scalars(
        select(Document)
        .where(
            Document.collectivity_id == collectivity_id,
            Document.kind == DocumentKind.EXPORT,
            Document.filename == filename,
            Document.size == len(content),
        )
        .options(undefer(Document.content))
        .order_by(Document.id.desc())
    )
    for document in candidates:
        if document.content == content:
            return document
    return None


async def export_borderel(
    db: AsyncSession,
    actor: Actor,
    borderel_id: int,
    exporter_name: str | None,
    options: Sequence[tuple[str, str | None]] | None,
    *,
    registry: Registry,
    timeout: float,  # noqa: ASYNC109 (the plugin's limit, handed to run_export)
    now: dt.datetime,
    links: DownloadLinks,
    language: str,
    remember: bool = True,
    client_address: str | None = None,
) -> ExportOutcome:
    """E1–E3: the borderel in the chosen format, stored in the inbox, or the problems."""
    borderel = await get_borderel(db, actor, borderel_id, "borderel_id")
    await require_salary_deduction(db, borderel)
    choice = await db.scalar(
        select(ExporterChoice).where(ExporterChoice.collectivity_id == borderel.collectivity_id)
    )
    name = exporter_name.strip() if exporter_name else None
    if not name:
        if choice is None:
            raise DomainError(ErrorCode.VALUE_REQUIRED, field="exporter")
        name = choice.exporter
    exporter = resolve_exporter(registry, name)
    remembered = choice.options if choice is not None and choice.exporter == name else None
    raw = merge_options(exporter, remembered, options)
    model = await borderel_model(db, borderel)
    collectivity = await db.get(Collectivity, borderel.collectivity_id)
    assert collectivity is not None
    await db.commit()  # no transaction stays open while the plugin works
    try:
        result = await run_export(exporter, model, raw, timeout=timeout, options_from_text=True)
    except InvalidOptions as error:
        raise option_error(error) from None
    except ExportFailed as error:
        # The plugin's message may quote borderel data: log the exporter and the kind only.
        log.warning(
            "export failed",
            extra={"exporter": exporter.name, "error_type": type(error).__name__},
        )
        raise DomainError(
            ErrorCode.EXPORT_FAILED, field="exporter", exporter=exporter.name
        ) from None
    if result.problems:
        return ExportOutcome(
            exporter=exporter.name, problems=await _problems(db, exporter, result.problems)
        )
    content = result.content
    assert content is not None
    filename = export_filename(exporter, collectivity, borderel)
    document = await _stored(db, collectivity.id, filename, content)
    if document is None:
        title = f"{exporter.title}: {collectivity.name} {format_month(borderel.month)}"
        document = Document(
            collectivity_id=collectivity.id,
            kind=DocumentKind.EXPORT,
            title=title[:_TITLE_LENGTH],
            filename=filename,
            media_type=exporter.media_type[:100],
            size=len(content),
            created_at=now,
            created_by_id=actor.user_id,
            content=content,
        )
        db.add(document)
    if remember:
        await remember_choice(db, collectivity.id, exporter.name, result.options, now)
    audit.record(
        db,
        action="borderel_exported",
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=actor.user_id,
        collectivity_id=collectivity.id,
        client_address=client_address,
        borderel_id=borderel.id,
        exporter=exporter.name,
    )
    await db.commit()
    link = document_link(links, actor, document, now=now, language=language)
    return ExportOutcome(exporter=exporter.name, document=document, link=link)
