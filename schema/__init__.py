"""The GraphQL schema: thin types over the resolvers, limits and error shaping (G1–G6)."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from .context import CookiePolicy, RequestContext
from .errors import shape_errors
from .mutation import Mutation
from .query import Query
from .scalars import SCALAR_MAP

__all__ = ["CookiePolicy", "Limits", "RequestContext", "build_schema"]


@dataclasses.dataclass(frozen=True)
class Limits:
    """G4: bounds on what one GraphQL document may ask for."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 3000
    introspection: bool = True


class CollectiefSchema(strawberry.Schema):
    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        shape_errors(errors, execution_context)


def build_schema(limits: Limits | None = None) -> strawberry.Schema:
    limits = limits or Limits()
    # The limit rules are made once so that validation results can be cached: the limiters
    # would make new rule classes per instance, and the cache is keyed by the rules.
    limit_rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
    ]
    extensions: list[Any] = [
        # Parsing and validating the same document again is most of a small request's cost:
        # portals send the same few documents over and over.
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        lambda: AddValidationRules(limit_rules),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    return CollectiefSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(
            disable_field_suggestions=not limits.introspection, scalar_map=SCALAR_MAP
        ),
    )
