"""``node``/``nodes``: any object by its global id, within the actor's scope (G1, B3)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from resolvers import account_requests, contract_links, users
from resolvers.errors import NotFound

from .context import RequestContext
from .ids import Node, split_id
from .types.account_request import AccountRequest
from .types.billing import borderel_node, invoice_node
from .types.collectivity import Collectivity, Customer
from .types.contract_link import ContractLink
from .types.inbox import document_node, job_node
from .types.insured import InsuredPerson
from .types.user import User

MAX_NODES = 100


async def _collectivity(context: RequestContext, key: int) -> Node | None:
    row = await context.loaders.collectivity.load(key)
    return Collectivity.from_row(row) if row else None


async def _customer(context: RequestContext, key: int) -> Node | None:
    row = await context.loaders.customer.load(key)
    return Customer.from_row(row) if row else None


async def _insured(context: RequestContext, key: int) -> Node | None:
    row = await context.loaders.insured.load(key)
    return InsuredPerson.from_row(row) if row else None


async def _user(context: RequestContext, key: int) -> Node | None:
    async with context.db() as db:
        (row,) = await users.users_by_ids(db, context.require_actor(), [key])
    return User.from_row(row) if row else None


async def _contract_link(context: RequestContext, key: int) -> Node | None:
    async with context.db() as db:
        (row,) = await contract_links.links_by_ids(db, context.require_actor(), [key])
    return ContractLink.from_row(row) if row else None


async def _account_request(context: RequestContext, key: int) -> Node | None:
    async with context.db() as db:
        (row,) = await account_requests.account_requests_by_ids(db, context.require_actor(), [key])
    return AccountRequest.from_row(row) if row else None


NODE_RESOLVERS: dict[str, Callable[[RequestContext, int], Awaitable[Node | None]]] = {
    "AccountRequest": _account_request,
    "Borderel": borderel_node,
    "Collectivity": _collectivity,
    "ContractLink": _contract_link,
    "Customer": _customer,
    "Document": document_node,
    "InsuredPerson": _insured,
    "Invoice": invoice_node,
    "Job": job_node,
    "User": _user,
}


async def find_node(context: RequestContext, value: str) -> Node | None:
    """The object, or None when the id is malformed, unknown or outside the scope."""
    context.require_actor()
    parts = split_id(value)
    resolver = NODE_RESOLVERS.get(parts[0]) if parts else None
    if parts is None or resolver is None:
        return None
    return await resolver(context, parts[1])


async def resolve_node(context: RequestContext, value: str) -> Any:
    node = await find_node(context, value)
    if node is None:
        raise NotFound("id")
    return node
