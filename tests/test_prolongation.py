"""D3: the prolongation run — regular lines, corrections for back-dated mutations, idempotent
reruns, exact totals; D8: the invoice made with an acceptgiro borderel. Hand-worked amounts."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.errors import ErrorCode
from resolvers.invoicing import BillingTerms, invoice_for
from resolvers.prolongation import make_borderel, run_prolongation
from storage import Borderel, BorderelLine, Enrollment, Invoice, Mutation
from storage.enums import (
    BorderelLineKind,
    InvoiceStatus,
    MutationKind,
    PaymentMethod,
    PremiumCollection,
    ProductKind,
)

from . import factories

OCT, NOV, DEC = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def at(day: int, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, 9, 0, tzinfo=dt.UTC)


async def setup(db: AsyncSession, *, children: int = 1, **contract):  # type: ignore[no-untyped-def]
    """A salary-deduction collectivity (10% discount) with one family on basic (160.00 in 2026)
    and supplementary (30.00) insurance, members since 2025."""
    where = await factories.collectivity(db, **contract)
    basic = await factories.product(db, ProductKind.BASIC, {2025: "150.00", 2026: "160.00"})
    extra = await factories.product(db, ProductKind.SUPPLEMENTARY, {2025: "28.00", 2026: "30.00"})
    family = await factories.family(db, where, children=children, employee_number="E1")
    await factories.cover(db, family, basic, extra)
    await db.commit()
    return where, family, basic, extra


async def lines_of(db: AsyncSession, borderel_id: int) -> list[BorderelLine]:
    return list(
        await db.scalars(
            select(BorderelLine)
            .where(BorderelLine.borderel_id == borderel_id)
            .order_by(BorderelLine.id)
        )
    )


async def test_d3_regular_lines_for_everyone_enrolled_children_free(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as db:
        where, family, basic, extra = await setup(db)
        outcome = await make_borderel(db, where.id, NOV, now=at(20, 10))
        assert outcome.made
        lines = await lines_of(db, outcome.borderel_id)
        borderel = await db.get(Borderel, outcome.borderel_id)
    holder, child = family.members
    amounts = {(ln.insured_id, ln.product_id): (ln.days, ln.premium) for ln in lines}
    # Policyholder: basic 160.00 (no discount on basic); supplementary 30.00 − 10% = 27.00.
    assert amounts[(holder.id, basic.id)] == (30, Decimal("160.00"))
    assert amounts[(holder.id, extra.id)] == (30, Decimal("27.00"))
    # The child (born 2015) is listed but pays nothing (D2; REFERENCE: non-paying insured too).
    assert amounts[(child.id, basic.id)] == (0, Decimal("0.00"))
    assert amounts[(child.id, extra.id)] == (0, Decimal("0.00"))
    assert {ln.kind for ln in lines} == {BorderelLineKind.REGULAR}
    assert {ln.employee_number for ln in lines} == {"E1"}
    assert {ln.policyholder_id for ln in lines} == {holder.id}
    assert borderel.line_count == 4
    assert borderel.total_premium == Decimal("187.00")
    assert borderel.total_deduction == Decimal("187.00")


async def test_d3_a_second_run_for_the_same_month_changes_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as db:
        _where, *_ = await setup(db)
    first = await run_prolongation(session_factory, NOV, now=at(20, 10))
    again = await run_prolongation(session_factory, NOV, now=at(21, 10))
    assert [o.made for o in first] == [True]
    assert [(o.made, o.borderel_id) for o in again] == [(False, first[0].borderel_id)]
    async with session_factory() as db:
        assert len(list(await db.scalars(select(Borderel)))) == 1
        assert len(await lines_of(db, first[0].borderel_id)) == 4


async def deregister(
    db: AsyncSession, enrollment: Enrollment, end: dt.date, when: dt.datetime
) -> None:
    """A back-dated deregistration as the portal records it: end date plus a mutation."""
    enrollment.end_date = end
    db.add(
        Mutation(
            kind=MutationKind.DEREGISTER,
            insured_id=enrollment.insured_id,
            collectivity_id=enrollment.collectivity_id,
            effective_date=end,
            registered_at=when,
        )
    )
    await db.commit()


async def test_d3_a_back_dated_deregistration_is_corrected_in_the_next_borderel(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as db:
        _where, family, basic, extra = await setup(db, children=0)
    await run_prolongation(session_factory, OCT, now=at(20, 9))
    await run_prolongation(session_factory, NOV, now=at(20, 10))
    async with session_factory() as db:
        enrollment = await db.get(Enrollment, family.enrollments[0].id)
        # Registered on 25 November: left per 16 October (last day the 15th).
        await deregister(db, enrollment, dt.date(2026, 10, 15), at(25))
    [outcome] = await run_prolongation(session_factory, DEC, now=at(20))
    async with session_factory() as db:
        lines = await lines_of(db, outcome.borderel_id)
        borderel = await db.get(Borderel, outcome.borderel_id)
    got = {(ln.period, ln.product_id): ln for ln in lines}
    assert {ln.kind for ln in lines} == {BorderelLineKind.CORRECTION}  # no regular line in Dec
    # October basic: 160.00 × 15/31 = 77.419… → 77.42; billed 160.00 → −82.58.
    assert got[(OCT, basic.id)].premium == Decimal("-82.58")
    assert got[(OCT, basic.id)].days == 15
    # October supplementary: 30.00 × 15/31 = 14.52, −10% 1.45 = 13.07; billed 27.00 → −13.93.
    oct_extra = got[(OCT, extra.id)]
    assert (oct_extra.gross_premium, oct_extra.discount, oct_extra.premium) == (
        Decimal("-15.48"),
        Decimal("-1.55"),
        Decimal("-13.93"),
    )
    # November: not a member at all any more → everything billed is returned.
    assert got[(NOV, basic.id)].premium == Decimal("-160.00")
    assert got[(NOV, extra.id)].premium == Decimal("-27.00")
    assert borderel.total_premium == Decimal("-283.51")
    assert borderel.total_premium == sum(ln.premium for ln in lines)


async def test_d3_nothing_changed_means_no_corrections(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as db:
        where, family, *_ = await setup(db)
    await run_prolongation(session_factory, OCT, now=at(20, 9))
    async with session_factory() as db:
        # A mutation that changes no amount (an employee number) recalculates, corrects nothing.
        db.add(
            Mutation(
                kind=MutationKind.EMPLOYEE_NUMBER,
                insured_id=family.members[0].id,
                collectivity_id=where.id,
                effective_date=dt.date(2026, 10, 25),
                registered_at=at(25, 10),
            )
        )
        await db.commit()
    [outcome] = await run_prolongation(session_factory, NOV, now=at(20, 10))
    async with session_factory() as db:
        kinds = {ln.kind for ln in await lines_of(db, outcome.borderel_id)}
    assert kinds == {BorderelLineKind.REGULAR}


async def test_d3_a_move_corrects_both_collectivities(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as db:
        old, family, _basic, _extra = await setup(db, children=0)
        new = await factories.collectivity(db, owner=None)
        await db.commit()
    await run_prolongation(session_factory, NOV, now=at(20, 10))
    async with session_factory() as db:
        # Moved per 1 November, registered 25 November.
        enrollment = await db.get(Enrollment, family.enrollments[0].id)
        enrollment.end_date = dt.date(2026, 10, 31)
        db.add(
            Enrollment(
                insured_id=enrollment.insured_id,
                collectivity_id=new.id,
                start_date=NOV,
                sort_name=enrollment.sort_name,
                birth_date=enrollment.birth_date,
                relation=enrollment.relation,
                policy_number=enrollment.policy_number,
                employee_number="N7",
            )
        )
        for collectivity_id in (old.id, new.id):
            db.add(
                Mutation(
                    kind=MutationKind.MOVE,
                    insured_id=enrollment.insured_id,
                    collectivity_id=collectivity_id,
                    effective_date=NOV,
                    registered_at=at(25),
                )
            )
        await db.commit()
    outcomes = {
        o.collectivity_id: o for o in await run_prolongation(session_factory, DEC, now=at(28))
    }
    async with session_factory() as db:
        old_lines = await lines_of(db, outcomes[old.id].borderel_id)
        new_lines = await lines_of(db, outcomes[new.id].borderel_id)
    # The old collectivity gives November back; the new one (billed for November already, with
    # nobody on it) bills November as a correction and December as regular lines.
    assert sorted((ln.period, ln.premium) for ln in old_lines) == [
        (NOV, Decimal("-160.00")),
        (NOV, Decimal("-27.00")),
    ]
    assert sorted((ln.kind, ln.period, ln.premium, ln.employee_number) for ln in new_lines) == [
        (BorderelLineKind.CORRECTION, NOV, Decimal("27.00"), "N7"),
        (BorderelLineKind.CORRECTION, NOV, Decimal("160.00"), "N7"),
        (BorderelLineKind.REGULAR, DEC, Decimal("27.00"), "N7"),
        (BorderelLineKind.REGULAR, DEC, Decimal("160.00"), "N7"),
    ]


async def test_d2_d3_the_month_after_the_18th_birthday_is_the_first_paid(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as db:
        _where, family, basic, extra = await setup(db)
        child = family.members[1]
        child.birth_date = dt.date(2008, 10, 31)  # 18 on 31 October 2026
        await db.commit()
    outcomes = [
        (await run_prolongation(session_factory, month, now=at(20, month.month - 1)))[0]
        for month in (OCT, NOV)
    ]
    async with session_factory() as db:
        paid = [
            {
                ln.product_id: ln.premium
                for ln in await lines_of(db, o.borderel_id)
                if ln.insured_id == child.id
            }
            for o in outcomes
        ]
    assert paid[0] == {basic.id: Decimal("0.00"), extra.id: Decimal("0.00")}
    assert paid[1] == {basic.id: Decimal("160.00"), extra.id: Decimal("27.00")}


@pytest.mark.parametrize(
    ("month", "code"),
    [
        (dt.date(2027, 2, 1), ErrorCode.MONTH_OUT_OF_RANGE.value),
        (dt.date(2024, 6, 1), ErrorCode.MONTH_BEFORE_CONTRACT.value),
    ],
)
async def test_d3_months_outside_the_contract_are_refused(
    session_factory: async_sessionmaker[AsyncSession], month: dt.date, code: str
) -> None:
    from resolvers.errors import DomainError
    from resolvers.months import check_not_beyond_next

    async with session_factory() as db:
        where, *_ = await setup(db)

    async def run() -> None:
        check_not_beyond_next(month, dt.date(2026, 12, 4))
        async with session_factory() as db:
            await make_borderel(db, where.id, month, now=at(20))

    with pytest.raises(DomainError) as caught:
        await run()
    assert caught.value.code.value == code
    async with session_factory() as db:
        assert list(await db.scalars(select(Borderel))) == []


async def test_d3_individual_payment_gets_no_borderel(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as db:
        where, *_ = await setup(db, premium_collection=PremiumCollection.INDIVIDUAL)
    assert await run_prolongation(session_factory, NOV, now=at(20, 10)) == []
    [outcome] = await run_prolongation(
        session_factory, NOV, now=at(20, 10), collectivity_ids=[where.id]
    )
    assert outcome.error is ErrorCode.BORDEREL_NEEDS_SALARY_DEDUCTION


async def test_d3_concurrent_runs_make_one_borderel(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as db:
        _where, *_ = await setup(db)
    results = await asyncio.gather(
        *(run_prolongation(session_factory, NOV, now=at(20, 10)) for _ in range(4))
    )
    made = [o for [o] in results if o.made]
    assert len(made) == 1
    assert {o.borderel_id for [o] in results} == {made[0].borderel_id}
    async with session_factory() as db:
        assert len(await lines_of(db, made[0].borderel_id)) == 4


async def test_d8_an_acceptgiro_borderel_gets_an_invoice_for_its_total(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as db:
        where, *_ = await setup(db, payment_method=PaymentMethod.ACCEPTGIRO)
        _debit, *_ = await setup(db, payment_method=PaymentMethod.DIRECT_DEBIT)

    async def invoice(db: AsyncSession, borderel: Borderel, year) -> None:  # type: ignore[no-untyped-def]
        await invoice_for(
            db, borderel, year, today=dt.date(2026, 10, 20), now=at(20, 10), terms=BillingTerms()
        )

    await run_prolongation(session_factory, NOV, now=at(20, 10), after_borderel=invoice)
    async with session_factory() as db:
        [row] = list(await db.scalars(select(Invoice)))
        borderel = await db.get(Borderel, row.borderel_id)
    assert borderel.collectivity_id == where.id
    assert row.amount == borderel.total_premium == Decimal("187.00")
    assert row.due_date == dt.date(2026, 11, 19)
    assert row.status is InvoiceStatus.OPEN
