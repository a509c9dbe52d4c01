"""The borderel ``.dat`` download (D7): exact bytes, round trip, refusals and parser errors.

The layout is docs/formats/borderel-dat.md; the last tests hold that document to the code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporters.borderel import Borderel, BorderelLine, Insured, LineKind, ProductKind, Relation
from exporters.dat import (
    DETAIL,
    HEADER,
    RECORD_LENGTH,
    TRAILER,
    DatFormatError,
    DatValueError,
    dat_bytes,
    iter_dat,
    parse_dat,
    write_dat,
)

DOC = Path(__file__).parent.parent / "docs" / "formats" / "borderel-dat.md"

JAN = Insured(
    policy_number="P000123456",
    relation=Relation.POLICYHOLDER,
    initials="J.",
    first_name="Jan",
    name_prefix="van",
    last_name="Dijk",
    birth_date=dt.date(1980, 5, 17),
)
ZOE = Insured(
    policy_number="P000123457",
    relation=Relation.PARTNER,
    initials="Z.",
    first_name=None,
    name_prefix=None,
    last_name="Ağaoğlu",
    birth_date=dt.date(1982, 2, 3),
)
SAMPLE = Borderel(
    customer_number="100234",
    customer_name="Bakkerij De Gouden Krakeling B.V.",
    collectivity_number="200871",
    collectivity_name="Krakeling — personeel",
    month=dt.date(2026, 12, 1),
    created_at=dt.datetime(2026, 11, 25, 3, 15, 42, tzinfo=dt.UTC),
    lines=(
        BorderelLine(
            kind=LineKind.REGULAR,
            employee_number="E1001",
            insured=JAN,
            policyholder_policy_number="P000123456",
            product_code="BASIS",
            product_name="Basisverzekering",
            product_kind=ProductKind.BASIC,
            period=dt.date(2026, 12, 1),
            days=31,
            gross_premium=Decimal("142.50"),
            discount=Decimal("0.00"),
            premium=Decimal("142.50"),
            employer_contribution=Decimal("25.00"),
            deduction=Decimal("117.50"),
        ),
        # A correction of October for the partner: negative amounts, no employee number yet.
        BorderelLine(
            kind=LineKind.CORRECTION,
            employee_number=None,
            insured=ZOE,
            policyholder_policy_number="P000123456",
            product_code="AV-TOP",
            product_name="Aanvullend Top",
            product_kind=ProductKind.SUPPLEMENTARY,
            period=dt.date(2026, 10, 1),
            days=15,
            gross_premium=Decimal("-12.40"),
            discount=Decimal("-1.24"),
            premium=Decimal("-11.16"),
            employer_contribution=Decimal("0.00"),
            deduction=Decimal("-11.16"),
        ),
    ),
)

# Worked out by hand from the layout in docs/formats/borderel-dat.md (D7).
SAMPLE_RECORDS = [
    "".join(
        [
            "H",
            "BORDEREL",
            "001",
            "100234" + " " * 14,
            "Bakkerij De Gouden Krakeling B.V." + " " * 167,
            "200871" + " " * 14,
            "Krakeling — personeel" + " " * 179,
            "202612",
            "20261125031542",
            " " * 168,
        ]
    ),
    "".join(
        [
            "D",
            "REGULAR   ",
            "E1001" + " " * 15,
            "P000123456" + " " * 10,
            "P000123456" + " " * 10,
            "POLICYHOLDER",
            "J." + " " * 18,
            "Jan" + " " * 97,
            "van" + " " * 17,
            "Dijk" + " " * 96,
            "19800517",
            "BASIS" + " " * 15,
            "BASIC        ",
            "Basisverzekering" + " " * 184,
            "202612",
            "31",
            "+00000014250",
            "+00000000000",
            "+00000014250",
            "+00000002500",
            "+00000011750",
            " " * 8,
        ]
    ),
    "".join(
        [
            "D",
            "CORRECTION",
            " " * 20,
            "P000123456" + " " * 10,
            "P000123457" + " " * 10,
            "PARTNER     ",
            "Z." + " " * 18,
            " " * 100,
            " " * 20,
            "Ağaoğlu" + " " * 93,
            "19820203",
            "AV-TOP" + " " * 14,
            "SUPPLEMENTARY",
            "Aanvullend Top" + " " * 186,
            "202610",
            "15",
            "-00000001240",
            "-00000000124",
            "-00000001116",
            "+00000000000",
            "-00000001116",
            " " * 8,
        ]
    ),
    "".join(
        [
            "T",
            "000000004",
            "000000002",
            "+000000000013010",
            "-000000000000124",
            "+000000000013134",
            "+000000000002500",
            "+000000000010634",
            " " * 541,
        ]
    ),
]


def records_of(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    assert text.endswith("\r\n")
    return text.split("\r\n")[:-1]


def file_of(records: list[str]) -> bytes:
    return "".join(record + "\r\n" for record in records).encode("utf-8")


def field(layout: tuple, name: str):  # type: ignore[no-untyped-def]
    return next(f for f in layout if f.name == name)


def put(record: str, layout: tuple, name: str, value: str) -> str:  # type: ignore[type-arg]
    f = field(layout, name)
    assert len(value) == f.width
    return record[: f.start - 1] + value + record[f.end :]


# --- exact bytes -------------------------------------------------------------------------------


def test_sample_is_written_byte_for_byte_as_worked_out_by_hand() -> None:
    assert all(len(record) == RECORD_LENGTH for record in SAMPLE_RECORDS)
    assert dat_bytes(SAMPLE) == file_of(SAMPLE_RECORDS)


def test_widths_are_characters_so_non_ascii_records_have_more_bytes() -> None:
    data = dat_bytes(SAMPLE)
    raw_records = data.split(b"\r\n")[:-1]
    # "—" is 3 bytes in UTF-8, "ğ" 2 bytes (twice): the characters count, not the bytes.
    assert [len(r) for r in raw_records] == [642, 640, 642, 640]
    assert data.endswith(b"\r\n")
    assert data.count(b"\r\n") == 4
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_sample_parses_back_to_the_same_model() -> None:
    parsed = parse_dat(dat_bytes(SAMPLE))
    assert parsed == SAMPLE
    assert parsed.lines[1].insured.first_name is None
    assert parsed.lines[1].employee_number is None
    assert parsed.created_at.tzinfo is dt.UTC
    assert parsed.lines[1].premium == Decimal("-11.16")
    assert str(parsed.lines[0].discount) == "0.00"


def test_empty_borderel_is_a_header_and_a_trailer_with_zero_totals() -> None:
    empty = dataclasses.replace(SAMPLE, lines=())
    records = records_of(dat_bytes(empty))
    assert records == [
        SAMPLE_RECORDS[0],
        "T000000002000000000" + "+" + "0" * 15 + ("+" + "0" * 15) * 4 + " " * 541,
    ]
    assert parse_dat(dat_bytes(empty)) == empty


def test_write_dat_streams_the_same_bytes_and_parse_reads_a_stream() -> None:
    many = dataclasses.replace(SAMPLE, lines=SAMPLE.lines * 1500)
    stream = io.BytesIO()
    write_dat(many, stream, chunk_records=7)
    assert stream.getvalue() == dat_bytes(many) == b"".join(iter_dat(many))
    stream.seek(0)
    assert parse_dat(stream) == many


def test_created_at_is_written_in_utc_to_the_second() -> None:
    amsterdam_winter = dt.timezone(dt.timedelta(hours=1))
    local = dt.datetime(2026, 11, 25, 4, 15, 42, 987_654, tzinfo=amsterdam_winter)
    parsed = parse_dat(dat_bytes(dataclasses.replace(SAMPLE, created_at=local)))
    # Microseconds are dropped (truncated), the instant is kept and comes back in UTC.
    assert parsed.created_at == dt.datetime(2026, 11, 25, 3, 15, 42, tzinfo=dt.UTC)
    assert parsed.created_at.tzinfo is dt.UTC


# --- round trip (property) ---------------------------------------------------------------------

_CHARACTERS = st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="\u2028\u2029")


def texts(width: int, *, min_size: int = 0) -> st.SearchStrategy[str]:
    """Any text the format holds: no control characters, no trailing space (documented limits)."""
    return st.text(_CHARACTERS, min_size=min_size, max_size=width).filter(
        lambda s: not s.endswith(" ")
    ) | st.text(_CHARACTERS, min_size=width, max_size=width).map(lambda s: s[:-1] + "x")


def optional_texts(width: int) -> st.SearchStrategy[str | None]:
    return st.none() | texts(width, min_size=1)


amounts = st.integers(-(10**11 - 1), 10**11 - 1).map(lambda cents: Decimal(cents).scaleb(-2))
months = st.dates(dt.date(1900, 1, 1), dt.date(2199, 12, 31)).map(lambda d: d.replace(day=1))
insured_persons = st.builds(
    Insured,
    policy_number=texts(20),
    relation=st.sampled_from(Relation),
    initials=texts(20),
    first_name=optional_texts(100),
    name_prefix=optional_texts(20),
    last_name=texts(100),
    birth_date=st.dates(dt.date(1900, 1, 1), dt.date(2199, 12, 31)),
)
borderel_lines = st.builds(
    BorderelLine,
    kind=st.sampled_from(LineKind),
    employee_number=optional_texts(20),
    insured=insured_persons,
    policyholder_policy_number=texts(20),
    product_code=texts(20),
    product_name=texts(200),
    product_kind=st.sampled_from(ProductKind),
    period=months,
    days=st.integers(0, 31),
    gross_premium=amounts,
    discount=amounts,
    premium=amounts,
    employer_contribution=amounts,
    deduction=amounts,
)
# Hypothesis takes naive bounds and adds the zone itself.
EARLIEST = dt.datetime(1970, 1, 2)  # noqa: DTZ001
LATEST = dt.datetime(2199, 12, 30)  # noqa: DTZ001
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
borderels = st.builds(
    Borderel,
    customer_number=texts(20),
    customer_name=texts(200),
    collectivity_number=texts(20),
    collectivity_name=texts(200),
    month=months,
    created_at=st.datetimes(EARLIEST, LATEST, timezones=offsets).map(
        lambda d: d.replace(microsecond=0)
    ),
    lines=st.lists(borderel_lines, max_size=12).map(tuple),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(borderels)
def test_round_trip_gives_the_identical_model(borderel: Borderel) -> None:
    data = dat_bytes(borderel)
    assert all(len(record) == RECORD_LENGTH for record in records_of(data))
    parsed = parse_dat(data)
    assert parsed == borderel
    assert parsed.created_at.tzinfo is dt.UTC
    # Written again, the parsed model gives the same bytes: one canonical file per borderel.
    assert dat_bytes(parsed) == data


# --- what the writer refuses (before producing the record) -------------------------------------


def line_with(**changes: object) -> Borderel:
    insured_changes = {
        k: changes.pop(k) for k in list(changes) if k in Insured.__dataclass_fields__
    }
    line = dataclasses.replace(
        SAMPLE.lines[0], insured=dataclasses.replace(JAN, **insured_changes), **changes
    )
    return dataclasses.replace(SAMPLE, lines=(SAMPLE.lines[0], line))


@pytest.mark.parametrize(
    ("borderel", "line", "field_name", "reason"),
    [
        (line_with(last_name="x" * 101), 2, "last_name", "101 characters do not fit the 100"),
        (line_with(product_name="é" * 201), 2, "product_name", "201 characters"),
        (line_with(first_name="Jan "), 2, "first_name", "trailing space"),
        (line_with(first_name=""), 2, "first_name", "give None"),
        (line_with(employee_number=""), 2, "employee_number", "give None"),
        (line_with(last_name="Dijk\r\nT"), 2, "last_name", "U+000D"),
        (line_with(initials="J.\x85"), 2, "initials", "U+0085"),
        (line_with(premium=Decimal("1.005")), 2, "premium", "fractions of a cent"),
        (line_with(deduction=Decimal("1000000000.00")), 2, "deduction", "more than 11 digits"),
        (line_with(discount=Decimal("NaN")), 2, "discount", "not a finite Decimal"),
        (line_with(discount=1.5), 2, "discount", "not a finite Decimal"),
        (line_with(period=dt.date(2026, 12, 2)), 2, "period", "first day of a month"),
        (line_with(days=32), 2, "days", "from 0 to 31"),
        (line_with(kind="REFUND"), 2, "kind", "unknown code"),
        (dataclasses.replace(SAMPLE, month=dt.date(2026, 12, 31)), None, "month", "first day"),
        (
            dataclasses.replace(SAMPLE, created_at=dt.datetime(2026, 1, 1)),  # noqa: DTZ001
            None,
            "created_at",
            "naive",
        ),
        (dataclasses.replace(SAMPLE, customer_name="B" * 201), None, "customer_name", "201"),
        (
            dataclasses.replace(SAMPLE, collectivity_number="C\t1"),
            None,
            "collectivity_number",
            "U+0009",
        ),
    ],
)
def test_writer_refuses_what_it_cannot_write_exactly(
    borderel: Borderel, line: int | None, field_name: str, reason: str
) -> None:
    with pytest.raises(DatValueError) as raised:
        dat_bytes(borderel)
    assert (raised.value.line, raised.value.field) == (line, field_name)
    assert reason in raised.value.reason


def test_writer_refuses_totals_beyond_15_digits() -> None:
    big = dataclasses.replace(SAMPLE.lines[0], gross_premium=Decimal("999999999.99"))
    fits = dataclasses.replace(SAMPLE, lines=(big,) * 10_000)  # 9,999,999,999,900.00: 15 digits
    assert parse_dat(dat_bytes(fits)).lines[0].gross_premium == Decimal("999999999.99")
    with pytest.raises(DatValueError) as raised:
        dat_bytes(dataclasses.replace(SAMPLE, lines=(big,) * 10_001))
    assert raised.value.field == "gross_premium_total"


def test_a_refused_line_leaves_a_streamed_file_without_trailer_that_the_parser_rejects() -> None:
    stream = io.BytesIO()
    bad = line_with(last_name="x" * 101)
    with pytest.raises(DatValueError):
        write_dat(bad, stream, chunk_records=1)
    assert records_of(stream.getvalue()) == SAMPLE_RECORDS[:2]
    with pytest.raises(DatFormatError, match="missing trailer"):
        parse_dat(stream.getvalue())


# --- what the parser rejects -------------------------------------------------------------------

H, D1, D2, T = SAMPLE_RECORDS


@pytest.mark.parametrize(
    ("records", "line", "field_name", "reason"),
    [
        ([H, D1[:-1], D2, T], 2, None, "the record has 639 characters"),
        ([H, D1 + " ", D2, T], 2, None, "641 characters"),
        ([H, D1, "", D2, T], 3, None, "0 characters"),
        ([H, "X" + D1[1:], D2, T], 2, "record_type", "unknown record type 'X'"),
        ([H, "d" + D1[1:], D2, T], 2, "record_type", "unknown record type 'd'"),
        ([H, put(D1, DETAIL, "premium", "+0000001425O"), D2, T], 2, "premium", "bad number"),
        ([H, put(D1, DETAIL, "premium", " 00000014250"), D2, T], 2, "premium", "bad number"),
        ([H, put(D1, DETAIL, "days", "3 "), D2, T], 2, "days", "bad number"),
        ([H, put(D1, DETAIL, "days", "32"), D2, T], 2, "days", "more than 31"),
        ([H, put(D1, DETAIL, "days", "٣١"), D2, T], 2, "days", "bad number"),
        ([H, D1, D2, put(T, TRAILER, "line_count", "00000000x")], 4, "line_count", "bad number"),
        ([H, put(D1, DETAIL, "birth_date", "19800231"), D2, T], 2, "birth_date", "not a date"),
        ([H, put(D1, DETAIL, "period", "202613"), D2, T], 2, "period", "not a month"),
        (
            [put(H, HEADER, "created_at", "20261125241542"), D1, D2, T],
            1,
            "created_at",
            "not a date",
        ),
        ([put(H, HEADER, "month", "202600"), D1, D2, T], 1, "month", "not a month"),
        ([H, put(D1, DETAIL, "kind", "REFUND    "), D2, T], 2, "kind", "unknown code 'REFUND'"),
        ([H, put(D1, DETAIL, "relation", "policyholder"), D2, T], 2, "relation", "unknown code"),
        ([H, put(D1, DETAIL, "filler", "       x"), D2, T], 2, "filler", "spaces"),
        ([H, put(D1, DETAIL, "initials", "J.\t" + " " * 17), D2, T], 2, "initials", "U+0009"),
        (
            [put(H, HEADER, "format_version", "002"), D1, D2, T],
            1,
            "format_version",
            "unsupported format version '002'",
        ),
        (
            [put(H, HEADER, "format_id", "BORDERAL"), D1, D2, T],
            1,
            "format_id",
            "expected 'BORDEREL'",
        ),
        (
            [H, D1, D2, put(T, TRAILER, "record_count", "000000005")],
            4,
            "record_count",
            "counts 5 records, the file has 4",
        ),
        ([H, D1, T], 3, "record_count", "counts 4 records, the file has 3"),
        (
            [H, D1, D2, put(T, TRAILER, "line_count", "000000003")],
            4,
            "line_count",
            "counts 3 detail records",
        ),
        (
            [H, D1, D1, T],
            4,
            "gross_premium_total",
            "control total is 130.10, the detail records add up to 285.00",
        ),
        (
            [H, D1, put(D2, DETAIL, "discount", "-00000000125"), T],
            4,
            "discount_total",
            "control total is -1.24",
        ),
        (
            [H, D1, D2, put(T, TRAILER, "premium_total", "+000000000013135")],
            4,
            "premium_total",
            "131.35",
        ),
        (
            [H, D1, D2, put(T, TRAILER, "employer_contribution_total", "-000000000002500")],
            4,
            "employer_contribution_total",
            "-25.00",
        ),
        (
            [H, D1, D2, put(T, TRAILER, "deduction_total", "+000000000010643")],
            4,
            "deduction_total",
            "106.43",
        ),
        ([D1, D2, T], 1, None, "missing header"),
        ([T], 1, None, "missing header"),
        (["Z" + H[1:], D1, D2, T], 1, "record_type", "unknown record type 'Z'"),
        ([H, D1, H, D2, T], 3, "record_type", "a second header"),
        ([H, D1, D2], 4, None, "missing trailer"),
        ([H], 2, None, "missing trailer"),
        ([H, D1, D2, T, D1], 5, None, "data after the trailer"),
        ([H, D1, D2, T, T], 5, None, "data after the trailer"),
    ],
)
def test_parser_rejects_with_line_and_field(
    records: list[str], line: int, field_name: str | None, reason: str
) -> None:
    with pytest.raises(DatFormatError) as raised:
        parse_dat(file_of(records))
    assert (raised.value.line, raised.value.field) == (line, field_name), raised.value
    assert reason in raised.value.reason
    assert f"line {line}" in str(raised.value)


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (b"", 1, "the file is empty"),
        (file_of(SAMPLE_RECORDS) + b"garbage", 5, "data after the trailer"),
        (file_of(SAMPLE_RECORDS) + b"\r\n", 5, "data after the trailer"),
        (file_of(SAMPLE_RECORDS)[:-2], 4, "does not end with CRLF"),
        (file_of(SAMPLE_RECORDS)[:-1], 4, "641 characters"),
        (file_of(SAMPLE_RECORDS).replace(b"\r\n", b"\n"), 1, "characters"),
        (b"\xef\xbb\xbf" + file_of(SAMPLE_RECORDS), 1, "byte order mark"),
        (file_of(SAMPLE_RECORDS).replace("ğ".encode(), b"\xf0"), 3, "not valid UTF-8"),
        # Windows-1252 instead of UTF-8: the em dash in the collectivity name is byte 0x97.
        (file_of(SAMPLE_RECORDS).replace("—".encode(), "—".encode("cp1252")), 1, "not valid UTF-8"),
    ],
)
def test_parser_rejects_broken_files(data: bytes, line: int, reason: str) -> None:
    with pytest.raises(DatFormatError) as raised:
        parse_dat(data)
    assert raised.value.line == line
    assert reason in raised.value.reason


def test_a_negative_zero_amount_reads_as_zero() -> None:
    record = put(D1, DETAIL, "discount", "-00000000000")
    parsed = parse_dat(file_of([H, record, D2, T]))
    assert parsed == SAMPLE
    assert str(parsed.lines[0].discount) == "0.00"


# --- the document is the code ------------------------------------------------------------------


def test_document_lists_every_field_at_its_position() -> None:
    rows = re.findall(r"^\| *(\d+)[–-](\d+) *\| *(\d+) *\| *`(\w+)`", DOC.read_text(), re.MULTILINE)
    tables: list[list[tuple[int, int, int, str]]] = []
    for start, end, width, name in rows:
        if start == "1":
            tables.append([])
        tables[-1].append((int(start), int(end), int(width), name))
    assert tables == [
        [(f.start, f.end, f.width, f.name) for f in layout] for layout in (HEADER, DETAIL, TRAILER)
    ]


def test_document_sample_is_what_the_writer_writes() -> None:
    text = DOC.read_text()
    sample = text.split("<!-- sample -->", 1)[1].split("```text\n", 1)[1].split("\n```", 1)[0]
    assert sample.split("\n") == [record.rstrip(" ") for record in records_of(dat_bytes(SAMPLE))]
