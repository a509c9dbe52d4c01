"""Deterministic synthetic Dutch families for the demo data and the benchmark dataset.

Nothing here is real: names and addresses are drawn from a seeded ``random.Random``; BSNs, policy
numbers and employee numbers come from counters, so they are unique within one generator and between
generators that are given disjoint ranges. Synthetic BSNs pass the 11-proef and are therefore treated
like real ones: never log or print them (``Person``'s repr leaves the BSN out).

Both ``server.demo`` (≈300 insured) and ``bench/generate.py`` (100,000+ insured) use this module; it
knows nothing about the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable, Iterator
from typing import Any

from resolvers.bsn import with_check_digit
from resolvers.clock import AMSTERDAM
from resolvers.names import sort_name
from storage.enums import Gender, MutationKind, Relation

__all__ = [
    "Address",
    "BsnSequence",
    "CoverageRecord",
    "EnrollmentRecord",
    "Family",
    "FamilyHistory",
    "HistoryPlanner",
    "MutationRecord",
    "PeopleGenerator",
    "Person",
    "ProductCodes",
    "add_months",
    "add_years",
    "month_end",
    "sort_name",
]


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole years; 29 February becomes 28 February in a non-leap year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclasses.dataclass(frozen=True, slots=True)
class Address:
    street: str
    house_number: str
    house_number_suffix: str | None
    postal_code: str
    city: str


@dataclasses.dataclass(frozen=True, slots=True)
class Person:
    """One insured person. ``bsn`` is left out of the repr: it is personal data."""

    bsn: str = dataclasses.field(repr=False)
    relation: Relation
    initials: str
    first_name: str
    name_prefix: str | None
    last_name: str
    birth_date: dt.date
    gender: Gender | None
    address: Address

    @property
    def sort_name(self) -> str:
        return sort_name(self.first_name, self.name_prefix, self.last_name)

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


@dataclasses.dataclass(frozen=True, slots=True)
class Family:
    """The people on one policy: the policyholder first, then the partner, then the children."""

    policy_number: str
    # The employer's payroll number of the policyholder; None for the few that have none yet.
    employee_number: str | None
    members: tuple[Person, ...]

    @property
    def policyholder(self) -> Person:
        return self.members[0]

    @property
    def partner(self) -> Person | None:
        return next((p for p in self.members if p.relation is Relation.PARTNER), None)

    @property
    def children(self) -> tuple[Person, ...]:
        return tuple(p for p in self.members if p.relation is Relation.CHILD)

    @property
    def address(self) -> Address:
        return self.policyholder.address


class BsnSequence:
    """Unique valid BSNs from a counter: ``start``, ``start + step``, … as the first eight digits.

    Numbers for which no check digit exists (about one in eleven) are skipped. Two sequences whose
    ranges do not overlap never produce the same BSN.
    """

    def __init__(self, start: int, step: int = 1) -> None:
        if not 10_000_000 <= start < 100_000_000:
            raise ValueError("start must have eight digits and not begin with 0")
        if step < 1:
            raise ValueError("step must be positive")
        self._next = start
        self._step = step

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        while True:
            current = self._next
            if current >= 100_000_000:
                raise OverflowError("BSN range exhausted: choose a lower start or a smaller step")
            self._next += self._step
            bsn = with_check_digit(f"{current:08d}")
            if bsn is not None:
                return bsn


# --- word lists ----------------------------------------------------------------------------------

FEMALE_FIRST_NAMES = (
    "Anna", "Emma", "Julia", "Mila", "Sophie", "Tess", "Zoë", "Sara", "Evi", "Nora", "Lotte",
    "Fleur", "Saar", "Liv", "Noor", "Yara", "Lieke", "Isa", "Fenna", "Maud", "Roos", "Femke",
    "Marieke", "Sanne", "Anouk", "Lisa", "Eva", "Iris", "Esther", "Ingrid", "Monique",
    "Petra", "Karin", "Marloes", "Annemarie", "Willemijn", "Hanneke", "Mirjam", "Ellen",
    "Wilhelmina", "Johanna", "Cornelia", "Hendrika", "Geertje", "Janneke", "Chloë", "Ilse",
    "Fatima", "Aïcha", "Samira", "Yasmina", "Elif", "Zeynep", "Priya", "Mei", "Daphne", "Kim",
    "Linda", "Sandra", "Manon", "Renée", "Inge", "Miriam", "Marjolein", "Astrid",
)  # fmt: skip

MALE_FIRST_NAMES = (
    "Jan", "Pieter", "Erik", "Daan", "Sem", "Noah", "Liam", "Lucas", "Finn", "Levi", "Luuk",
    "Milan", "Jesse", "Bram", "Thijs", "Ruben", "Sven", "Lars", "Thomas", "Tim", "Stijn",
    "Bas", "Niels", "Joost", "Maarten", "Wouter", "Sander", "Jeroen", "Martijn", "Michiel",
    "Dennis", "Mark", "Rob", "Kees", "Henk", "Gerrit", "Hendrik", "Cornelis", "Johannes",
    "Willem", "Dirk", "Klaas", "Teun", "Hidde", "Gijs", "Wessel", "Daniël", "René", "Noël",
    "Mohammed", "Youssef", "Ahmed", "Mehmet", "Emre", "Rachid", "Anil", "Minh", "Kevin",
    "Frank", "Arjen", "Ruud", "Hans", "Koen", "Jasper", "Floris", "Olivier", "Max", "Sam",
)  # fmt: skip

# (prefix, last name); repeated entries make common names more common.
LAST_NAMES: tuple[tuple[str | None, str], ...] = (
    ("de", "Jong"), ("de", "Jong"), (None, "Jansen"), (None, "Jansen"), ("de", "Vries"),
    ("de", "Vries"), ("van den", "Berg"), ("van den", "Berg"), ("van", "Dijk"), ("van", "Dijk"),
    (None, "Bakker"), (None, "Bakker"), (None, "Janssen"), (None, "Visser"), (None, "Visser"),
    (None, "Smit"), (None, "Smit"), (None, "Meijer"), ("de", "Boer"), (None, "Mulder"),
    ("de", "Groot"), (None, "Bos"), (None, "Vos"), (None, "Peters"), (None, "Hendriks"),
    ("van", "Leeuwen"), (None, "Dekker"), (None, "Brouwer"), ("de", "Wit"), (None, "Dijkstra"),
    (None, "Smits"), ("de", "Graaf"), ("van der", "Meer"), ("van der", "Linden"), (None, "Kok"),
    (None, "Jacobs"), ("de", "Haan"), (None, "Vermeulen"), ("van den", "Heuvel"),
    ("van der", "Veen"), ("van den", "Broek"), ("de", "Bruijn"), ("van der", "Heijden"),
    (None, "Schouten"), ("van", "Beek"), (None, "Willems"), ("van", "Vliet"), ("van de", "Ven"),
    (None, "Hoekstra"), (None, "Maas"), (None, "Verhoeven"), (None, "Koster"), ("van", "Dam"),
    ("van der", "Wal"), (None, "Prins"), (None, "Blom"), (None, "Huisman"), ("de", "Jonge"),
    (None, "Kuipers"), (None, "Post"), (None, "Kramer"), ("van den", "Brink"), (None, "Scholten"),
    ("van", "Wijk"), (None, "Postma"), (None, "Vink"), ("de", "Ruiter"), (None, "Timmermans"),
    (None, "Groen"), (None, "Gerritsen"), (None, "Jonker"), ("van", "Loon"), (None, "Boersma"),
    ("van der", "Velde"), (None, "Willemsen"), ("van 't", "Hof"), ("in 't", "Veld"),
    ("ter", "Horst"), ("ten", "Have"), ("van de", "Kamp"), ("op den", "Brouw"), ("d'", "Ancona"),
    (None, "Yılmaz"), (None, "Öztürk"), (None, "Çelik"), ("el", "Amrani"), (None, "Bouzid"),
    (None, "Nguyen"), (None, "Tran"), (None, "Ramdin"), (None, "Sardjoe"), (None, "Kaya"),
    (None, "Zwart"), (None, "Hoogland"), (None, "Vonk"), (None, "Stam"), (None, "Wolters"),
)  # fmt: skip

STREETS = (
    "Kerkstraat", "Dorpsstraat", "Schoolstraat", "Molenweg", "Stationsweg", "Hoofdstraat",
    "Julianastraat", "Beatrixlaan", "Wilhelminalaan", "Nieuwstraat", "Marktplein", "Kastanjelaan",
    "Eikenlaan", "Berkenlaan", "Lindelaan", "Prinses Irenestraat", "Oranjestraat", "Spoorstraat",
    "Industrieweg", "Parallelweg", "Zuiderpark", "Rembrandtlaan", "Vondelstraat", "Tulpstraat",
    "Rozenstraat", "Sportlaan", "Burgemeester de Withstraat", "Dr. Schaepmanstraat", "Populierenlaan",
    "Sint Janstraat", "Koningin Emmalaan", "Van Goghstraat", "Thorbeckestraat", "Havenkade",
    "Achterom", "Veldweg", "Boerhaavelaan", "Prins Hendrikkade", "Singel", "Oude Gracht",
)  # fmt: skip

# City and the range of the four postal-code digits used there.
CITIES: tuple[tuple[str, int, int], ...] = (
    ("Amsterdam", 1011, 1109), ("Rotterdam", 3011, 3089), ("Den Haag", 2491, 2597),
    ("Utrecht", 3511, 3585), ("Eindhoven", 5611, 5658), ("Groningen", 9711, 9747),
    ("Tilburg", 5011, 5049), ("Almere", 1311, 1363), ("Breda", 4811, 4839), ("Nijmegen", 6511, 6546),
    ("Apeldoorn", 7311, 7336), ("Arnhem", 6811, 6846), ("Haarlem", 2011, 2037),
    ("Amersfoort", 3811, 3829), ("Zwolle", 8011, 8043), ("Leiden", 2311, 2334),
    ("Maastricht", 6211, 6229), ("Dordrecht", 3311, 3329), ("Zoetermeer", 2711, 2729),
    ("Deventer", 7411, 7431), ("Delft", 2611, 2629), ("Alkmaar", 1811, 1834), ("Leeuwarden", 8911, 8939),
    ("'s-Hertogenbosch", 5211, 5249), ("Hoorn", 1621, 1628), ("Gouda", 2801, 2809),
    ("Houten", 3991, 3997), ("Woerden", 3441, 3449), ("Harderwijk", 3841, 3849),
)  # fmt: skip

# Letters as used in Dutch postal codes; SA, SD and SS are never issued.
_POSTAL_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
_POSTAL_LETTERS_NOT_ISSUED = frozenset({"SA", "SD", "SS"})
_SUFFIXES = ("A", "B", "C", "a", "bis", "1", "2", "hs", "I", "II", "-1", "-3")


class PeopleGenerator:
    """Draws families from a seeded random generator; the same arguments give the same families.

    ``today`` anchors every age. ``bsn_start``/``bsn_step`` choose the BSN range (keep ranges of
    datasets that may share a database disjoint); policy and employee numbers count up from their
    starts with small random gaps. Policy numbers have ten digits so that none can be mistaken for
    a BSN (nine digits).
    """

    def __init__(
        self,
        *,
        seed: int,
        today: dt.date,
        bsn_start: int = 30_000_000,
        bsn_step: int = 7,
        policy_number_start: int = 3_000_000_000,
        employee_number_start: int = 10_000,
        without_employee_number: float = 0.05,
        turning_eighteen: float = 0.15,
    ) -> None:
        self.today = today
        self._rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self._bsns = BsnSequence(bsn_start, bsn_step)
        if not 1_000_000_000 <= policy_number_start < 9_000_000_000:
            raise ValueError("policy numbers have ten digits: start between 1e9 and 9e9")
        self._policy_number = policy_number_start
        self._employee_number = employee_number_start
        self._without_employee_number = without_employee_number
        self._turning_eighteen = turning_eighteen

    # --- numbers ---

    def next_bsn(self) -> str:
        return next(self._bsns)

    def next_policy_number(self) -> str:
        self._policy_number += self._rng.randint(1, 9)
        return str(self._policy_number)

    def next_employee_number(self) -> str:
        self._employee_number += self._rng.randint(1, 4)
        return f"{self._employee_number:06d}"

    # --- parts ---

    def gender(self) -> Gender | None:
        roll = self._rng.random()
        if roll < 0.01:
            return None
        if roll < 0.013:
            return Gender.OTHER
        return Gender.FEMALE if roll < 0.5065 else Gender.MALE

    def first_name(self, gender: Gender | None) -> str:
        if gender is Gender.FEMALE:
            names = FEMALE_FIRST_NAMES
        elif gender is Gender.MALE:
            names = MALE_FIRST_NAMES
        else:
            names = self._rng.choice((FEMALE_FIRST_NAMES, MALE_FIRST_NAMES))
        return self._rng.choice(names)

    def initials(self, first_name: str, gender: Gender | None) -> str:
        """Initials of all given names: the call name first, then up to two more, e.g. "J.P."."""
        letters = [first_name[0].upper()]
        for _ in range(self._rng.choices((0, 1, 2), weights=(45, 40, 15))[0]):
            letters.append(self.first_name(gender)[0].upper())
        return "".join(f"{letter}." for letter in letters)

    def last_name(self) -> tuple[str | None, str]:
        return self._rng.choice(LAST_NAMES)

    def address(self) -> Address:
        rng = self._rng
        city, low, high = rng.choice(CITIES)
        while True:
            letters = rng.choice(_POSTAL_LETTERS) + rng.choice(_POSTAL_LETTERS)
            if letters not in _POSTAL_LETTERS_NOT_ISSUED:
                break
        number = rng.choices((rng.randint(1, 60), rng.randint(61, 350)), weights=(75, 25))[0]
        suffix = rng.choice(_SUFFIXES) if rng.random() < 0.12 else None
        return Address(
            street=rng.choice(STREETS),
            house_number=str(number),
            house_number_suffix=suffix,
            postal_code=f"{rng.randint(low, high)} {letters}",
            city=city,
        )

    def birth_date_for_age(self, age: int) -> dt.date:
        """A birth date on which someone is exactly ``age`` years old ``today``."""
        latest = add_years(self.today, -age)
        earliest = add_years(self.today, -age - 1) + dt.timedelta(days=1)
        return earliest + dt.timedelta(days=self._rng.randint(0, (latest - earliest).days))

    def birth_date_around_eighteen(self) -> dt.date:
        """A birth date within about half a year of the 18th birthday (age 17 or 18 today)."""
        return add_years(self.today, -18) + dt.timedelta(days=self._rng.randint(-200, 200))

    def person(
        self,
        relation: Relation,
        birth_date: dt.date,
        address: Address,
        *,
        gender: Gender | None = None,
        last_name: tuple[str | None, str] | None = None,
    ) -> Person:
        if gender is None:
            gender = self.gender()
        first = self.first_name(gender)
        prefix, last = last_name if last_name is not None else self.last_name()
        return Person(
            bsn=self.next_bsn(),
            relation=relation,
            initials=self.initials(first, gender),
            first_name=first,
            name_prefix=prefix,
            last_name=last,
            birth_date=birth_date,
            gender=gender,
            address=address,
        )

    # --- families ---

    def family(self) -> Family:
        """A policyholder, a partner in about two of three families and 0–4 children aged 0–25."""
        rng = self._rng
        child_count = rng.choices((0, 1, 2, 3, 4), weights=(36, 20, 27, 12, 5))[0]
        has_partner = rng.random() < (0.55 if child_count == 0 else 0.8)

        child_birth_dates: list[dt.date] = []
        if child_count:
            if rng.random() < self._turning_eighteen:
                oldest = self.birth_date_around_eighteen()
            else:
                oldest = self.birth_date_for_age(rng.randint(0, 25))
            child_birth_dates.append(oldest)
            for _ in range(child_count - 1):
                previous = child_birth_dates[-1]
                if rng.random() < 0.04:  # twins
                    child_birth_dates.append(previous)
                    continue
                born = previous + dt.timedelta(days=rng.randint(330, 1800))
                if born > self.today:
                    break
                child_birth_dates.append(born)
            oldest_age = max(0, (self.today - oldest).days // 365)
            holder_age = min(67, oldest_age + rng.randint(22, 40))
        else:
            holder_age = rng.choices(
                (rng.randint(19, 30), rng.randint(31, 50), rng.randint(51, 67)),
                weights=(35, 35, 30),
            )[0]

        address = self.address()
        holder_gender = self.gender()
        holder = self.person(
            Relation.POLICYHOLDER,
            self.birth_date_for_age(holder_age),
            address,
            gender=holder_gender,
        )
        members = [holder]
        partner: Person | None = None
        if has_partner:
            if holder_gender is Gender.MALE:
                partner_gender = Gender.FEMALE if rng.random() < 0.95 else Gender.MALE
            elif holder_gender is Gender.FEMALE:
                partner_gender = Gender.MALE if rng.random() < 0.95 else Gender.FEMALE
            else:
                partner_gender = self.gender()
            youngest_parent_age = 18 if not child_birth_dates else holder_age - 4
            partner_age = max(youngest_parent_age, min(75, holder_age + rng.randint(-6, 6)))
            shares_name = rng.random() < 0.2
            partner = self.person(
                Relation.PARTNER,
                self.birth_date_for_age(partner_age),
                address,
                gender=partner_gender,
                last_name=(holder.name_prefix, holder.last_name) if shares_name else None,
            )
            members.append(partner)
        for born in child_birth_dates:
            if partner is not None and rng.random() < 0.25:
                family_name = (partner.name_prefix, partner.last_name)
            else:
                family_name = (holder.name_prefix, holder.last_name)
            child_address = address
            age = (self.today - born).days // 365
            if age >= 18 and rng.random() < 0.3:  # a student living on their own
                child_address = self.address()
            members.append(self.person(Relation.CHILD, born, child_address, last_name=family_name))

        employee_number = (
            None if rng.random() < self._without_employee_number else self.next_employee_number()
        )
        return Family(
            policy_number=self.next_policy_number(),
            employee_number=employee_number,
            members=tuple(members),
        )

    def families(self, people: int) -> list[Family]:
        """Families with exactly ``people`` members in total (the last family may be cut short)."""
        result: list[Family] = []
        remaining = people
        while remaining > 0:
            family = self.family()
            if len(family.members) > remaining:
                family = dataclasses.replace(family, members=family.members[:remaining])
            result.append(family)
            remaining -= len(family.members)
        return result


# --- membership history --------------------------------------------------------------------------


def add_months(month: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after the month of ``month``."""
    years, index = divmod(month.month - 1 + months, 12)
    return dt.date(month.year + years, index + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return add_months(day, 1) - dt.timedelta(days=1)


def months_between(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


@dataclasses.dataclass(frozen=True, slots=True)
class ProductCodes:
    """The products a planned family can have: the first basic product is the common choice; the
    first dental product is free for children, the others are not."""

    basic: tuple[str, ...]
    supplementary: tuple[str, ...]
    dental: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class EnrollmentRecord:
    member: int  # index into ``Family.members``
    collectivity: str  # collectivity number
    start_date: dt.date
    end_date: dt.date | None
    employee_number: str | None
    registered_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class CoverageRecord:
    member: int
    product_code: str
    start_date: dt.date
    end_date: dt.date | None


@dataclasses.dataclass(frozen=True, slots=True)
class MutationRecord:
    member: int
    kind: MutationKind
    collectivity: str
    effective_date: dt.date
    registered_at: dt.datetime
    # True when the employer registered it (deregistration, employee number, move); False when the
    # insurer did (enrollment, coverage change). The loader picks the user.
    by_employer: bool
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclasses.dataclass(frozen=True, slots=True)
class FamilyHistory:
    family: Family
    enrollments: tuple[EnrollmentRecord, ...]
    coverages: tuple[CoverageRecord, ...]
    mutations: tuple[MutationRecord, ...]

    def first_registered_at(self, member: int) -> dt.datetime:
        """When the insurer first registered this member (their record's creation time)."""
        return min(e.registered_at for e in self.enrollments if e.member == member)


class HistoryPlanner:
    """Plans the collective membership of synthetic families over the last ``months`` months.

    About 45 % of the families joined before the window, the others in it; a few start next month.
    About 14 % left in the window (the whole family), 3 % leave in the coming months, and a quarter of
    the families with an adult child saw that child deregistered in the window. Some enrollments and
    deregistrations were registered after their effective date (back-dated, they cause corrections),
    babies are registered weeks after birth, some policyholders got or changed their employee
    number, and some families changed their supplementary package on 1 January. Everything comes
    from ``seed`` and ``today``; registration times are working hours in Amsterdam, never after
    ``today``.
    """

    def __init__(
        self,
        *,
        seed: int,
        today: dt.date,
        months: int,
        products: ProductCodes,
        new_employee_number: Callable[[], str],
        leaver_rate: float = 0.14,
        future_leaver_rate: float = 0.03,
        future_start_rate: float = 0.025,
        backdated_rate: float = 0.15,
    ) -> None:
        self.today = today
        self.months = months
        self.products = products
        self._rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self._new_employee_number = new_employee_number
        self._leaver_rate = leaver_rate
        self._future_leaver_rate = future_leaver_rate
        self._future_start_rate = future_start_rate
        self._backdated_rate = backdated_rate
        self._this_month = today.replace(day=1)
        self._window_start = add_months(self._this_month, -months)
        self._last_full_month = add_months(self._this_month, -1)

    def at(self, day: dt.date, *, not_before: dt.datetime | None = None) -> dt.datetime:
        """A moment during working hours in Amsterdam on ``day``, in UTC, after ``not_before``.

        Never after ``today``; on ``today`` itself early in the morning (before 10:00), so that a
        clock standing at 10:00 on ``today`` never sees a registration from its future.
        """
        rng = self._rng
        day = min(day, self.today)
        hour = rng.randint(7, 8) if day == self.today else rng.randint(8, 16)
        local = dt.datetime.combine(
            day, dt.time(hour, rng.randint(0, 59), rng.randint(0, 59)), AMSTERDAM
        )
        moment = local.astimezone(dt.UTC)
        if not_before is not None and moment <= not_before:
            moment = not_before + dt.timedelta(minutes=rng.randint(1, 20))
        return moment

    def _month_in(self, first: dt.date, last: dt.date) -> dt.date:
        return add_months(first, self._rng.randint(0, months_between(first, last)))

    def plan(
        self,
        family: Family,
        collectivity: str,
        *,
        moved_from: str | None = None,
        move_date: dt.date | None = None,
    ) -> FamilyHistory:
        """The history of ``family`` in ``collectivity``; with ``moved_from`` the family was in that
        collectivity until the day before ``move_date`` (the first of a month) and moved (C7)."""
        rng = self._rng
        today = self.today
        members = family.members
        enrollments: list[EnrollmentRecord] = []
        mutations: list[MutationRecord] = []

        # When the family joined (for a moved family: joined the old collectivity).
        if moved_from is not None:
            if move_date is None:
                raise ValueError("move_date is required with moved_from")
            joined = add_months(self._window_start, -rng.randint(6, 60))
        else:
            roll = rng.random()
            if roll < 0.45:
                joined = add_months(self._window_start, -rng.randint(1, 96))
            elif roll < 1 - self._future_start_rate:
                joined = add_months(self._window_start, rng.randint(0, self.months))
            else:
                joined = add_months(self._this_month, 1)
        if joined >= self._window_start and rng.random() < self._backdated_rate:
            group_registered = self.at(joined + dt.timedelta(days=rng.randint(3, 70)))
        else:
            group_registered = self.at(joined - dt.timedelta(days=rng.randint(2, 20)))

        starts: list[dt.date] = []
        registered: list[dt.datetime] = []
        for person in members:
            start = max(joined, person.birth_date)
            if person.relation is Relation.PARTNER and rng.random() < 0.06:
                later = add_months(joined, rng.randint(1, 12))
                if later <= today:
                    start = later
            starts.append(start)
            if start == joined:
                registered.append(group_registered)
            elif start == person.birth_date:  # a baby, registered weeks after birth
                registered.append(self.at(start + dt.timedelta(days=rng.randint(5, 45))))
            else:
                registered.append(self.at(start - dt.timedelta(days=rng.randint(2, 15))))

        # A moved family: old membership until the day before the move, new one from the move.
        new_starts = list(starts)
        new_registered = list(registered)
        moved: set[int] = set()
        if moved_from is not None and move_date is not None:
            move_registered = self.at(
                move_date - dt.timedelta(days=rng.randint(1, 20)), not_before=max(registered)
            )
            for index, person in enumerate(members):
                if starts[index] < move_date:
                    moved.add(index)
                    enrollments.append(
                        EnrollmentRecord(
                            index,
                            moved_from,
                            starts[index],
                            move_date - dt.timedelta(days=1),
                            family.employee_number if index == 0 else None,
                            registered[index],
                        )
                    )
                    mutations.append(
                        self._enroll_mutation(
                            family,
                            index,
                            moved_from,
                            starts[index],
                            registered[index],
                            family.employee_number,
                        )
                    )
                    new_starts[index] = move_date
                    new_registered[index] = move_registered
                    for side in (moved_from, collectivity):
                        mutations.append(
                            MutationRecord(
                                index,
                                MutationKind.MOVE,
                                side,
                                move_date,
                                move_registered,
                                True,
                                {"collectivity_number": moved_from, "end_date": None},
                                {
                                    "collectivity_number": collectivity,
                                    "start_date": move_date.isoformat(),
                                    "previous_end_date": (
                                        move_date - dt.timedelta(days=1)
                                    ).isoformat(),
                                },
                            )
                        )
                else:
                    new_starts[index] = max(move_date, person.birth_date)

        # Leaving: the whole family in the past months, or in the coming months.
        latest_start = max(new_starts)
        latest_registered = max(new_registered)
        end: dt.date | None = None
        end_registered: dt.datetime | None = None
        earliest_end_month = max(add_months(latest_start, 1), self._window_start)
        roll = rng.random()
        if roll < self._leaver_rate and earliest_end_month <= self._last_full_month:
            end = month_end(self._month_in(earliest_end_month, self._last_full_month))
            if rng.random() < 0.3:
                end_registered = self.at(
                    end + dt.timedelta(days=rng.randint(3, 60)), not_before=latest_registered
                )
            else:
                end_registered = self.at(
                    end - dt.timedelta(days=rng.randint(3, 25)), not_before=latest_registered
                )
        elif roll < self._leaver_rate + self._future_leaver_rate and latest_start <= today:
            months_ahead = rng.randint(0, 2)
            end = month_end(add_months(self._this_month, months_ahead))
            if end <= today:
                end = month_end(add_months(self._this_month, months_ahead + 1))
            end_registered = self.at(
                today - dt.timedelta(days=rng.randint(0, 14)), not_before=latest_registered
            )
        ends: list[dt.date | None] = [end] * len(members)
        ends_registered: list[dt.datetime | None] = [end_registered] * len(members)

        # An adult child deregistered on their own (moved out, own policy).
        if end is None:
            for index, person in enumerate(members):
                if person.relation is not Relation.CHILD or person.age_on(today) < 18:
                    continue
                first_month = max(add_months(new_starts[index], 1), self._window_start)
                if rng.random() < 0.25 and first_month <= self._last_full_month:
                    child_end = month_end(self._month_in(first_month, self._last_full_month))
                    days = rng.randint(3, 45) if rng.random() < 0.3 else -rng.randint(3, 20)
                    ends[index] = child_end
                    ends_registered[index] = self.at(
                        child_end + dt.timedelta(days=days), not_before=new_registered[index]
                    )
                break

        # The employee number: some policyholders got one later, some had it changed (C6).
        final_number = family.employee_number
        initial_number = final_number
        if final_number is not None and moved_from is None:
            last_day = min(today, end or today)
            if ends_registered[0] is not None:
                last_day = min(last_day, ends_registered[0].astimezone(AMSTERDAM).date())
            first_day = max(
                new_starts[0] + dt.timedelta(days=10),
                new_registered[0].astimezone(AMSTERDAM).date() + dt.timedelta(days=1),
                self._window_start,
            )
            roll = rng.random()
            if first_day <= last_day and roll < 0.13:
                initial_number = None if roll < 0.08 else self._new_employee_number()
                changed = first_day + dt.timedelta(days=rng.randint(0, (last_day - first_day).days))
                mutations.append(
                    MutationRecord(
                        0,
                        MutationKind.EMPLOYEE_NUMBER,
                        collectivity,
                        changed,
                        self.at(changed, not_before=new_registered[0]),
                        True,
                        {"employee_number": initial_number},
                        {"employee_number": final_number},
                    )
                )

        for index in range(len(members)):
            enrollments.append(
                EnrollmentRecord(
                    index,
                    collectivity,
                    new_starts[index],
                    ends[index],
                    final_number if index == 0 else None,
                    new_registered[index],
                )
            )
            if index not in moved:
                mutations.append(
                    self._enroll_mutation(
                        family,
                        index,
                        collectivity,
                        new_starts[index],
                        new_registered[index],
                        initial_number,
                    )
                )
            end_date = ends[index]
            end_at = ends_registered[index]
            if end_date is not None and end_at is not None:
                mutations.append(
                    MutationRecord(
                        index,
                        MutationKind.DEREGISTER,
                        collectivity,
                        end_date,
                        end_at,
                        True,
                        {"end_date": None},
                        {"end_date": end_date.isoformat()},
                    )
                )

        coverages, coverage_mutations = self._coverage(
            family,
            collectivity,
            first_starts=starts,
            current_starts=new_starts,
            ends=ends,
            registered=new_registered,
            may_switch=moved_from is None,
        )
        mutations.extend(coverage_mutations)
        mutations.sort(key=lambda m: m.registered_at)
        return FamilyHistory(family, tuple(enrollments), tuple(coverages), tuple(mutations))

    @staticmethod
    def _enroll_mutation(
        family: Family,
        index: int,
        collectivity: str,
        start: dt.date,
        registered_at: dt.datetime,
        employee_number: str | None,
    ) -> MutationRecord:
        person = family.members[index]
        after: dict[str, Any] = {
            "collectivity_number": collectivity,
            "policy_number": family.policy_number,
            "relation": person.relation.value,
            "start_date": start.isoformat(),
            "end_date": None,
        }
        if index == 0:
            after["employee_number"] = employee_number
        return MutationRecord(
            index, MutationKind.ENROLL, collectivity, start, registered_at, False, None, after
        )

    def _coverage(
        self,
        family: Family,
        collectivity: str,
        *,
        first_starts: list[dt.date],
        current_starts: list[dt.date],
        ends: list[dt.date | None],
        registered: list[dt.datetime],
        may_switch: bool,
    ) -> tuple[list[CoverageRecord], list[MutationRecord]]:
        """One basic product each, the family's supplementary package, dental for some adults."""
        rng = self._rng
        products = self.products
        basic = products.basic[0]
        if len(products.basic) > 1 and rng.random() < 0.2:
            basic = rng.choice(products.basic[1:])
        supplementary_options: list[str | None] = [None, *products.supplementary]
        supplementary_weights = [30] + [
            max(5, 30 - 6 * i) for i in range(len(products.supplementary))
        ]
        supplementary = rng.choices(supplementary_options, weights=supplementary_weights)[0]
        holder_dental: str | None = None
        switch_to: str | None = None
        new_year = dt.date(self.today.year, 1, 1)
        switching = may_switch and rng.random() < 0.08
        if switching:
            switch_to = rng.choice([o for o in supplementary_options if o != supplementary])

        coverages: list[CoverageRecord] = []
        mutations: list[MutationRecord] = []
        for index, person in enumerate(family.members):
            start = first_starts[index]
            coverages.append(CoverageRecord(index, basic, start, None))
            end = ends[index]
            enrolled_on_new_year = current_starts[index] <= new_year and (
                end is None or end >= new_year
            )
            if switching and start < new_year and enrolled_on_new_year:
                if supplementary is not None:
                    coverages.append(
                        CoverageRecord(index, supplementary, start, new_year - dt.timedelta(days=1))
                    )
                if switch_to is not None:
                    coverages.append(CoverageRecord(index, switch_to, new_year, None))
                december = dt.date(self.today.year - 1, 12, rng.randint(1, 28))
                mutations.append(
                    MutationRecord(
                        index,
                        MutationKind.COVERAGE,
                        collectivity,
                        new_year,
                        self.at(december, not_before=registered[index]),
                        False,
                        {"supplementary": supplementary},
                        {"supplementary": switch_to},
                    )
                )
            elif supplementary is not None:
                coverages.append(CoverageRecord(index, supplementary, start, None))

            dental: str | None = None
            if person.age_on(self.today) >= 18:
                roll = rng.random()
                if roll < 0.3:
                    dental = products.dental[0]
                elif roll < 0.45 and len(products.dental) > 1:
                    dental = rng.choice(products.dental[1:])
                if index == 0:
                    holder_dental = dental
            elif holder_dental is not None and rng.random() < 0.5:
                dental = holder_dental
            if dental is not None:
                coverages.append(CoverageRecord(index, dental, start, None))
        return coverages, mutations
