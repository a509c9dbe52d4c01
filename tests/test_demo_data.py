"""The demo data: loads, is idempotent and looks like a real employer's (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from decimal import Decimal

from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.bsn import is_valid_bsn
from resolvers.clock import AMSTERDAM, FixedClock
from resolvers.passwords import verify_password
from resolvers.two_factor import TotpCipher
from server.demo import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    DEMO_TWO_FACTOR_EMAIL,
    DemoSummary,
    demo_years,
    load_demo_data,
)
from storage import (
    AccountRequest,
    Base,
    Collectivity,
    Contract,
    ContractLink,
    Customer,
    Enrollment,
    InsuredPerson,
    Mutation,
    Policy,
    Product,
    Tariff,
    TotpDevice,
    User,
)
from storage.enums import (
    AccountRequestStatus,
    ContractLinkStatus,
    EmployerContributionKind,
    MutationKind,
    PaymentMethod,
    PremiumCollection,
    ProductKind,
    Relation,
    UserRole,
    UserStatus,
)

Factory = async_sessionmaker[AsyncSession]


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


async def _row_counts(session_factory: Factory) -> dict[str, int]:
    async with session_factory() as db:
        return {
            table.name: await db.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


async def test_demo_loads_with_the_documented_counts(
    session_factory: Factory, today: dt.date
) -> None:
    summary = await load_demo_data(session_factory, today=today)

    assert summary == DemoSummary(customers=2, collectivities=4, insured=300, users=5, created=True)
    assert "300 insured" in str(summary)


async def test_loading_twice_adds_nothing(session_factory: Factory, today: dt.date) -> None:
    await load_demo_data(session_factory, today=today)
    before = await _row_counts(session_factory)

    again = await load_demo_data(session_factory, today=today)

    assert again == DemoSummary(customers=2, collectivities=4, insured=300, users=5, created=False)
    assert await _row_counts(session_factory) == before


async def test_bsns_pass_the_11_proef_and_are_unique(
    session_factory: Factory, today: dt.date
) -> None:
    await load_demo_data(session_factory, today=today)
    async with session_factory() as db:
        bsns = (await db.scalars(select(InsuredPerson.bsn))).all()
        policy_numbers = set((await db.scalars(select(Policy.policy_number))).all())
        mutation_texts = [
            json.dumps([before, after])
            for before, after in (await db.execute(select(Mutation.before, Mutation.after))).all()
        ]

    assert len(bsns) == 300
    assert len(set(bsns)) == len(bsns)
    assert all(is_valid_bsn(bsn) and len(bsn) == 9 for bsn in bsns)
    assert not policy_numbers & set(bsns)
    # The mutation history is shown to users and exported: it holds no BSN.
    assert not any(bsn in text for text in mutation_texts for bsn in bsns)


async def test_every_policy_has_exactly_one_policyholder(
    session_factory: Factory, today: dt.date
) -> None:
    await load_demo_data(session_factory, today=today)
    async with session_factory() as db:
        holders_per_policy = (
            await db.execute(
                select(
                    Policy.id,
                    func.count(InsuredPerson.id).filter(
                        InsuredPerson.relation == Relation.POLICYHOLDER
                    ),
                    func.count(InsuredPerson.id),
                )
                .join(InsuredPerson, InsuredPerson.policy_id == Policy.id)
                .group_by(Policy.id)
            )
        ).all()
        policies = await db.scalar(select(func.count()).select_from(Policy))

    assert len(holders_per_policy) == policies
    assert all(holders == 1 for _id, holders, _members in holders_per_policy)
    assert any(members >= 4 for _id, _holders, members in holders_per_policy)


async def test_enrollments_end_on_or_after_their_start_and_never_overlap(
    session_factory: Factory, today: dt.date
) -> None:
    await load_demo_data(session_factory, today=today)
    async with session_factory() as db:
        enrollments = (await db.scalars(select(Enrollment))).all()
        births = dict((await db.execute(select(InsuredPerson.id, InsuredPerson.birth_date))).all())

    periods: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for enrollment in enrollments:
        assert enrollment.end_date is None or enrollment.end_date >= enrollment.start_date
        assert enrollment.start_date >= births[enrollment.insured_id]
        periods.setdefault(enrollment.insured_id, []).append(
            (enrollment.start_date, enrollment.end_date or dt.date.max)
        )
    for spans in periods.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start > end  # one collectivity at a time


async def test_collectivities_with_their_contract_terms(
    session_factory: Factory, today: dt.date
) -> None:
    await load_demo_data(session_factory, today=today)
    async with session_factory() as db:
        rows = (
            await db.execute(
                select(Customer.customer_number, Collectivity.collectivity_number, Contract)
                .join(Collectivity, Collectivity.customer_id == Customer.id)
                .join(Contract, Contract.collectivity_id == Collectivity.id)
                .order_by(Collectivity.collectivity_number, Contract.year)
            )
        ).all()
        names = dict(
            (await db.execute(select(Customer.customer_number, Customer.name))).all()
        ) | dict(
            (await db.execute(select(Collectivity.collectivity_number, Collectivity.name))).all()
        )

    assert names == {
        "100001": "Bouwbedrijf Van Dijk B.V.",
        "100002": "Zorggroep Het Baken",
        "200101": "Van Dijk Bouw - kantoor",
        "200102": "Van Dijk Bouw - uitvoering",
        "200201": "Zorggroep Het Baken",
        "200202": "Zorggroep Het Baken - thuiszorg",
    }
    terms = {
        (number, contract.year): (
            customer,
            contract.premium_collection,
            contract.payment_method,
            contract.discount_percentage,
            contract.employer_contribution_kind,
            contract.employer_contribution_amount,
            contract.employer_contribution_percentage,
            contract.start_date,
            contract.end_date,
        )
        for customer, number, contract in rows
    }
    expected = {
        "200101": (
            "100001", PremiumCollection.SALARY_DEDUCTION, PaymentMethod.ACCEPTGIRO,
            Decimal("10.00"), EmployerContributionKind.FIXED, Decimal("25.00"), None,
        ),
        "200102": (
            "100001", PremiumCollection.SALARY_DEDUCTION, PaymentMethod.DIRECT_DEBIT,
            Decimal("7.50"), EmployerContributionKind.PERCENTAGE, None, Decimal("50.00"),
        ),
        "200201": (
            "100002", PremiumCollection.INDIVIDUAL, None,
            Decimal("5.00"), EmployerContributionKind.NONE, None, None,
        ),
    }  # fmt: skip
    new = (
        "100002", PremiumCollection.SALARY_DEDUCTION, PaymentMethod.DIRECT_DEBIT,
        Decimal("5.00"), EmployerContributionKind.NONE, None, None,
    )  # fmt: skip
    assert terms == {
        (number, year): (*shape, dt.date(year, 1, 1), dt.date(year, 12, 31))
        for number, shape in expected.items()
        for year in demo_years(today)
    } | {("200202", today.year): (*new, dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))}


async def test_a1_demo_has_a_pending_account_request_for_the_new_collectivity(
    session_factory: Factory, today: dt.date
) -> None:
    await load_demo_data(session_factory, today=today)
    async with session_factory() as db:
        request = (await db.scalars(select(AccountRequest))).one()
        collectivity = await db.get(Collectivity, request.collectivity_id)
        users = await db.scalar(
            select(func.count()).where(User.home_collectivity_id == request.collectivity_id)
        )
    assert request.status is AccountRequestStatus.PENDING
    assert (request.customer_number, request.collectivity_number) == ("100002", "200202")
    assert collectivity.collectivity_number == "200202"
    assert users == 0  # so that staff can approve it (one main user per collectivity)


async def test_200101_links_200102_and_waits_for_200201(
    session_factory: Factory, today: dt.date
) -> None:
    """B2 in the demo: same customer linked at once; another customer's link pending."""
    await load_demo_data(session_factory, today=today)
    async with session_factory() as db:
        links = (await db.scalars(select(ContractLink).order_by(ContractLink.id))).all()
        numbers = dict(
            (await db.execute(select(Collectivity.id, Collectivity.collectivity_number))).all()
        )
        requesters = {(await db.get(User, link.requested_by_id)).email for link in links}

    assert [
        (numbers[link.collectivity_id], numbers[link.linked_collectivity_id], link.status)
        for link in links
    ] == [
        ("200101", "200102", ContractLinkStatus.ACTIVE),
        ("200101", "200201", ContractLinkStatus.PENDING),
    ]
    assert requesters == {"marieke.jansen@vandijkbouw.nl"}


async def test_a6_demo_two_factor_user_has_the_published_secret(
    session_factory: Factory, today: dt.date
) -> None:
    key = Fernet.generate_key()
    await load_demo_data(session_factory, today=today, totp_cipher=TotpCipher(key))
    async with session_factory() as db:
        devices = (await db.execute(select(User.email, TotpDevice).join(TotpDevice))).all()
    assert [email for email, _device in devices] == [DEMO_TWO_FACTOR_EMAIL]
    (_email, device) = devices[0]
    assert device.confirmed_at is not None
    assert TotpCipher(key).decrypt(device.secret_encrypted) == DEMO_TOTP_SECRET


async def test_demo_logins_verify_with_the_demo_password(
    session_factory: Factory, today: dt.date
) -> None:
    await load_demo_data(session_factory, today=today)
    async with session_factory() as db:
        users = {
            user.email_key: (user, number)
            for user, number in (
                await db.execute(
                    select(User, Collectivity.collectivity_number).outerjoin(
                        Collectivity, Collectivity.id == User.home_collectivity_id
                    )
                )
            ).all()
        }

    assert len(users) == len(DEMO_LOGINS) == 5
    for login in DEMO_LOGINS:
        user, number = users[login.email.lower()]
        assert login.password == DEMO_PASSWORD
        assert verify_password(user.password_hash, login.password)
        assert not verify_password(user.password_hash, login.password + "x")
        assert user.status is UserStatus.ACTIVE
        assert user.role is login.role
        assert number == login.collectivity_number
    assert {login.role for login in DEMO_LOGINS} == set(UserRole)


async def test_products_and_tariffs_for_last_and_this_year(
    session_factory: Factory, today: dt.date
) -> None:
    await load_demo_data(session_factory, today=today)
    async with session_factory() as db:
        products = {p.name: p for p in (await db.scalars(select(Product))).all()}
        tariffs = (
            await db.execute(select(Product.name, Tariff.year, Tariff.monthly_premium).join(Tariff))
        ).all()

    assert {name: p.kind for name, p in products.items()} == {
        "Basisverzekering Natura": ProductKind.BASIC,
        "Basisverzekering Restitutie": ProductKind.BASIC,
        "Aanvullend 1 ster": ProductKind.SUPPLEMENTARY,
        "Aanvullend 2 sterren": ProductKind.SUPPLEMENTARY,
        "Aanvullend 3 sterren": ProductKind.SUPPLEMENTARY,
        "Tand 250": ProductKind.DENTAL,
        "Tand 500": ProductKind.DENTAL,
    }
    assert not products["Tand 500"].free_for_children
    premiums = {(name, year): premium for name, year, premium in tariffs}
    assert set(premiums) == {(name, year) for name in products for year in demo_years(today)}
    assert demo_years(today) == (2025, 2026, 2027)  # in December next year's terms are known
    assert premiums["Basisverzekering Natura", today.year - 1] == Decimal("150.00")
    assert premiums["Basisverzekering Natura", today.year] == Decimal("158.00")


async def test_membership_history_looks_like_a_real_employers(
    session_factory: Factory, today: dt.date, clock: FixedClock
) -> None:
    await load_demo_data(session_factory, today=today)
    async with session_factory() as db:
        rows = (
            await db.execute(
                select(Collectivity.collectivity_number, Enrollment, InsuredPerson)
                .join(Enrollment, Enrollment.collectivity_id == Collectivity.id)
                .join(InsuredPerson, InsuredPerson.id == Enrollment.insured_id)
            )
        ).all()
        mutations = (await db.scalars(select(Mutation))).all()

    per_collectivity: dict[str, set[int]] = {}
    for number, enrollment, _person in rows:
        per_collectivity.setdefault(number, set()).add(enrollment.insured_id)
    assert {n: len(ids) for n, ids in per_collectivity.items() if n != "200102"} == {
        "200101": 150,
        "200201": 60,
    }
    assert 90 <= len(per_collectivity["200102"]) <= 110  # plus the families that moved away

    enrollments = [enrollment for _n, enrollment, _p in rows]
    people = {person.id: person for _n, _e, person in rows}
    window_start = today.replace(day=1) - dt.timedelta(days=18 * 31)
    assert any(e.start_date >= window_start for e in enrollments)  # joiners
    assert any(e.start_date < window_start for e in enrollments)  # long-standing members
    assert sum(e.end_date is not None and e.end_date < today for e in enrollments) >= 10  # leavers
    assert any(e.end_date is not None and e.end_date > today for e in enrollments)
    holders = [e for e in enrollments if people[e.insured_id].relation is Relation.POLICYHOLDER]
    assert all(e.employee_number is None for e in enrollments if e not in holders)
    assert 0 < sum(e.employee_number is None for e in holders) < len(holders) / 5
    child_ages = {
        _age(people[e.insured_id].birth_date, today)
        for e in enrollments
        if people[e.insured_id].relation is Relation.CHILD
    }
    assert min(child_ages) == 0
    assert max(child_ages) >= 22
    assert {17, 18} <= child_ages  # D2: the 18th-birthday rule has someone to apply to

    back_dated = [
        m for m in mutations if m.registered_at.astimezone(AMSTERDAM).date() > m.effective_date
    ]
    assert {m.kind for m in back_dated} >= {MutationKind.ENROLL, MutationKind.DEREGISTER}
    kinds = {m.kind for m in mutations}
    assert kinds >= {
        MutationKind.ENROLL,
        MutationKind.DEREGISTER,
        MutationKind.EMPLOYEE_NUMBER,
        MutationKind.MOVE,
    }
    assert all(m.registered_at.tzinfo is not None for m in mutations)
    assert all(m.registered_at <= clock.now() for m in mutations)  # nothing from the future
    deregistered = {m.insured_id for m in mutations if m.kind is MutationKind.DEREGISTER}
    ended = {e.insured_id for e in enrollments if e.end_date is not None}
    assert deregistered | {m.insured_id for m in mutations if m.kind is MutationKind.MOVE} >= ended


async def test_moved_families_left_one_collectivity_the_day_before_joining_the_other(
    session_factory: Factory, today: dt.date
) -> None:
    await load_demo_data(session_factory, today=today)
    async with session_factory() as db:
        moved = (
            await db.execute(
                select(Mutation.insured_id, Mutation.effective_date)
                .where(Mutation.kind == MutationKind.MOVE)
                .distinct()
            )
        ).all()
        enrollments = (
            await db.execute(
                select(Enrollment, Collectivity.collectivity_number).join(Collectivity)
            )
        ).all()

    assert len({insured for insured, _ in moved}) >= 3
    for insured, move_date in moved:
        mine = [(number, e) for e, number in enrollments if e.insured_id == insured]
        left = {n for n, e in mine if e.end_date == move_date - dt.timedelta(days=1)}
        joined = {n for n, e in mine if e.start_date == move_date}
        # From 200102 to 200101 in the history; one family the other way in the demo billing.
        assert len(left) == len(joined) == 1
        assert left | joined == {"200101", "200102"}


async def test_d3_d8_demo_has_borderels_with_corrections_and_invoices_in_every_state(
    session_factory: async_sessionmaker[AsyncSession], today: dt.date
) -> None:
    """Six months of borderels for the salary-deduction collectivities, the last two with real
    corrections; paid invoices, an overdue one with a reminder letter, and an open one."""
    from storage import Borderel, BorderelLine, Document, DunningNotice, Invoice
    from storage.enums import BorderelLineKind, DocumentKind, InvoiceStatus

    await load_demo_data(session_factory, today=today)
    async with session_factory() as db:
        numbers = dict(
            (await db.execute(select(Collectivity.collectivity_number, Collectivity.id))).all()
        )
        months = {
            number: sorted(
                await db.scalars(
                    select(Borderel.month).where(Borderel.collectivity_id == numbers[number])
                )
            )
            for number in ("200101", "200102", "200201", "200202")
        }
        corrections = {
            (collectivity_id, month): count
            for collectivity_id, month, count in await db.execute(
                select(Borderel.collectivity_id, Borderel.month, func.count())
                .join(BorderelLine)
                .where(BorderelLine.kind == BorderelLineKind.CORRECTION)
                .group_by(Borderel.collectivity_id, Borderel.month)
            )
        }
        invoices = list(
            await db.scalars(
                select(Invoice)
                .where(Invoice.collectivity_id == numbers["200101"])
                .order_by(Invoice.issue_date)
            )
        )
        reminders = list(await db.scalars(select(DunningNotice)))
        letters = list(
            await db.scalars(
                select(Document.kind).where(Document.collectivity_id == numbers["200101"])
            )
        )
    this_month = today.replace(day=1)
    assert len(months["200101"]) == 6
    assert months["200101"][-1] == this_month
    assert len(months["200102"]) == 6
    assert months["200201"] == []  # individual payment: no borderels (D3)
    previous = months["200101"][-2]
    assert corrections.get((numbers["200101"], previous), 0) > 0  # the back-dated leave
    assert corrections.get((numbers["200101"], this_month), 0) > 0  # the move, out of 200101
    assert corrections.get((numbers["200102"], this_month), 0) > 0  # … and into 200102
    assert len(invoices) == 6
    statuses = [i.status for i in invoices]
    assert statuses[0] is InvoiceStatus.PAID
    assert statuses[-1] is InvoiceStatus.OPEN
    overdue = [i for i in invoices if i.status is not InvoiceStatus.PAID and i.due_date < today]
    assert len(overdue) == 1
    assert [r.invoice_id for r in reminders] == [overdue[0].id]
    assert DocumentKind.REMINDER in letters
    assert letters.count(DocumentKind.INVOICE) == 6
    assert letters.count(DocumentKind.BORDEREL) == 6  # F1: each borderel's .dat in the inbox
