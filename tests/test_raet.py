"""RAET batch input (E3): exact bytes of a hand-worked borderel, refusals, encodings, hash, CRLF.

Pure tests: no database (they do not use the ``backend`` fixture, so they run once). The
hand-worked borderel's file is also the sample in docs/formats/raet.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

import pytest

from exporters.borderel import Borderel, LineKind, ProductKind, Relation
from exporters.exporter import InvalidOptions, validate_options
from exporters.raet import RaetExporter
from exporters.running import run_export
from exporters.testing import (
    ExporterConformance,
    borderel,
    large_borderel,
    line,
    missing_employee_numbers_borderel,
    person,
    standard_borderel,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "docs" / "formats" / "samples" / "raet-sample.txt"
DOC = ROOT / "docs" / "formats" / "raet.md"
NOVEMBER = dt.date(2026, 11, 1)
IDENTIFICATION = {"identification": "12345678"}


def hand_worked() -> Borderel:
    """The borderel of docs/formats/raet.md (month December 2026, made 1 December in Amsterdam)."""
    eva = person("200000001", "Berg", initials="E.", first_name="Eva", name_prefix="van den")
    tom = person("200000002", "Berg", initials="T.", first_name="Tom", relation=Relation.PARTNER)
    sem = person("200000003", "Yilmaz", initials="S.", first_name="Sem")
    ada = person("200000004", "Lovelace", initials="A.", first_name="Ada")
    return borderel(
        # Eva (employee 42): basic with 15.00 employer contribution, a supplementary package,
        # her partner Tom, and corrections for November (a back-dated change).
        line(eva, employee_number="42", premium="150.00", employer_contribution="15.00"),
        line(
            eva,
            employee_number="42",
            premium="20.00",
            discount="2.22",
            product=ProductKind.SUPPLEMENTARY,
        ),
        line(tom, employee_number="42", premium="150.00", policyholder_policy_number="200000001"),
        line(
            eva,
            employee_number="42",
            premium="-50.00",
            employer_contribution="-5.00",
            period=NOVEMBER,
        ),
        line(
            eva,
            employee_number="42",
            premium="-10.00",
            product=ProductKind.SUPPLEMENTARY,
            period=NOVEMBER,
        ),
        # Sem (employee 7): the employer pays all, so nothing to deduct (a zero component is left out).
        line(sem, employee_number="7", premium="100.00", employer_contribution="100.00"),
        # Ada (employee A-13, not a number: sorted after the numbers); no employer contribution.
        line(ada, employee_number="A-13", premium="76.25", days=15),
    )


def record(*fields: tuple[str, int]) -> str:
    """A record from (value, width) fields as docs/formats/raet.md lists them, left aligned."""
    for value, width in fields:
        assert len(value) <= width, (value, width)
    text = "".join(value.ljust(width) for value, width in fields)
    assert len(text) == 110
    return text


def mutation(employee: str, element: str, start: str, value: str, contract: str = "") -> str:
    return record(
        ("5", 1), (employee, 15), (contract, 15), (element, 20), (start, 8), (" ", 1), (value, 50)
    )


def export(source: Borderel, **options: Any) -> bytes:
    exporter = RaetExporter()
    resolved = validate_options(exporter, {**IDENTIFICATION, **options})
    assert exporter.problems(source, resolved) == []
    stream = io.BytesIO()
    exporter.write(source, resolved, stream)
    return stream.getvalue()


HAND_WORKED_RECORDS = [
    record(("A", 1), ("12345678", 8), ("20261201", 8), ("", 93)),
    mutation("7", "WG_BIJDRAGE_ZKV", "20261201", "100.00"),
    mutation("42", "PREMIE_ZKV_INH", "20261101", "-55.00"),
    mutation("42", "WG_BIJDRAGE_ZKV", "20261101", "-5.00"),
    mutation("42", "PREMIE_ZKV_INH", "20261201", "305.00"),
    mutation("42", "WG_BIJDRAGE_ZKV", "20261201", "15.00"),
    mutation("A-13", "PREMIE_ZKV_INH", "20261201", "76.25"),
    # 8 records; hash 2 × 20261101 + 4 × 20261201 = 121567006
    record(("Z", 1), ("00000008", 8), ("000121567006", 12), ("", 89)),
]


def test_hand_worked_borderel_exact_bytes() -> None:
    expected = "".join(f"{r}\r\n" for r in HAND_WORKED_RECORDS).encode("ascii")
    assert export(hand_worked()) == expected


def test_committed_sample_is_current() -> None:
    """docs/formats/samples/raet-sample.txt is this test's output (COLLECTIEF_UPDATE_SAMPLES=1 rewrites)."""
    content = export(hand_worked(), contract_id="1")
    if os.environ.get("COLLECTIEF_UPDATE_SAMPLES") == "1":
        SAMPLE.parent.mkdir(parents=True, exist_ok=True)
        SAMPLE.write_bytes(content)
    assert SAMPLE.read_bytes() == content, (
        f"{SAMPLE.relative_to(ROOT)} is stale: run with COLLECTIEF_UPDATE_SAMPLES=1"
    )
    # Shown without the trailing spaces that pad each record to 110 characters.
    shown = "".join(f"{r.rstrip()}\n" for r in content.decode("ascii").split("\r\n")[:-1])
    assert f"```text\n{shown}```" in DOC.read_text(encoding="utf-8"), (
        "docs/formats/raet.md does not show the current sample file"
    )


def test_records_are_110_characters_with_crlf() -> None:
    content = export(large_borderel(300))
    assert content.endswith(b"\r\n")
    assert b"\n" not in content.replace(b"\r\n", b"")
    assert b"\r" not in content.replace(b"\r\n", b"")
    records = content.split(b"\r\n")[:-1]
    assert {len(r) for r in records} == {110}
    assert records[0][:1] == b"A"
    assert records[-1][:1] == b"Z"
    assert {r[:1] for r in records[1:-1]} == {b"5"}
    # The trailer counts every record including leader and trailer; the hash sums the start dates.
    assert int(records[-1][1:9]) == len(records)
    assert int(records[-1][9:21]) == sum(int(r[51:59]) for r in records[1:-1]) % 10**12
    assert {r[59:60] for r in records[1:-1]} == {b" "}


def test_hash_is_the_last_twelve_digits() -> None:
    # 50,000 start dates of ~20,261,201 sum to 13 digits: only the last 12 are written.
    eva = person("200000001", "Berg")
    lines = [line(eva, employee_number=str(n), premium="1.00") for n in range(1, 50_001)]
    records = export(borderel(*lines)).split(b"\r\n")
    assert len(str(50_000 * 20261201)) == 13
    assert records[-2][9:21] == str(50_000 * 20261201)[-12:].encode()


def test_hash_can_be_switched_off() -> None:
    trailer = export(hand_worked(), hash=False).split(b"\r\n")[-2]
    assert trailer == b"Z00000008" + b" " * 101


def test_options_fill_their_positions() -> None:
    records = export(
        hand_worked(),
        contract_id="DV-0001",
        deduction_element="P_ZVW_INH",
        contribution_element="9876543210ABCDEFGHIJ",
    ).split(b"\r\n")
    assert records[1] == mutation(
        "7", "9876543210ABCDEFGHIJ", "20261201", "100.00", contract="DV-0001"
    ).encode("ascii")
    assert records[2][31:51] == b"P_ZVW_INH".ljust(20)


def test_corrections_can_be_dated_in_the_borderel_month() -> None:
    records = export(hand_worked(), correction_dates="borderel_month").decode().split("\r\n")
    assert records[1:5] == [
        mutation("7", "WG_BIJDRAGE_ZKV", "20261201", "100.00"),
        mutation("42", "PREMIE_ZKV_INH", "20261201", "250.00"),  # 305.00 − 55.00
        mutation("42", "WG_BIJDRAGE_ZKV", "20261201", "10.00"),  # 15.00 − 5.00
        mutation("A-13", "PREMIE_ZKV_INH", "20261201", "76.25"),
    ]
    assert records[5] == record(
        ("Z", 1), ("00000006", 8), (str(4 * 20261201).zfill(12), 12), ("", 89)
    )


def test_zero_amounts_are_written_when_asked() -> None:
    records = export(hand_worked(), zero_amounts=True).decode().split("\r\n")
    assert mutation("7", "PREMIE_ZKV_INH", "20261201", "0.00") in records
    assert mutation("A-13", "WG_BIJDRAGE_ZKV", "20261201", "0.00") in records
    assert records[-2][1:9] == "00000010"  # 6 + 2 zero components + leader and trailer


def test_negative_amounts_have_a_leading_minus_and_point() -> None:
    eva = person("200000001", "Berg")
    source = borderel(
        line(eva, employee_number="1", premium="-0.50", period=NOVEMBER, kind=LineKind.CORRECTION),
        line(
            eva,
            employee_number="2",
            premium="-1234.56",
            employer_contribution="-0.04",
            period=NOVEMBER,
        ),
    )
    records = export(source).decode().split("\r\n")
    assert [r[60:].rstrip() for r in records[1:-2]] == ["-0.50", "-1234.52", "-0.04"]


def test_creation_date_is_the_amsterdam_day_the_borderel_was_made() -> None:
    summer = dataclasses.replace(
        hand_worked(), created_at=dt.datetime(2026, 6, 30, 21, 59, tzinfo=dt.UTC)
    )
    assert export(summer)[9:17] == b"20260630"  # 23:59 in Amsterdam (CEST)
    later = dataclasses.replace(summer, created_at=dt.datetime(2026, 6, 30, 22, 0, tzinfo=dt.UTC))
    assert export(later)[9:17] == b"20260701"


def test_missing_employee_numbers_are_refused_with_the_insured_to_fix() -> None:
    exporter = RaetExporter()
    options = validate_options(exporter, IDENTIFICATION)
    problems = exporter.problems(missing_employee_numbers_borderel(), options)
    assert [(p.code, p.policy_number, p.insured and p.insured.display_name) for p in problems] == [
        ("MISSING_EMPLOYEE_NUMBER", "150000001", "M. Vos"),
        ("MISSING_EMPLOYEE_NUMBER", "150000009", "L. de Boer"),
    ]
    assert problems[0].message == "M. Vos (policy 150000001) has no employee number"


async def test_run_export_refuses_and_writes_nothing() -> None:
    result = await run_export(
        RaetExporter(), missing_employee_numbers_borderel(), IDENTIFICATION, timeout=10
    )
    assert result.content is None
    assert {p.code for p in result.problems} == {"MISSING_EMPLOYEE_NUMBER"}


async def test_run_export_writes_the_file() -> None:
    result = await run_export(RaetExporter(), hand_worked(), IDENTIFICATION, timeout=10)
    assert result.content == export(hand_worked())


def test_invalid_and_shared_employee_numbers_are_refused() -> None:
    eva = person("200000001", "Berg", initials="E.")
    tom = person("200000002", "Berg", initials="T.")
    source = borderel(
        line(eva, employee_number="1234567890123456", premium="1.00"),
        line(tom, employee_number="1234567890123456", premium="1.00"),
        line(person("200000003", "Kok", initials="K."), employee_number="12\t3", premium="1.00"),
    )
    exporter = RaetExporter()
    problems = exporter.problems(source, validate_options(exporter, IDENTIFICATION))
    assert [(p.code, p.policy_number) for p in problems] == [
        ("EMPLOYEE_NUMBER_INVALID", "200000001"),
        ("EMPLOYEE_NUMBER_SHARED", "200000001"),
        ("EMPLOYEE_NUMBER_SHARED", "200000002"),
        ("EMPLOYEE_NUMBER_INVALID", "200000003"),
    ]
    assert "is longer than 15 characters (16)" in problems[0].message
    assert "contains control characters" in problems[3].message


@pytest.mark.parametrize(
    ("encoding", "written"),
    [("cp1252", "Ø12".encode("cp1252")), ("latin-1", b"\xd812"), ("utf-8", b"\xc3\x9812")],
)
def test_encoding(encoding: str, written: bytes) -> None:
    source = borderel(line(person("1", "Ørsted"), employee_number="Ø12", premium="1.00"))
    records = export(source, encoding=encoding).split(b"\r\n")
    assert records[1].startswith(b"5" + written + b" " * 12)
    assert records[1].decode(encoding).__len__() == 110  # positions count characters


def test_unencodable_text_is_a_problem_not_an_error() -> None:
    source = borderel(line(person("1", "Ørsted"), employee_number="Ø12", premium="1.00"))
    exporter = RaetExporter()
    options = validate_options(
        exporter, {**IDENTIFICATION, "encoding": "ascii", "deduction_element": "PRÉMIE"}
    )
    problems = exporter.problems(source, options)
    assert [p.code for p in problems] == ["OPTION_NOT_ENCODABLE", "EMPLOYEE_NUMBER_INVALID"]
    assert problems[0].message == "Option deduction_element 'PRÉMIE' cannot be written in ascii"
    assert problems[1].message.endswith("cannot be written in ascii")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({}, "'identification': required"),
        ({"identification": "1234567"}, "'identification': does not match the pattern"),
        ({"identification": 12345678}, "'identification': expected text, got int"),
        (
            {**IDENTIFICATION, "contract_id": "1234567890123456"},
            "'contract_id': must be at most 15",
        ),
        ({**IDENTIFICATION, "deduction_element": ""}, "'deduction_element': must be at least 1"),
        ({**IDENTIFICATION, "encoding": "utf-16"}, "'encoding': must be one of ascii, cp1252"),
        ({**IDENTIFICATION, "hash": "no"}, "'hash': expected a boolean"),
    ],
)
def test_invalid_options(raw: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidOptions, match=f"^Exporter 'raet', option {reason}"):
        validate_options(RaetExporter(), raw)


def test_same_borderel_same_bytes() -> None:
    assert export(standard_borderel()) == export(standard_borderel())


class TestRaetConformance(ExporterConformance):
    """The vendor kit (E5) run against our own RAET exporter."""

    exporter = RaetExporter()
    options = IDENTIFICATION
    plugin_name = "exporters.raet"
