"""D3, D2 property-based: random sequences of back-dated (and future-dated) mutations interleaved
with monthly prolongation runs, on both databases.

Each example builds its own world — two salary-deduction collectivities of one customer (A: 50 %
employer contribution, B: a fixed 25.00 per policyholder; both 10 % discount), three families,
a basic, a supplementary and a dental product — and looks only at that world (the database is
emptied after the test, not between examples). A clock advances: every mutation is registered
after the previous run, the way the portal records it (the changed enrollment, coverage or birth
date plus a ``Mutation`` row per insured and collectivity). The runs bill successive months; B's
first borderel may come later than A's, so moves into B can land in months B never billed.

After every run of month M, for both collectivities:

(a) for every billed month P ≤ M and every insured and product, the sum of all lines billed for
    (insured, product, P) equals ``compute_month`` recalculated from scratch on the current facts
    (read here, not through the run's loaders) — gross, discount, premium, contribution, deduction;
(b) running M again changes nothing: same borderel ids, same line counts, no new borderel;
(c) each borderel's totals are the sums of its lines and ``line_count`` their number;
(d) no line bills a month the collectivity has no borderel for; regular lines bill the borderel's
    own month, corrections an earlier one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.premium_calculation import MemberFacts, ProductFacts, Terms, compute_month
from resolvers.premiums import month_bounds
from resolvers.prolongation import run_prolongation
from storage import (
    Borderel,
    BorderelLine,
    Contract,
    Coverage,
    Enrollment,
    InsuredPerson,
    Mutation,
)
from storage.enums import (
    BorderelLineKind,
    EmployerContributionKind,
    MutationKind,
    ProductKind,
)

from . import factories

YEAR = 2026
TERMS_A = Terms(Decimal("10.00"), EmployerContributionKind.PERCENTAGE, None, Decimal("50.00"))
TERMS_B = Terms(Decimal("10.00"), EmployerContributionKind.FIXED, Decimal("25.00"), None)
TARIFFS = {
    ProductKind.BASIC: {2025: "150.00", 2026: "160.00"},
    ProductKind.SUPPLEMENTARY: {2025: "28.00", 2026: "30.00"},
    ProductKind.DENTAL: {2025: "19.95", 2026: "21.45"},  # not free for children
}
AMOUNTS = ("gross_premium", "discount", "premium", "employer_contribution", "deduction")
NIL = (Decimal("0.00"),) * len(AMOUNTS)


@dataclasses.dataclass(frozen=True)
class Op:
    """One mutation. ``who``: 0–2 a whole family (coverage ops: its policyholder), 3 and 4 the
    child of family 0 or 2 alone. ``back``/``day`` give the effective date: ``back`` months
    before the month after the coming run M (0: M + 1, in the future; 1: M itself; 2 and more:
    months already billed, or before the first borderel); for ``birthday`` they pick a birth date
    whose 18th birthday falls between November 2025 and November 2026 (``flag`` with day 29:
    29 February 2008)."""

    kind: str
    who: int
    back: int
    day: int
    flag: bool  # enrol: in the other collectivity; add_cover: dental instead of supplementary


KINDS = ("deregister", "enrol", "move", "birthday", "add_cover", "end_cover")
ops = st.builds(
    Op,
    kind=st.sampled_from(KINDS),
    who=st.integers(0, 4),
    back=st.integers(0, 6),
    day=st.integers(1, 31),
    flag=st.booleans(),
)


@dataclasses.dataclass(frozen=True)
class Scenario:
    first: int  # A's first prolongation month
    b_delay: int  # B's first borderel comes this many months later
    steps: list[list[Op]]  # the mutations registered before each successive run


scenarios = st.builds(
    Scenario,
    first=st.integers(1, 6),
    b_delay=st.integers(0, 2),
    steps=st.lists(st.lists(ops, max_size=4), min_size=2, max_size=6),
)


@dataclasses.dataclass
class World:
    a: int
    b: int
    products: dict[ProductKind, int]
    families: list[list[int]]  # insured ids, policyholder first
    now: dt.datetime

    @property
    def insured(self) -> list[int]:
        return [i for family in self.families for i in family]

    def tick(self, at_least: dt.datetime | None = None) -> dt.datetime:
        self.now = max(self.now + dt.timedelta(hours=1), at_least or self.now)
        return self.now

    def people(self, who: int) -> list[int]:
        return self.families[who] if who < 3 else [self.families[0 if who == 3 else 2][1]]

    def person(self, who: int) -> int:
        return self.families[who][0] if who < 3 else self.people(who)[0]

    def terms(self, collectivity_id: int) -> Terms:
        return TERMS_A if collectivity_id == self.a else TERMS_B


async def build_world(db: AsyncSession) -> World:
    owner = await factories.customer(db)
    a = await factories.collectivity(db, owner)
    b = await factories.collectivity(db, owner)
    for where, terms in ((a, TERMS_A), (b, TERMS_B)):
        contract = await db.scalar(select(Contract).where(Contract.collectivity_id == where.id))
        contract.employer_contribution_kind = terms.contribution_kind
        contract.employer_contribution_amount = terms.contribution_amount
        contract.employer_contribution_percentage = terms.contribution_percentage
    basic = await factories.product(db, ProductKind.BASIC, TARIFFS[ProductKind.BASIC])
    extra = await factories.product(
        db, ProductKind.SUPPLEMENTARY, TARIFFS[ProductKind.SUPPLEMENTARY]
    )
    dental = await factories.product(
        db, ProductKind.DENTAL, TARIFFS[ProductKind.DENTAL], free_for_children=False
    )
    families = []
    for where, children, number in ((a, 1, "E1"), (a, 0, "E2"), (b, 1, "E3")):
        family = await factories.family(db, where, children=children, employee_number=number)
        await factories.cover(db, family, basic, extra)
        families.append([m.id for m in family.members])
    await db.commit()
    return World(
        a=a.id,
        b=b.id,
        products={
            ProductKind.BASIC: basic.id,
            ProductKind.SUPPLEMENTARY: extra.id,
            ProductKind.DENTAL: dental.id,
        },
        families=families,
        now=dt.datetime(YEAR - 1, 12, 1, 9, 0, tzinfo=dt.UTC),
    )


def effective(op: Op, run_month: int) -> dt.date:
    month = min(max(run_month + 1 - op.back, 1), 12)
    return dt.date(YEAR, month, min(op.day, month_bounds(dt.date(YEAR, month, 1))[1].day))


async def latest_enrollment(db: AsyncSession, insured_id: int) -> Enrollment:
    return await db.scalar(
        select(Enrollment)
        .where(Enrollment.insured_id == insured_id)
        .order_by(Enrollment.start_date.desc())
        .limit(1)
    )


def mutation(
    kind: MutationKind, insured_id: int, collectivity_id: int, date: dt.date, when: dt.datetime
) -> Mutation:
    return Mutation(
        kind=kind,
        insured_id=insured_id,
        collectivity_id=collectivity_id,
        effective_date=date,
        registered_at=when,
    )


def follow_up(old: Enrollment, collectivity_id: int, start: dt.date, end: dt.date | None):  # type: ignore[no-untyped-def]
    return Enrollment(
        insured_id=old.insured_id,
        collectivity_id=collectivity_id,
        start_date=start,
        end_date=end,
        sort_name=old.sort_name,
        birth_date=old.birth_date,
        relation=old.relation,
        policy_number=old.policy_number,
        employee_number=old.employee_number,
    )


async def apply(db: AsyncSession, world: World, op: Op, run_month: int) -> None:
    """Apply ``op`` as the portal would record it; ops that make no sense in the current state
    (deregistering someone who already left earlier, …) change nothing."""
    when = world.tick()
    date = effective(op, run_month)
    other = {world.a: world.b, world.b: world.a}
    if op.kind == "deregister":
        for insured_id in world.people(op.who):
            current = await latest_enrollment(db, insured_id)
            if current.start_date <= date and (current.end_date is None or current.end_date > date):
                current.end_date = date
                db.add(
                    mutation(
                        MutationKind.DEREGISTER, insured_id, current.collectivity_id, date, when
                    )
                )
    elif op.kind == "enrol":
        for insured_id in world.people(op.who):
            current = await latest_enrollment(db, insured_id)
            if current.end_date is not None and current.end_date < date:
                where = other[current.collectivity_id] if op.flag else current.collectivity_id
                db.add(follow_up(current, where, date, None))
                db.add(mutation(MutationKind.ENROLL, insured_id, where, date, when))
    elif op.kind == "move":  # C7: the old membership ends the day before
        for insured_id in world.people(op.who):
            current = await latest_enrollment(db, insured_id)
            if current.start_date < date and (current.end_date is None or current.end_date >= date):
                where = other[current.collectivity_id]
                db.add(follow_up(current, where, date, current.end_date))
                current.end_date = date - dt.timedelta(days=1)
                for collectivity_id in (current.collectivity_id, where):
                    db.add(mutation(MutationKind.MOVE, insured_id, collectivity_id, date, when))
    elif op.kind == "birthday":  # D2: around the 18th birthday
        insured_id = world.families[0 if op.who in (0, 1, 3) else 2][1]
        if op.flag and op.day == 29:
            born = dt.date(2008, 2, 29)
        else:
            born = dt.date(2007, 11, 1) + dt.timedelta(days=op.back * 60 + op.day)
        person = await db.get(InsuredPerson, insured_id)
        person.birth_date = born
        for enrollment in await db.scalars(
            select(Enrollment).where(Enrollment.insured_id == insured_id)
        ):
            enrollment.birth_date = born
        current = await latest_enrollment(db, insured_id)
        db.add(
            mutation(MutationKind.PERSONAL_DATA, insured_id, current.collectivity_id, born, when)
        )
    elif op.kind == "add_cover":
        insured_id = world.person(op.who)
        kind = ProductKind.DENTAL if op.flag else ProductKind.SUPPLEMENTARY
        product_id = world.products[kind]
        clash = await db.scalar(
            select(Coverage.id).where(
                Coverage.insured_id == insured_id,
                Coverage.product_id == product_id,
                (Coverage.end_date.is_(None)) | (Coverage.end_date >= date),
            )
        )
        if clash is None:
            db.add(Coverage(insured_id=insured_id, product_id=product_id, start_date=date))
            current = await latest_enrollment(db, insured_id)
            db.add(mutation(MutationKind.COVERAGE, insured_id, current.collectivity_id, date, when))
    elif op.kind == "end_cover":
        insured_id = world.person(op.who)
        coverage = await db.scalar(
            select(Coverage)
            .where(
                Coverage.insured_id == insured_id,
                Coverage.product_id != world.products[ProductKind.BASIC],
                Coverage.start_date <= date,
                (Coverage.end_date.is_(None)) | (Coverage.end_date > date),
            )
            .order_by(Coverage.start_date.desc())
            .limit(1)
        )
        if coverage is not None:
            coverage.end_date = date
            current = await latest_enrollment(db, insured_id)
            db.add(mutation(MutationKind.COVERAGE, insured_id, current.collectivity_id, date, when))
    event(f"{op.kind}: {'applied' if db.new or db.dirty else 'no-op'}")
    await db.commit()


async def recalculated(
    db: AsyncSession, world: World, collectivity_id: int, period: dt.date
) -> dict[tuple[int, int], tuple[Decimal, ...]]:
    """What the world's insured owe in ``collectivity_id`` for ``period``, from the facts as they
    are now, read here with plain queries and computed with ``compute_month``."""
    people = {
        p.id: p
        for p in await db.scalars(select(InsuredPerson).where(InsuredPerson.id.in_(world.insured)))
    }
    memberships: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for e in await db.scalars(
        select(Enrollment).where(
            Enrollment.insured_id.in_(world.insured), Enrollment.collectivity_id == collectivity_id
        )
    ):
        memberships[e.insured_id].append((e.start_date, e.end_date))
    coverages: dict[int, list[tuple[int, tuple[dt.date, dt.date | None]]]] = defaultdict(list)
    for c in await db.scalars(select(Coverage).where(Coverage.insured_id.in_(world.insured))):
        coverages[c.insured_id].append((c.product_id, (c.start_date, c.end_date)))
    members = [
        MemberFacts(
            insured_id=i,
            policy_id=people[i].policy_id,
            relation=people[i].relation,
            birth_date=people[i].birth_date,
            memberships=tuple(sorted(memberships[i])),
            coverages=tuple(coverages[i]),
        )
        for i in world.insured
        if memberships[i]
    ]
    products = {
        product_id: ProductFacts(
            product_id,
            kind.value,
            kind.value,
            kind,
            kind is not ProductKind.DENTAL,
            {year: Decimal(t) for year, t in TARIFFS[kind].items()},
        )
        for kind, product_id in world.products.items()
    }
    return {
        (c.insured_id, c.product_id): tuple(getattr(c.line, a) for a in AMOUNTS)
        for c in compute_month(period, members, products, world.terms(collectivity_id))
    }


async def check_invariants(
    db: AsyncSession, world: World, collectivity_id: int, month: dt.date
) -> None:
    borderels = {
        b.id: b
        for b in await db.scalars(
            select(Borderel).where(Borderel.collectivity_id == collectivity_id)
        )
    }
    months = {b.month for b in borderels.values()}
    assert max(months) == month
    lines = list(
        await db.scalars(select(BorderelLine).where(BorderelLine.borderel_id.in_(borderels)))
    )
    by_borderel: dict[int, list[BorderelLine]] = defaultdict(list)
    billed: dict[dt.date, dict[tuple[int, int], list[Decimal]]] = defaultdict(dict)
    for line in lines:
        by_borderel[line.borderel_id].append(line)
        made_in = borderels[line.borderel_id].month
        # (d) only months with a borderel of this collectivity; regular = own month.
        assert line.period in months, (line.period, sorted(months))
        if line.kind is BorderelLineKind.REGULAR:
            assert line.period == made_in
        else:
            assert line.period < made_in
        sums = billed[line.period].setdefault(
            (line.insured_id, line.product_id), [Decimal("0.00")] * len(AMOUNTS)
        )
        for index, name in enumerate(AMOUNTS):
            sums[index] += getattr(line, name)
    # (c) totals reconcile with the lines.
    for borderel_id, borderel in borderels.items():
        own = by_borderel[borderel_id]
        assert borderel.line_count == len(own)
        assert borderel.total_premium == sum((ln.premium for ln in own), Decimal("0.00"))
        assert borderel.total_employer_contribution == sum(
            (ln.employer_contribution for ln in own), Decimal("0.00")
        )
        assert borderel.total_deduction == sum((ln.deduction for ln in own), Decimal("0.00"))
    # (a) every billed month sums to the recalculated amounts.
    for period in sorted(months):
        expected = await recalculated(db, world, collectivity_id, period)
        got = {key: tuple(sums) for key, sums in billed[period].items()}
        for key in expected.keys() | got.keys():
            assert got.get(key, NIL) == expected.get(key, NIL), (
                f"collectivity {'A' if collectivity_id == world.a else 'B'}, period {period}, "
                f"insured/product {key}: billed {got.get(key)} vs recalculated {expected.get(key)}"
            )


async def line_counts(db: AsyncSession, world: World) -> dict[int, int]:
    counts: dict[int, int] = {}
    for borderel in await db.scalars(
        select(Borderel).where(Borderel.collectivity_id.in_([world.a, world.b]))
    ):
        counts[borderel.id] = len(
            list(
                await db.scalars(
                    select(BorderelLine.id).where(BorderelLine.borderel_id == borderel.id)
                )
            )
        )
    return counts


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios)
async def test_d3_billed_months_always_sum_to_the_recalculated_amounts(
    session_factory: async_sessionmaker[AsyncSession], scenario: Scenario
) -> None:
    async with session_factory() as db:
        world = await build_world(db)
    for index, step in enumerate(scenario.steps):
        month_number = scenario.first + index
        if month_number > 12:
            break
        month = dt.date(YEAR, month_number, 1)
        async with session_factory() as db:
            for op in step:
                await apply(db, world, op, month_number)
        ids = [world.a]
        if month_number >= scenario.first + scenario.b_delay:
            ids.append(world.b)
        # The run of month M: on the 20th of the month before, after every mutation so far.
        previous = dt.date(YEAR, month_number, 1) - dt.timedelta(days=12)
        now = world.tick(dt.datetime(previous.year, previous.month, 20, 9, tzinfo=dt.UTC))
        outcomes = await run_prolongation(session_factory, month, now=now, collectivity_ids=ids)
        assert [(o.made, o.error) for o in outcomes] == [(True, None)] * len(ids)
        async with session_factory() as db:
            for collectivity_id in ids:
                await check_invariants(db, world, collectivity_id, month)
            before = await line_counts(db, world)
        # (b) a rerun of M changes nothing.
        again = await run_prolongation(
            session_factory, month, now=world.tick(), collectivity_ids=ids
        )
        assert [(o.made, o.borderel_id) for o in again] == [
            (False, o.borderel_id) for o in outcomes
        ]
        async with session_factory() as db:
            assert await line_counts(db, world) == before
    async with session_factory() as db:
        corrections = await db.scalar(
            select(func.count())
            .select_from(BorderelLine)
            .join(Borderel, Borderel.id == BorderelLine.borderel_id)
            .where(
                Borderel.collectivity_id.in_([world.a, world.b]),
                BorderelLine.kind == BorderelLineKind.CORRECTION,
            )
        )
    event(f"correction lines: {'none' if not corrections else 'some'}")


async def test_d3_the_invariants_catch_a_change_without_a_mutation(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """The check can fail: a back-dated deregistration written without its ``Mutation`` row is
    not corrected by the run, and invariant (a) reports the month billed too much."""
    async with session_factory() as db:
        world = await build_world(db)
    feb, mar = dt.date(YEAR, 2, 1), dt.date(YEAR, 3, 1)
    await run_prolongation(session_factory, feb, now=world.tick(), collectivity_ids=[world.a])
    async with session_factory() as db:
        current = await latest_enrollment(db, world.families[1][0])
        current.end_date = dt.date(YEAR, 2, 10)  # no Mutation: the run cannot know
        await db.commit()
    await run_prolongation(session_factory, mar, now=world.tick(), collectivity_ids=[world.a])
    async with session_factory() as db:
        with pytest.raises(AssertionError, match="period 2026-02-01"):
            await check_invariants(db, world, world.a, mar)
