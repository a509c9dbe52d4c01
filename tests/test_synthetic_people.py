"""Synthetic families: deterministic, valid and unique numbers, believable families and histories."""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest

from resolvers.bsn import is_valid_bsn
from resolvers.clock import AMSTERDAM
from server.synthetic_people import (
    BsnSequence,
    FamilyHistory,
    HistoryPlanner,
    PeopleGenerator,
    ProductCodes,
    add_months,
    add_years,
    sort_name,
)
from storage.enums import MutationKind, Relation

TODAY = dt.date(2026, 12, 4)
PRODUCTS = ProductCodes(
    basic=("BASIS-NATURA", "BASIS-RESTITUTIE"),
    supplementary=("AANV-1", "AANV-2", "AANV-3"),
    dental=("TAND-250", "TAND-500"),
)


def _people(seed: int = 1) -> PeopleGenerator:
    return PeopleGenerator(seed=seed, today=TODAY)


def test_same_seed_gives_the_same_families() -> None:
    assert _people(7).families(2_000) == _people(7).families(2_000)


def test_another_seed_gives_other_families() -> None:
    first = [p.first_name for f in _people(7).families(500) for p in f.members]
    second = [p.first_name for f in _people(8).families(500) for p in f.members]
    assert first != second


def test_bsns_of_10000_people_pass_the_11_proef_and_are_unique() -> None:
    families = _people().families(10_000)
    bsns = [p.bsn for f in families for p in f.members]
    assert len(bsns) == 10_000
    assert len(set(bsns)) == 10_000
    assert all(len(b) == 9 and is_valid_bsn(b) for b in bsns)


def test_policy_and_employee_numbers_are_unique() -> None:
    families = _people().families(10_000)
    policy_numbers = [f.policy_number for f in families]
    employee_numbers = [f.employee_number for f in families if f.employee_number is not None]
    assert len(set(policy_numbers)) == len(policy_numbers)
    assert len(set(employee_numbers)) == len(employee_numbers)
    assert len(employee_numbers) < len(families)  # some policyholders have none
    # Ten digits: a policy number can never be taken for a BSN in a search box or a log line.
    assert all(len(n) == 10 for n in policy_numbers)


def test_bsn_sequences_with_disjoint_ranges_do_not_meet() -> None:
    low = BsnSequence(16_100_000, 97)
    high = BsnSequence(40_000_000)
    first = {next(low) for _ in range(1_000)}
    second = {next(high) for _ in range(1_000)}
    assert not first & second


def test_bsn_sequence_refuses_a_range_it_cannot_serve() -> None:
    with pytest.raises(ValueError, match="eight digits"):
        BsnSequence(1_234)
    sequence = BsnSequence(99_999_990, 5)
    next(sequence)
    next(sequence)
    with pytest.raises(OverflowError):
        next(sequence)


def test_families_have_one_policyholder_first_at_most_one_partner_and_four_children() -> None:
    for family in _people().families(5_000):
        relations = [p.relation for p in family.members]
        assert relations[0] is Relation.POLICYHOLDER
        assert relations.count(Relation.POLICYHOLDER) == 1
        assert relations.count(Relation.PARTNER) <= 1
        assert relations.count(Relation.CHILD) <= 4
        holder = family.policyholder
        for child in family.children:
            assert 0 <= child.age_on(TODAY) <= 25
            assert holder.age_on(TODAY) - child.age_on(TODAY) >= 18


def test_children_of_all_ages_and_some_around_their_18th_birthday() -> None:
    children = [c for f in _people().families(10_000) for c in f.children]
    ages = {c.age_on(TODAY) for c in children}
    assert ages == set(range(26))
    # D2: premium starts the month after the 18th birthday; some turn 18 in the coming months.
    upcoming = [c for c in children if TODAY < add_years(c.birth_date, 18) <= add_years(TODAY, 1)]
    recent = [c for c in children if add_years(TODAY, -1) < add_years(c.birth_date, 18) <= TODAY]
    assert len(upcoming) > 50
    assert len(recent) > 50


def test_names_and_addresses_look_dutch() -> None:
    people = [p for f in _people().families(2_000) for p in f.members]
    assert any(p.name_prefix == "van der" for p in people)
    assert any(p.name_prefix is None for p in people)
    assert all(p.initials.endswith(".") and p.initials[0] == p.first_name[0] for p in people)
    for person in people:
        digits, letters = person.address.postal_code.split(" ")
        assert re.fullmatch("[1-9][0-9]{3}", digits)
        assert re.fullmatch("[A-Z]{2}", letters)
        assert letters not in {"SA", "SD", "SS"}


def test_sort_name_is_lastname_firstname_prefix_in_lower_case() -> None:
    assert sort_name("Jan", "van", "Dijk") == "dijk, jan van"
    assert sort_name("Marieke", None, "Jansen") == "jansen, marieke"
    assert sort_name(" Zoë ", "", "Öztürk") == "öztürk, zoë"


def test_the_repr_of_a_person_leaves_the_bsn_out() -> None:
    family = _people().family()
    for person in family.members:
        assert person.bsn not in repr(person)
    assert all(p.bsn not in repr(family) for p in family.members)


def _planned(seed: int = 3) -> list[FamilyHistory]:
    people = PeopleGenerator(seed=seed, today=TODAY)
    planner = HistoryPlanner(
        seed=seed,
        today=TODAY,
        months=24,
        products=PRODUCTS,
        new_employee_number=people.next_employee_number,
    )
    return [planner.plan(family, "900001") for family in people.families(3_000)]


def test_history_is_deterministic() -> None:
    assert _planned() == _planned()


def test_history_periods_are_ordered_and_registered_before_ten_today() -> None:
    ten_today = dt.datetime.combine(TODAY, dt.time(10), AMSTERDAM)
    for history in _planned():
        for enrollment in history.enrollments:
            assert enrollment.end_date is None or enrollment.end_date >= enrollment.start_date
            assert enrollment.start_date >= history.family.members[enrollment.member].birth_date
        for coverage in history.coverages:
            assert coverage.end_date is None or coverage.end_date >= coverage.start_date
        for mutation in history.mutations:
            assert mutation.registered_at.tzinfo is not None
            assert mutation.registered_at < ten_today


def test_history_has_leavers_back_dated_changes_and_future_ends() -> None:
    histories = _planned()
    mutations = [m for h in histories for m in h.mutations]
    enrollments = [e for h in histories for e in h.enrollments]
    assert any(e.end_date is not None and e.end_date < TODAY for e in enrollments)
    assert any(e.end_date is not None and e.end_date > TODAY for e in enrollments)
    assert any(e.start_date > TODAY for e in enrollments)
    back_dated = [m for m in mutations if m.registered_at.date() > m.effective_date]
    assert {m.kind for m in back_dated} >= {MutationKind.ENROLL, MutationKind.DEREGISTER}
    assert any(m.kind is MutationKind.EMPLOYEE_NUMBER for m in mutations)
    for mutation in mutations:
        if mutation.kind is MutationKind.EMPLOYEE_NUMBER:  # C6: effective on the day itself
            assert mutation.effective_date <= TODAY


def test_c7_a_moved_family_leaves_the_day_before_it_joins() -> None:
    people = PeopleGenerator(seed=5, today=TODAY)
    planner = HistoryPlanner(
        seed=5, today=TODAY, months=18, products=PRODUCTS, new_employee_number=lambda: "1"
    )
    move_date = add_months(TODAY, -3)
    for family in people.families(200):
        history = planner.plan(family, "200101", moved_from="200102", move_date=move_date)
        for index in range(len(family.members)):
            old = [
                e for e in history.enrollments if e.member == index and e.collectivity == "200102"
            ]
            new = [
                e for e in history.enrollments if e.member == index and e.collectivity == "200101"
            ]
            assert len(new) == 1
            moves = [
                m for m in history.mutations if m.member == index and m.kind is MutationKind.MOVE
            ]
            if old:  # born after the move: only in the new collectivity
                assert old[0].end_date == move_date - dt.timedelta(days=1)
                assert new[0].start_date == move_date
                assert {m.collectivity for m in moves} == {"200101", "200102"}
            else:
                assert new[0].start_date > move_date
                assert moves == []


def test_mutation_history_holds_no_bsn() -> None:
    for history in _planned():
        bsns = {p.bsn for p in history.family.members}
        for mutation in history.mutations:
            text = json.dumps([mutation.before, mutation.after])
            assert not any(bsn in text for bsn in bsns)


def test_generating_100000_people_is_fast() -> None:
    started = time.perf_counter()
    families = PeopleGenerator(seed=1, today=TODAY).families(100_000)
    assert sum(len(f.members) for f in families) == 100_000
    assert time.perf_counter() - started < 30
