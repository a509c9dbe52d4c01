"""The per-request context: acting user, language, clock, database sessions and DataLoaders.

Strawberry resolves sibling fields concurrently, so nothing here holds an open ``AsyncSession``:
every resolver and every DataLoader batch opens its own short session from ``sessionmaker``.
DataLoaders are made per request and apply the actor's scope inside their queries (B3).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from exporters.registry import Registry
from resolvers import colleagues, collectivities, insured_listing, staff_reads
from resolvers.actor import Actor
from resolvers.borderel_exports import builtin_registry
from resolvers.clock import Clock
from resolvers.errors import ErrorCode
from resolvers.insured_listing import InsuredRow
from resolvers.rules import PortalRules
from resolvers.sessions import SessionPolicy
from storage import Collectivity, Contract, Customer

from .messages import message

K = TypeVar("K")
V = TypeVar("V")


class CookieJar(Protocol):
    """The part of the HTTP response a mutation may touch: the session cookie."""

    def set_cookie(self, name: str, value: str, **kwargs: Any) -> None: ...
    def del_cookie(self, name: str, **kwargs: Any) -> None: ...


@dataclasses.dataclass(frozen=True)
class CookiePolicy:
    name: str = "collectief_session"
    secure: bool = True
    max_age_seconds: int = 12 * 3600


@dataclasses.dataclass
class Loaders:
    collectivity: DataLoader[int, Collectivity | None]
    customer: DataLoader[int, Customer | None]
    contracts: DataLoader[int, list[Contract]]
    insured: DataLoader[int, InsuredRow | None]
    # Per user id: a confirmed authenticator app exists (A6, A7).
    two_factor: DataLoader[int, bool]


@dataclasses.dataclass
class RequestContext:
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    session_policy: SessionPolicy
    cookie_policy: CookiePolicy
    response: CookieJar
    rules: PortalRules = dataclasses.field(default_factory=PortalRules)
    # E1: the exporters loaded at start (default: the built-ins) and one export's time limit.
    exporters: Registry = dataclasses.field(default_factory=builtin_registry)
    export_timeout: float = 60.0
    language: str = "nl"
    client_address: str | None = None
    actor: Actor | None = None
    loaders: Loaders = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.loaders = self._make_loaders()

    def db(self) -> AsyncSession:
        """A new session for one resolver; use as ``async with context.db() as db``."""
        return self.sessionmaker()

    def require_actor(self) -> Actor:
        if self.actor is None:
            raise GraphQLError(
                message(ErrorCode.UNAUTHENTICATED, self.language),
                extensions={"code": ErrorCode.UNAUTHENTICATED.value},
            )
        return self.actor

    def _batch(
        self, load: Callable[[AsyncSession, Actor, Sequence[K]], Awaitable[Sequence[V]]]
    ) -> DataLoader[K, V]:
        async def load_fn(keys: list[K]) -> Sequence[V]:
            actor = self.require_actor()
            async with self.db() as db:
                return await load(db, actor, keys)

        return DataLoader(load_fn=load_fn)

    def _make_loaders(self) -> Loaders:
        today = self.clock.today

        async def insured(db: AsyncSession, actor: Actor, ids: Sequence[int]) -> Sequence[Any]:
            return await insured_listing.insured_rows_by_ids(db, actor, ids, today=today())

        return Loaders(
            collectivity=self._batch(collectivities.collectivities_by_ids),
            customer=self._batch(collectivities.customers_by_ids),
            contracts=self._batch(collectivities.contracts_by_collectivity_ids),
            insured=DataLoader(load_fn=self._insured_audited(insured)),
            two_factor=self._batch(colleagues.two_factor_enabled_by_user_ids),
        )

    def _insured_audited(
        self, load: Callable[[AsyncSession, Actor, Sequence[int]], Awaitable[Sequence[Any]]]
    ) -> Callable[[list[int]], Awaitable[Sequence[Any]]]:
        """The insured batch for ``node``/``nodes``; a staff read is audited (B4)."""

        async def load_fn(keys: list[int]) -> Sequence[Any]:
            actor = self.require_actor()
            async with self.db() as db:
                rows = await load(db, actor, keys)
            await self.audit_staff_insured_read(rows, via="node")
            return rows

        return load_fn

    async def audit_staff_insured_read(
        self, rows: Sequence[InsuredRow | None], *, via: str, collectivity_id: int | None = None
    ) -> None:
        """B4: record a staff member's read of insured data, in a short transaction of its own."""
        actor = self.require_actor()
        if not actor.is_staff:
            return
        async with self.db() as db:
            await staff_reads.record_staff_insured_read(
                db,
                actor,
                rows,
                via=via,
                now=self.clock.now(),
                client_address=self.client_address,
                collectivity_id=collectivity_id,
            )
