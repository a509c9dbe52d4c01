"""Errors in one place (G2, G4, G6).

* Expected business failures in mutations become ``userErrors { field code message }``.
* Everything else becomes a top-level error with ``extensions.code``: UNAUTHENTICATED, NOT_FOUND
  and other domain codes from resolvers; GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED and
  QUERY_TOO_COMPLEX for bad documents; INTERNAL_SERVER_ERROR for anything unexpected, whose message
  is masked and whose details go to the log under a reference (never with personal data).
"""

from __future__ import annotations

import logging
import re
import secrets
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

from resolvers.errors import DomainError
from resolvers.errors import ErrorCode as DomainErrorCode

from .messages import DEFAULT_LANGUAGE, message

log = logging.getLogger("collectief.graphql")

ErrorCode = strawberry.enum(
    DomainErrorCode, description="Stable, language-neutral codes of expected failures."
)


@strawberry.type(description="An expected failure of a mutation: nothing was changed.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, if one.")
    code: ErrorCode
    message: str = strawberry.field(description="For people, in their language (G6).")


def _camel(name: str | None) -> str | None:
    """``policy_number`` -> ``policyNumber``; each part of a path: ``filter.birth_date.on``."""
    if name is None:
        return None
    parts = []
    for part in name.split("."):
        head, *rest = part.split("_")
        parts.append(head + "".join(word.title() for word in rest))
    return ".".join(parts)


def user_error(error: DomainError, language: str) -> UserError:
    return UserError(
        field=_camel(error.field),
        code=error.code,
        message=message(error.code, language, **error.params),
    )


# Codes that are never a mutation's ``userErrors``: the caller may not do this at all (G2).
TOP_LEVEL_CODES = frozenset({DomainErrorCode.UNAUTHENTICATED, DomainErrorCode.FORBIDDEN})


class HasUserErrors(Protocol):
    user_errors: list[UserError]


P = TypeVar("P")


async def payload_or_user_errors(
    language: str, make: Callable[[], Awaitable[P]], failed: Callable[[list[UserError]], P]
) -> P:
    """Run a mutation; a ``DomainError`` becomes the payload's ``userErrors`` (G2), except
    UNAUTHENTICATED and FORBIDDEN, which are not the input's fault: they stay top-level errors."""
    try:
        return await make()
    except DomainError as error:
        if error.code in TOP_LEVEL_CODES:
            raise
        return failed([user_error(error, language)])


def api_error(code: DomainErrorCode, language: str, **params: Any) -> GraphQLError:
    """A top-level error with ``extensions.code`` for queries (G2)."""
    return GraphQLError(message(code, language, **params), extensions={"code": code.value})


_TOO_COMPLEX = re.compile(
    r"exceeds maximum operation depth|aliases found|maximum allowed|more than \d+ tokens", re.I
)


def _database_unavailable(original: BaseException | None) -> bool:
    """A lost or refused database connection, a lock wait past its limit or a full pool — not a
    bug in a statement (constraint violations and the like stay INTERNAL_SERVER_ERROR)."""
    if isinstance(original, OperationalError | SQLAlchemyTimeoutError | ConnectionError):
        return True
    return isinstance(original, DBAPIError) and bool(original.connection_invalidated)


def _language(execution_context: Any) -> str:
    context = getattr(execution_context, "context", None)
    return getattr(context, "language", DEFAULT_LANGUAGE)


def shape_errors(errors: list[GraphQLError], execution_context: Any) -> None:
    """Give every error a code and a message in the user's language; mask the unexpected ones."""
    language = _language(execution_context)
    for error in errors:
        original = error.original_error
        if isinstance(original, DomainError):
            error.message = message(original.code, language, **original.params)
            error.extensions = {"code": original.code.value}
            if original.field:
                error.extensions["field"] = _camel(original.field)
        elif error.extensions and "code" in error.extensions:
            continue  # raised by our schema layer with its code already
        elif error.path is None:
            detail = error.message
            if _TOO_COMPLEX.search(detail):
                code = "QUERY_TOO_COMPLEX"
            elif detail.startswith("Syntax Error"):
                code = "GRAPHQL_PARSE_FAILED"
            else:
                code = "GRAPHQL_VALIDATION_FAILED"
            error.message = message(code, language, detail=detail)
            error.extensions = {"code": code}
        elif _database_unavailable(original):
            # H4: the database went away mid-request: nothing was committed; retry shortly. The
            # same code as an HTTP 503 when it happens before the GraphQL layer.
            reference = secrets.token_hex(6)
            log.error(
                "database unavailable",
                extra={"reference": reference, "error_type": type(original).__name__},
            )
            error.message = message("SERVICE_UNAVAILABLE", language, reference=reference)
            error.extensions = {"code": "SERVICE_UNAVAILABLE", "reference": reference}
        else:
            reference = secrets.token_hex(6)
            # The exception type and traceback only: messages of database errors may carry values.
            log.error(
                "unexpected error",
                extra={
                    "reference": reference,
                    "path": ".".join(str(p) for p in error.path),
                    "error_type": type(original).__name__ if original else "GraphQLError",
                    "traceback": "".join(traceback.format_tb(original.__traceback__))
                    if original
                    else None,
                },
            )
            error.message = message("INTERNAL_SERVER_ERROR", language, reference=reference)
            error.extensions = {"code": "INTERNAL_SERVER_ERROR", "reference": reference}
