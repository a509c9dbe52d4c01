"""The management fields of ``Collectivity``: its users, linked contracts and audit trail.

Who may read them is decided in ``resolvers/permissions.py``: the users overview and the linked
contracts are for the collectivity's own users (main user and colleagues) and staff; the audit
trail for its main user and staff. Anyone else who sees the collectivity (through a link) gets
FORBIDDEN on these fields and null in their place; the rest of the collectivity still answers.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from resolvers import audit_trail, colleagues, contract_links

from ..context import RequestContext
from ..pagination import Connection
from .audit_event import AuditEvent
from .contract_link import ContractLink
from .user import User

Info = strawberry.Info[RequestContext, None]


async def users(root: Any, info: Info) -> list[User] | None:
    actor = info.context.require_actor()
    async with info.context.db() as db:
        rows = await colleagues.users_of_collectivity(db, actor, root._key)
    return [User.from_row(r) for r in rows]


async def linked_contracts(root: Any, info: Info) -> list[ContractLink] | None:
    actor = info.context.require_actor()
    async with info.context.db() as db:
        rows = await contract_links.links_of_collectivity(db, actor, root._key)
    return [ContractLink.from_row(r) for r in rows]


async def audit_events(
    root: Any,
    info: Info,
    first: Annotated[
        int | None, strawberry.argument(description="Page size, 1..100 (default 50).")
    ] = None,
    after: str | None = None,
    action: Annotated[
        str | None, strawberry.argument(description="Only events of this action, e.g. login.")
    ] = None,
) -> Connection[AuditEvent] | None:
    context = info.context
    actor = context.require_actor()
    async with context.db() as db:
        page = await audit_trail.list_audit_events(
            db, actor, root._key, first=first, after=after, action=action
        )

    async def count() -> int:
        async with context.db() as db:
            return await audit_trail.count_audit_events(db, actor, root._key, action=action)

    return Connection.of(page, [AuditEvent.from_row(r) for r in page.items], count)
