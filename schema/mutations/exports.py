"""``exportBorderel`` (E1–E3): a borderel in a payroll system's format, kept in the inbox."""

from __future__ import annotations

import strawberry

from resolvers import borderel_exports
from resolvers.errors import DomainError, ErrorCode

from ..context import RequestContext
from ..errors import UserError, payload_or_user_errors, user_error
from ..ids import decode_id, encode_id
from ..messages import message
from ..types.inbox import Document as DocumentType
from ..types.inbox import DocumentRow, DownloadLink

Info = strawberry.Info[RequestContext, None]
MAX_OPTIONS = 50


@strawberry.input(description="One option of the exporter; see Exporter.options.")
class ExportOptionInput:
    name: str = strawberry.field(description='The option\'s name, e.g. "identification".')
    value: str | None = strawberry.field(
        description='Text, read by the option\'s type: "8" for INTEGER, "true"/"false" for '
        "BOOLEAN. Null: the option's default."
    )


@strawberry.input
class ExportBorderelInput:
    borderel_id: strawberry.ID
    exporter: str | None = strawberry.field(
        default=None,
        description="Name of an exporter from exporters. Default: the one this collectivity "
        "used last (Collectivity.exporterChoice).",
    )
    options: list[ExportOptionInput] | None = strawberry.field(
        default=None,
        description="Options to set. Options not given keep the value remembered for this "
        "exporter (Collectivity.exporterChoice), else their default.",
    )


@strawberry.type(description="The person a problem is about: fix them and export again.")
class ExportProblemInsured:
    insured_person_id: strawberry.ID | None = strawberry.field(
        description="Global id of the InsuredPerson (node, insuredPersonDetails)."
    )
    name: str = strawberry.field(description='Display name, e.g. "J. van Dijk".')
    policy_number: str = strawberry.field(description="The policyholder's policy number.")
    relation: str = strawberry.field(description="POLICYHOLDER, PARTNER or CHILD.")


@strawberry.type(description="Something that stops the export, reported before writing (E2).")
class ExportProblem:
    code: str = strawberry.field(
        description="The exporter's own code, e.g. MISSING_EMPLOYEE_NUMBER (RAET, E3)."
    )
    message: str = strawberry.field(
        description="In the user's language where the portal knows "
        "the code, else the exporter's English text."
    )
    insured: ExportProblemInsured | None = strawberry.field(
        description="The insured to fix, when the problem is about a person."
    )


@strawberry.type
class ExportBorderelPayload:
    download: DownloadLink | None = strawberry.field(
        default=None,
        description="A link to the file, valid 5 minutes. The file is also kept in the inbox.",
    )
    document: DocumentType | None = strawberry.field(
        default=None, description="The inbox document (kind EXPORT)."
    )
    problems: list[ExportProblem] = strawberry.field(
        default_factory=list,
        description="Why the exporter refused (nothing stored); each is also a userError.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _problem(problem: borderel_exports.ExportProblem, language: str) -> ExportProblem:
    insured = problem.insured
    text = problem.message
    if problem.error.code is ErrorCode.EMPLOYEE_NUMBER_MISSING:
        text = message(problem.error.code, language, **problem.error.params)
    return ExportProblem(
        code=problem.code,
        message=text,
        insured=ExportProblemInsured(
            insured_person_id=strawberry.ID(encode_id("InsuredPerson", insured.insured_id))
            if insured.insured_id is not None
            else None,
            name=insured.name,
            policy_number=insured.policy_number,
            relation=insured.relation,
        )
        if insured is not None
        else None,
    )


async def export_borderel(info: Info, input: ExportBorderelInput) -> ExportBorderelPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> ExportBorderelPayload:
        borderel_id = decode_id(input.borderel_id, "Borderel", "borderel_id")
        if input.options is not None and len(input.options) > MAX_OPTIONS:
            raise DomainError(ErrorCode.TOO_MANY_IDS, field="options", maximum=MAX_OPTIONS)
        options = [(o.name, o.value) for o in input.options] if input.options is not None else None
        try:
            async with context.db() as db:
                outcome = await borderel_exports.export_borderel(
                    db,
                    actor,
                    borderel_id,
                    input.exporter,
                    options,
                    registry=context.exporters,
                    timeout=context.export_timeout,
                    now=context.clock.now(),
                    links=context.rules.downloads(),
                    language=context.language,
                    remember=not actor.is_staff,
                    client_address=context.client_address,
                )
        except DomainError as error:
            if error.code is not ErrorCode.EXPORT_OPTIONS_INVALID:
                raise
            # The option's own name, not camel-cased: it is what the client sent.
            return ExportBorderelPayload(
                user_errors=[
                    UserError(
                        field=error.field,
                        code=error.code,
                        message=message(error.code, context.language, **error.params),
                    )
                ]
            )
        if outcome.problems:
            return ExportBorderelPayload(
                problems=[_problem(p, context.language) for p in outcome.problems],
                user_errors=[user_error(p.error, context.language) for p in outcome.problems],
            )
        assert outcome.document is not None
        assert outcome.link is not None
        document: DocumentRow = outcome.document
        return ExportBorderelPayload(
            download=DownloadLink.from_link(outcome.link),
            document=DocumentType.from_row(document),
        )

    return await payload_or_user_errors(
        context.language, make, lambda errors: ExportBorderelPayload(user_errors=errors)
    )
