"""Relay connections (G1): ``edges { node cursor }``, ``pageInfo``, ``first``/``after`` (max 100)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

from resolvers.pagination import Page

N = TypeVar("N")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[N]):
    node: N
    cursor: str


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The number of items in the whole list (an extra query).")
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    def of(cls, page: Page, nodes: list[N], count: Callable[[], Awaitable[int]]) -> Connection[N]:
        return cls(
            edges=[Edge(node=n, cursor=c) for n, c in zip(nodes, page.cursors, strict=True)],
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.start_cursor,
                end_cursor=page.end_cursor,
            ),
            _count=count,
        )
