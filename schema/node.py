"""``node``/``nodes`` and the global-id decoding every id argument goes through (G1, B3).

An id that is malformed, of another type, unknown, or outside the actor's scope all answer the
same NOT_FOUND: a caller cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from strawberry.relay import GlobalID, GlobalIDValueError

from resolvers import users
from resolvers.errors import NotFound

from .types.collectivity import Collectivity, Customer
from .types.insured import InsuredPerson
from .types.user import User

if TYPE_CHECKING:
    from .context import RequestContext

MAX_NODES = 100


def decode_id(value: str, type_name: str, field: str = "id") -> int:
    """The database id in a global id of ``type_name``; anything else is NOT_FOUND."""
    try:
        global_id = GlobalID.from_id(value)
    except (GlobalIDValueError, ValueError, TypeError):
        raise NotFound(field) from None
    if global_id.type_name != type_name or not global_id.node_id.isdigit():
        raise NotFound(field)
    number = int(global_id.node_id)
    if not 0 < number < 2**63:
        raise NotFound(field)
    return number


async def _collectivity(context: RequestContext, key: int) -> Any:
    row = await context.loaders.collectivity.load(key)
    return Collectivity.from_row(row) if row else None


async def _customer(context: RequestContext, key: int) -> Any:
    row = await context.loaders.customer.load(key)
    return Customer.from_row(row) if row else None


async def _insured(context: RequestContext, key: int) -> Any:
    row = await context.loaders.insured.load(key)
    return InsuredPerson.from_row(row) if row else None


async def _user(context: RequestContext, key: int) -> Any:
    async with context.db() as db:
        (row,) = await users.users_by_ids(db, context.require_actor(), [key])
    return User.from_row(row) if row else None


NODE_RESOLVERS: dict[str, Callable[[RequestContext, int], Awaitable[Any]]] = {
    "Collectivity": _collectivity,
    "Customer": _customer,
    "InsuredPerson": _insured,
    "User": _user,
}


async def resolve_node(context: RequestContext, value: str) -> Any:
    context.require_actor()
    try:
        global_id = GlobalID.from_id(value)
    except (GlobalIDValueError, ValueError, TypeError):
        raise NotFound("id") from None
    resolver = NODE_RESOLVERS.get(global_id.type_name)
    if resolver is None:
        raise NotFound("id")
    node = await resolver(context, decode_id(value, global_id.type_name))
    if node is None:
        raise NotFound("id")
    return node
