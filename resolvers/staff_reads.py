"""Auditing insurer staff's reads of insured data (B4, A9).

Staff see every collectivity; each time they read insured persons (a page of
``Collectivity.insuredPersons``, or ``node``/``nodes`` of an InsuredPerson) one event per
collectivity is recorded: action ``staff_read_insured``, the staff member, the client address and
the internal ids of the insured read (never a BSN or a name). The event lands in that
collectivity's trail, so its main user sees who at the insurer looked.

The caller hands in a session of its own: the event is committed in a short transaction of its
own, separate from the read, and before the data is returned, so a read whose audit could not be
written fails rather than going unrecorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import AuditOutcome

from . import audit
from .actor import Actor
from .insured_listing import InsuredRow

ACTION = "staff_read_insured"


async def record_staff_insured_read(
    db: AsyncSession,
    actor: Actor,
    rows: Iterable[InsuredRow | None],
    *,
    via: str,
    now: dt.datetime,
    client_address: str | None,
    collectivity_id: int | None = None,
) -> None:
    """Record and commit the read when ``actor`` is staff; does nothing for employer users.

    ``collectivity_id`` names the collectivity of a listing, so that reading an empty page is
    recorded too; otherwise the collectivities are those of the rows read.
    """
    if not actor.is_staff:
        return
    read: dict[int, list[int]] = {}
    if collectivity_id is not None:
        read[collectivity_id] = []
    for row in rows:
        if row is not None:
            read.setdefault(row.collectivity_id, []).append(row.insured_id)
    if not read:
        return
    for read_collectivity_id, insured_ids in read.items():
        audit.record(
            db,
            action=ACTION,
            outcome=AuditOutcome.SUCCESS,
            at=now,
            actor_user_id=actor.user_id,
            collectivity_id=read_collectivity_id,
            client_address=client_address,
            via=via,
            insured_count=len(insured_ids),
            insured_ids=sorted(set(insured_ids)),
        )
    await db.commit()
