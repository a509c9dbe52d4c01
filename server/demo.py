"""Demo data that looks like a real employer's: two customers, three collectivities, ~300 insured.

``load_demo_data`` fills an empty (migrated) database so that a portal frontend, a reviewer or a
scenario test can log in and find a believable collectivity: families with partners and children of
all ages, leavers, back-dated changes, moved families, products and tariffs for last and this year,
and one user per role. The data is deterministic relative to ``today`` (fixed seeds); only password
hashes differ between runs. Loading twice changes nothing.

The fixed numbers, names and logins below are the contract with the README and the tests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.clock import AMSTERDAM
from resolvers.passwords import hash_password
from resolvers.two_factor import TotpCipher
from storage import (
    AccountRequest,
    Collectivity,
    Contract,
    ContractLink,
    Coverage,
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
    UserRole,
    UserStatus,
)

from .demo_billing import load_demo_billing
from .synthetic_people import (
    Family,
    FamilyHistory,
    HistoryPlanner,
    PeopleGenerator,
    ProductCodes,
    add_months,
)

__all__ = [
    "DEMO_COLLECTIVITIES",
    "DEMO_CUSTOMERS",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "PRODUCT_CATALOGUE",
    "CatalogueProduct",
    "DemoLogin",
    "DemoSummary",
    "load_demo_data",
    "monthly_premium",
]

DEMO_PASSWORD = "demo-wachtwoord-collectief"  # noqa: S105 - the published demo password

# The seeds of the demo families and their history; change them and the README's examples change.
PEOPLE_SEED = 20240601
HISTORY_SEED = 20240602
# Number ranges of the demo (the benchmark generator uses others, so both fit in one database).
BSN_START = 16_100_000
BSN_STEP = 97
POLICY_NUMBER_START = 1_604_000_000
EMPLOYEE_NUMBER_START = 4_100


# --- products --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class CatalogueProduct:
    code: str
    name: str
    kind: ProductKind
    free_for_children: bool
    premium_last_year: Decimal
    premium_this_year: Decimal


PRODUCT_CATALOGUE: tuple[CatalogueProduct, ...] = (
    CatalogueProduct(
        "BASIS-NATURA", "Basisverzekering Natura", ProductKind.BASIC, True,
        Decimal("150.00"), Decimal("158.00"),
    ),
    CatalogueProduct(
        "BASIS-RESTITUTIE", "Basisverzekering Restitutie", ProductKind.BASIC, True,
        Decimal("163.50"), Decimal("171.25"),
    ),
    CatalogueProduct(
        "AANV-1", "Aanvullend 1 ster", ProductKind.SUPPLEMENTARY, True,
        Decimal("12.95"), Decimal("13.75"),
    ),
    CatalogueProduct(
        "AANV-2", "Aanvullend 2 sterren", ProductKind.SUPPLEMENTARY, True,
        Decimal("27.50"), Decimal("29.25"),
    ),
    CatalogueProduct(
        "AANV-3", "Aanvullend 3 sterren", ProductKind.SUPPLEMENTARY, True,
        Decimal("48.95"), Decimal("51.95"),
    ),
    CatalogueProduct(
        "TAND-250", "Tand 250", ProductKind.DENTAL, True,
        Decimal("16.95"), Decimal("17.95"),
    ),
    CatalogueProduct(
        "TAND-500", "Tand 500", ProductKind.DENTAL, False,
        Decimal("31.50"), Decimal("33.25"),
    ),
)  # fmt: skip

PRODUCT_CODES = ProductCodes(
    basic=tuple(p.code for p in PRODUCT_CATALOGUE if p.kind is ProductKind.BASIC),
    supplementary=tuple(p.code for p in PRODUCT_CATALOGUE if p.kind is ProductKind.SUPPLEMENTARY),
    # Free-for-children dental first (the planner gives that one to children of its holders).
    dental=tuple(
        p.code
        for p in sorted(PRODUCT_CATALOGUE, key=lambda p: not p.free_for_children)
        if p.kind is ProductKind.DENTAL
    ),
)


def demo_years(today: dt.date) -> tuple[int, ...]:
    """The contract and tariff years of the demo: last year and this one, and from November on
    next year too (contracts and premiums are renewed in November, so the prolongation run for
    January can be tried in December)."""
    if today.month >= 11:
        return (today.year - 1, today.year, today.year + 1)
    return (today.year - 1, today.year)


def monthly_premium(product: CatalogueProduct, year: int, this_year: int) -> Decimal:
    """The product's monthly premium in ``year``; years before last year are 4 % cheaper each."""
    if year >= this_year:
        return product.premium_this_year
    premium = product.premium_last_year
    for _ in range(this_year - 1 - year):
        premium = (premium / Decimal("1.04")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return premium


# --- organisations and users -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class DemoCollectivity:
    customer_number: str
    number: str
    name: str
    premium_collection: PremiumCollection
    payment_method: PaymentMethod | None
    discount_percentage: Decimal
    employer_contribution_kind: EmployerContributionKind
    employer_contribution_amount: Decimal | None
    employer_contribution_percentage: Decimal | None
    insured: int  # how many people the demo enrolls (moved families come on top for the old one)


DEMO_CUSTOMERS: tuple[tuple[str, str], ...] = (
    ("100001", "Bouwbedrijf Van Dijk B.V."),
    ("100002", "Zorggroep Het Baken"),
)

DEMO_COLLECTIVITIES: tuple[DemoCollectivity, ...] = (
    DemoCollectivity(
        "100001", "200101", "Van Dijk Bouw - kantoor",
        PremiumCollection.SALARY_DEDUCTION, PaymentMethod.ACCEPTGIRO, Decimal("10.00"),
        EmployerContributionKind.FIXED, Decimal("25.00"), None,
        insured=150,
    ),
    DemoCollectivity(
        "100001", "200102", "Van Dijk Bouw - uitvoering",
        PremiumCollection.SALARY_DEDUCTION, PaymentMethod.DIRECT_DEBIT, Decimal("7.50"),
        EmployerContributionKind.PERCENTAGE, None, Decimal("50.00"),
        insured=90,
    ),
    DemoCollectivity(
        "100002", "200201", "Zorggroep Het Baken",
        PremiumCollection.INDIVIDUAL, None, Decimal("5.00"),
        EmployerContributionKind.NONE, None, None,
        insured=60,
    ),
)  # fmt: skip


# A1: a collectivity that joined this year and has no portal user yet; its HR manager asked for a
# main-user account two days ago, and the request waits for the insurer's staff.
NEW_COLLECTIVITY = DemoCollectivity(
    "100002", "200202", "Zorggroep Het Baken - thuiszorg",
    PremiumCollection.SALARY_DEDUCTION, PaymentMethod.DIRECT_DEBIT, Decimal("5.00"),
    EmployerContributionKind.NONE, None, None,
    insured=0,
)  # fmt: skip
PENDING_REQUEST_NAME = "Anouk de Boer"
PENDING_REQUEST_EMAIL = "anouk.deboer@hetbaken.nl"


@dataclasses.dataclass(frozen=True, slots=True)
class DemoLogin:
    email: str
    password: str
    role: UserRole
    collectivity_number: str | None
    description: str
    name: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "marieke.jansen@vandijkbouw.nl", DEMO_PASSWORD, UserRole.MAIN, "200101",
        "main user of Van Dijk Bouw - kantoor; 200102 is linked to it", "Marieke Jansen",
    ),
    DemoLogin(
        "sanne.visser@vandijkbouw.nl", DEMO_PASSWORD, UserRole.COLLEAGUE, "200101",
        "colleague in Van Dijk Bouw - kantoor", "Sanne Visser",
    ),
    DemoLogin(
        "pieter.bakker@vandijkbouw.nl", DEMO_PASSWORD, UserRole.MAIN, "200102",
        "main user of Van Dijk Bouw - uitvoering; two-factor on", "Pieter Bakker",
    ),
    DemoLogin(
        "erik.smit@hetbaken.nl", DEMO_PASSWORD, UserRole.MAIN, "200201",
        "main user of Zorggroep Het Baken (individual payment)", "Erik Smit",
    ),
    DemoLogin(
        "femke.dekker@collectief-zorg.nl", DEMO_PASSWORD, UserRole.STAFF, None,
        "insurer staff (account management)", "Femke Dekker",
    ),
)  # fmt: skip

# A6: the demo user with two-factor authentication on, and the (published, demo-only) secret of
# their authenticator: add it to an authenticator app, or print the current code with
# `python -c "import pyotp; print(pyotp.TOTP('<secret>').now())"`.
DEMO_TWO_FACTOR_EMAIL = "pieter.bakker@vandijkbouw.nl"
DEMO_TOTP_SECRET = "PIETERBAKKERDEMO2FACOLLECTIEF234"  # noqa: S105 - published demo secret

# Moved families (C7): this many families of 200101 came from 200102 in the last months.
MOVED_FAMILIES = 3


@dataclasses.dataclass(frozen=True, slots=True)
class DemoSummary:
    customers: int
    collectivities: int
    insured: int
    users: int
    # False when the demo data was already there and nothing was added.
    created: bool

    def __str__(self) -> str:
        verb = "loaded" if self.created else "already present"
        return (
            f"demo data {verb}: {self.customers} customers, {self.collectivities} collectivities, "
            f"{self.insured} insured, {self.users} users"
        )


async def load_demo_data(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    today: dt.date,
    totp_cipher: TotpCipher | None = None,
) -> DemoSummary:
    """Load the demo data unless customer 100001 exists; either way return what is there.

    With ``totp_cipher`` (the deployment's TOTP key) the demo user ``DEMO_TWO_FACTOR_EMAIL``
    gets an authenticator with ``DEMO_TOTP_SECRET``; without it nobody has two-factor on.
    """
    async with session_factory() as session:
        if await _demo_present(session):
            return await _summary(session, created=False)
    # Hash outside the transaction: argon2 takes a while and must not block the event loop.
    password_hashes = list(
        await asyncio.gather(
            *(asyncio.to_thread(hash_password, login.password) for login in DEMO_LOGINS)
        )
    )
    async with session_factory() as session:
        try:
            async with session.begin():
                await _load(
                    session, today=today, password_hashes=password_hashes, totp_cipher=totp_cipher
                )
        except IntegrityError:
            # Another process loaded the demo at the same moment: theirs stands.
            async with session_factory() as fresh:
                if await _demo_present(fresh):
                    return await _summary(fresh, created=False)
            raise
    await load_demo_billing(session_factory, today=today)
    async with session_factory() as session:
        return await _summary(session, created=True)


async def _demo_present(session: AsyncSession) -> bool:
    found = await session.scalar(
        select(Customer.id).where(Customer.customer_number == DEMO_CUSTOMERS[0][0])
    )
    return found is not None


async def _summary(session: AsyncSession, *, created: bool) -> DemoSummary:
    numbers = [c.number for c in (*DEMO_COLLECTIVITIES, NEW_COLLECTIVITY)]
    customers = await session.scalar(
        select(func.count())
        .select_from(Customer)
        .where(Customer.customer_number.in_([n for n, _ in DEMO_CUSTOMERS]))
    )
    collectivities = await session.scalar(
        select(func.count())
        .select_from(Collectivity)
        .where(Collectivity.collectivity_number.in_(numbers))
    )
    insured = await session.scalar(
        select(func.count(func.distinct(Enrollment.insured_id)))
        .join(Collectivity, Collectivity.id == Enrollment.collectivity_id)
        .where(Collectivity.collectivity_number.in_(numbers))
    )
    users = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.email_key.in_([login.email.lower() for login in DEMO_LOGINS]))
    )
    return DemoSummary(
        customers=customers or 0,
        collectivities=collectivities or 0,
        insured=insured or 0,
        users=users or 0,
        created=created,
    )


def _moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), AMSTERDAM).astimezone(dt.UTC)


async def ensure_products(session: AsyncSession, years: Sequence[int], this_year: int) -> None:
    """Create the catalogue's products and their tariffs for ``years`` where they are missing."""
    existing = {p.code: p for p in (await session.scalars(select(Product))).all()}
    for item in PRODUCT_CATALOGUE:
        if item.code not in existing:
            product = Product(
                code=item.code,
                name=item.name,
                kind=item.kind,
                free_for_children=item.free_for_children,
            )
            session.add(product)
            existing[item.code] = product
    await session.flush()
    tariff_keys = await session.execute(select(Tariff.product_id, Tariff.year))
    have = {(product_id, year) for product_id, year in tariff_keys}
    for item in PRODUCT_CATALOGUE:
        product = existing[item.code]
        for year in years:
            if (product.id, year) not in have:
                session.add(
                    Tariff(
                        product_id=product.id,
                        year=year,
                        monthly_premium=monthly_premium(item, year, this_year),
                    )
                )
    await session.flush()


async def _load(
    session: AsyncSession,
    *,
    today: dt.date,
    password_hashes: list[str],
    totp_cipher: TotpCipher | None,
) -> None:
    this_year = today.year
    years = demo_years(today)
    two_years_ago = add_months(today.replace(day=1), -24)

    customers = {
        number: Customer(customer_number=number, name=name, created_at=_moment(two_years_ago, 10))
        for number, name in DEMO_CUSTOMERS
    }
    session.add_all(customers.values())
    await session.flush()  # a concurrent loader fails here, on the unique customer number

    collectivities: dict[str, Collectivity] = {}
    for spec in DEMO_COLLECTIVITIES:
        collectivity = Collectivity(
            customer=customers[spec.customer_number],
            collectivity_number=spec.number,
            name=spec.name,
            created_at=_moment(two_years_ago, 10, 5),
        )
        collectivities[spec.number] = collectivity
        for year in years:
            collectivity.contracts.append(
                Contract(
                    year=year,
                    start_date=dt.date(year, 1, 1),
                    end_date=dt.date(year, 12, 31),
                    premium_collection=spec.premium_collection,
                    payment_method=spec.payment_method,
                    discount_percentage=spec.discount_percentage,
                    employer_contribution_kind=spec.employer_contribution_kind,
                    employer_contribution_amount=spec.employer_contribution_amount,
                    employer_contribution_percentage=spec.employer_contribution_percentage,
                    created_at=_moment(dt.date(year - 1, 11, 15), 11),
                )
            )
    new = NEW_COLLECTIVITY
    newcomer = Collectivity(
        customer=customers[new.customer_number],
        collectivity_number=new.number,
        name=new.name,
        created_at=_moment(dt.date(this_year, 1, 1), 9),
    )
    newcomer.contracts.append(
        Contract(
            year=this_year,
            start_date=dt.date(this_year, 1, 1),
            end_date=dt.date(this_year, 12, 31),
            premium_collection=new.premium_collection,
            payment_method=new.payment_method,
            discount_percentage=new.discount_percentage,
            employer_contribution_kind=new.employer_contribution_kind,
            created_at=_moment(dt.date(this_year - 1, 11, 20), 11),
        )
    )
    session.add_all([*collectivities.values(), newcomer])
    await session.flush()
    session.add(
        AccountRequest(
            customer_number=new.customer_number,
            collectivity_number=new.number,
            name=PENDING_REQUEST_NAME,
            email=PENDING_REQUEST_EMAIL,
            email_key=PENDING_REQUEST_EMAIL,
            language="nl",
            status=AccountRequestStatus.PENDING,
            collectivity_id=newcomer.id,
            created_at=_moment(today - dt.timedelta(days=2), 9, 12),
        )
    )
    await ensure_products(session, years, this_year)

    # Users: the main users since two years, the colleague joined eight months ago.
    users: dict[str, User] = {}
    for login, password_hash in zip(DEMO_LOGINS, password_hashes, strict=True):
        joined = add_months(today.replace(day=1), -8 if login.role is UserRole.COLLEAGUE else -23)
        created_at = _moment(joined + dt.timedelta(days=2), 9, 30)
        user = User(
            email=login.email,
            email_key=login.email.lower(),
            name=login.name,
            role=login.role,
            status=UserStatus.ACTIVE,
            home_collectivity=(
                collectivities[login.collectivity_number] if login.collectivity_number else None
            ),
            password_hash=password_hash,
            language="nl",
            created_at=created_at,
            password_changed_at=created_at,
            last_login_at=_moment(today - dt.timedelta(days=1 + len(users)), 8, 45),
        )
        users[login.email] = user
    session.add_all(users.values())
    await session.flush()

    main_200101 = users[DEMO_LOGINS[0].email]
    linked_at = _moment(add_months(today.replace(day=1), -10) + dt.timedelta(days=6), 14, 20)
    session.add(
        ContractLink(
            collectivity_id=collectivities["200101"].id,
            linked_collectivity_id=collectivities["200102"].id,
            status=ContractLinkStatus.ACTIVE,
            requested_by_id=main_200101.id,
            requested_at=linked_at,
            approved_by_id=None,  # same customer: linked at once (B2)
            approved_at=linked_at,
        )
    )
    # B2: 200101 asked to link Zorggroep Het Baken (another customer) two days ago; it waits for
    # the approval of Het Baken's main user and gives no access until then.
    session.add(
        ContractLink(
            collectivity_id=collectivities["200101"].id,
            linked_collectivity_id=collectivities["200201"].id,
            status=ContractLinkStatus.PENDING,
            requested_by_id=main_200101.id,
            requested_at=_moment(today - dt.timedelta(days=2), 11, 5),
        )
    )
    if totp_cipher is not None:
        enabled_at = _moment(add_months(today.replace(day=1), -3), 16, 40)
        session.add(
            TotpDevice(
                user_id=users[DEMO_TWO_FACTOR_EMAIL].id,
                secret_encrypted=totp_cipher.encrypt(DEMO_TOTP_SECRET),
                created_at=enabled_at,
                confirmed_at=enabled_at,
            )
        )

    histories = _plan(today)
    await _store_histories(
        session,
        histories,
        collectivities={n: c.id for n, c in collectivities.items()},
        products={p.code: p.id for p in (await session.scalars(select(Product))).all()},
        users=users,
    )


def _plan(today: dt.date) -> list[tuple[str, FamilyHistory]]:
    people = PeopleGenerator(
        seed=PEOPLE_SEED,
        today=today,
        bsn_start=BSN_START,
        bsn_step=BSN_STEP,
        policy_number_start=POLICY_NUMBER_START,
        employee_number_start=EMPLOYEE_NUMBER_START,
        without_employee_number=0.08,
    )
    planner = HistoryPlanner(
        seed=HISTORY_SEED,
        today=today,
        months=18,
        products=PRODUCT_CODES,
        new_employee_number=people.next_employee_number,
    )
    this_month = today.replace(day=1)
    histories: list[tuple[str, FamilyHistory]] = []
    for spec in DEMO_COLLECTIVITIES:
        families: list[Family] = people.families(spec.insured)
        for index, family in enumerate(families):
            if spec.number == "200101" and index < MOVED_FAMILIES:
                # Moved from 200102 after the link was made (10 months ago), by the 200101 user.
                move_date = add_months(this_month, -(2 + 3 * index))
                history = planner.plan(
                    family, spec.number, moved_from="200102", move_date=move_date
                )
            else:
                history = planner.plan(family, spec.number)
            histories.append((spec.number, history))
    return histories


async def _store_histories(
    session: AsyncSession,
    histories: list[tuple[str, FamilyHistory]],
    *,
    collectivities: dict[str, int],
    products: dict[str, int],
    users: dict[str, User],
) -> None:
    persons: list[list[InsuredPerson]] = []
    for _number, history in histories:
        family = history.family
        policy = Policy(
            policy_number=family.policy_number, created_at=history.first_registered_at(0)
        )
        members: list[InsuredPerson] = []
        for index, person in enumerate(family.members):
            address = person.address
            members.append(
                InsuredPerson(
                    bsn=person.bsn,
                    policy=policy,
                    relation=person.relation,
                    initials=person.initials,
                    first_name=person.first_name,
                    name_prefix=person.name_prefix,
                    last_name=person.last_name,
                    birth_date=person.birth_date,
                    gender=person.gender,
                    street=address.street,
                    house_number=address.house_number,
                    house_number_suffix=address.house_number_suffix,
                    postal_code=address.postal_code,
                    city=address.city,
                    country="NL",
                    created_at=history.first_registered_at(index),
                )
            )
        session.add_all(members)
        persons.append(members)
    await session.flush()

    # Who registered the employer's mutations: the users of the collectivity at that moment.
    chooser = random.Random(HISTORY_SEED + 1)  # noqa: S311 - synthetic data, not security
    employer_users: dict[str, list[User]] = {}
    for login in DEMO_LOGINS:
        if login.collectivity_number is not None:
            employer_users.setdefault(login.collectivity_number, []).append(users[login.email])

    def employer_user(collectivity: str, at: dt.datetime) -> int | None:
        candidates = [u for u in employer_users.get(collectivity, []) if u.created_at <= at]
        if not candidates:
            return None
        return chooser.choice(candidates).id

    mutations: list[Mutation] = []
    for (_number, history), members in zip(histories, persons, strict=True):
        for enrollment in history.enrollments:
            session.add(
                Enrollment(
                    insured_id=members[enrollment.member].id,
                    collectivity_id=collectivities[enrollment.collectivity],
                    sort_name=history.family.members[enrollment.member].sort_name,
                    birth_date=members[enrollment.member].birth_date,
                    relation=members[enrollment.member].relation,
                    policy_number=history.family.policy_number,
                    start_date=enrollment.start_date,
                    end_date=enrollment.end_date,
                    employee_number=enrollment.employee_number,
                    created_at=enrollment.registered_at,
                )
            )
        for coverage in history.coverages:
            session.add(
                Coverage(
                    insured_id=members[coverage.member].id,
                    product_id=products[coverage.product_code],
                    start_date=coverage.start_date,
                    end_date=coverage.end_date,
                )
            )
        for mutation in history.mutations:
            mutations.append(
                Mutation(
                    kind=mutation.kind,
                    insured_id=members[mutation.member].id,
                    collectivity_id=collectivities[mutation.collectivity],
                    effective_date=mutation.effective_date,
                    registered_at=mutation.registered_at,
                    user_id=(
                        # A move is done by a user who has both collectivities in scope.
                        users[DEMO_LOGINS[0].email].id
                        if mutation.kind is MutationKind.MOVE
                        else employer_user(mutation.collectivity, mutation.registered_at)
                        if mutation.by_employer
                        else None
                    ),
                    before=mutation.before,
                    after=mutation.after,
                )
            )
    # Ids in registration order, as a live system would have made them.
    mutations.sort(key=lambda m: m.registered_at)
    session.add_all(mutations)
    await session.flush()
