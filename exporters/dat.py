"""The borderel download as a fixed-width ``.dat`` file (D7): a writer and a parser that round-trip.

The layout is ours (no public borderel format exists, see REFERENCE.md) and is documented field by
field in ``docs/formats/borderel-dat.md``; ``HEADER``, ``DETAIL`` and ``TRAILER`` below are the
single source of the positions, and a test checks the document against them.

In short: UTF-8 text, one record per line, every record exactly ``RECORD_LENGTH`` characters
(Unicode code points, not bytes) followed by CRLF. A header record, one detail record per borderel
line, and a trailer record with the record count and control totals. Text is left-aligned and
padded with spaces; numbers are zero-padded; amounts are whole cents with an explicit sign.

Writing is lossless for every borderel the portal can hold. What cannot be written exactly is
refused with ``DatValueError`` instead of being silently changed — a text longer than its field,
a text ending in a space (padding would eat it), an empty optional text (it would read back as
``None``), control characters, amounts with fractions of cents or too many digits, a naive
``created_at``. The one deliberate loss: ``created_at`` is written in UTC to the second, so
microseconds are dropped.

The parser accepts exactly what the writer produces and raises ``DatFormatError`` (with the line
number and field) for anything else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, BinaryIO

from .borderel import Borderel, BorderelLine, Insured, LineKind, ProductKind, Relation

FORMAT_ID = "BORDEREL"
FORMAT_VERSION = 1
RECORD_LENGTH = 640
ENCODING = "utf-8"
LINE_END = "\r\n"
AMOUNT_DIGITS = 11  # per line: up to ±999,999,999.99
TOTAL_DIGITS = 15  # control totals: up to ±9,999,999,999,999.99
MAX_DAYS = 31

# Characters no text field may hold: C0 and C1 control characters (CR and LF among them), the
# Unicode line and paragraph separators (line-splitting tools break on them) and lone surrogates
# (not encodable in UTF-8).
_FORBIDDEN = "\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
_FORBIDDEN_RE = re.compile(f"[{_FORBIDDEN}]")


class FieldType(enum.Enum):
    CONSTANT = "constant"  # a fixed value (record type, format identifier)
    TEXT = "text"  # left-aligned, space-padded; may be blank ("")
    OPTIONAL_TEXT = "optional text"  # as TEXT; blank means None
    CODE = "code"  # an enum value, left-aligned, space-padded
    NUMBER = "number"  # unsigned integer, zero-padded
    DATE = "date"  # YYYYMMDD
    MONTH = "month"  # YYYYMM (the first day of that month)
    TIMESTAMP = "timestamp"  # YYYYMMDDHHMMSS in UTC
    AMOUNT = "amount"  # sign + digits, in cents
    FILLER = "filler"  # spaces


@dataclasses.dataclass(frozen=True, slots=True)
class Field:
    name: str
    start: int  # 1-based position of the first character
    width: int
    type: FieldType
    constant: str | None = None
    codes: tuple[str, ...] = ()

    @property
    def end(self) -> int:
        """1-based position of the last character."""
        return self.start + self.width - 1


def _layout(*specs: tuple) -> tuple[Field, ...]:  # type: ignore[type-arg]
    fields: list[Field] = []
    start = 1
    for name, width, kind, *extra in specs:
        constant, codes = None, ()
        if kind is FieldType.CONSTANT:
            constant = str(extra[0])
            assert len(constant) == width
        elif kind is FieldType.CODE:
            codes = tuple(member.value for member in extra[0])  # type: ignore[attr-defined]
            assert max(map(len, codes)) <= width
        fields.append(Field(name, start, width, kind, constant, codes))
        start += width
    assert start - 1 <= RECORD_LENGTH, name
    if start - 1 < RECORD_LENGTH:
        fields.append(Field("filler", start, RECORD_LENGTH - start + 1, FieldType.FILLER))
    return tuple(fields)


T = FieldType
HEADER = _layout(
    ("record_type", 1, T.CONSTANT, "H"),
    ("format_id", 8, T.CONSTANT, FORMAT_ID),
    ("format_version", 3, T.CONSTANT, f"{FORMAT_VERSION:03d}"),
    ("customer_number", 20, T.TEXT),
    ("customer_name", 200, T.TEXT),
    ("collectivity_number", 20, T.TEXT),
    ("collectivity_name", 200, T.TEXT),
    ("month", 6, T.MONTH),
    ("created_at", 14, T.TIMESTAMP),
)
DETAIL = _layout(
    ("record_type", 1, T.CONSTANT, "D"),
    ("kind", 10, T.CODE, LineKind),
    ("employee_number", 20, T.OPTIONAL_TEXT),
    ("policyholder_policy_number", 20, T.TEXT),
    ("policy_number", 20, T.TEXT),
    ("relation", 12, T.CODE, Relation),
    ("initials", 20, T.TEXT),
    ("first_name", 100, T.OPTIONAL_TEXT),
    ("name_prefix", 20, T.OPTIONAL_TEXT),
    ("last_name", 100, T.TEXT),
    ("birth_date", 8, T.DATE),
    ("product_code", 20, T.TEXT),
    ("product_kind", 13, T.CODE, ProductKind),
    ("product_name", 200, T.TEXT),
    ("period", 6, T.MONTH),
    ("days", 2, T.NUMBER),
    ("gross_premium", 1 + AMOUNT_DIGITS, T.AMOUNT),
    ("discount", 1 + AMOUNT_DIGITS, T.AMOUNT),
    ("premium", 1 + AMOUNT_DIGITS, T.AMOUNT),
    ("employer_contribution", 1 + AMOUNT_DIGITS, T.AMOUNT),
    ("deduction", 1 + AMOUNT_DIGITS, T.AMOUNT),
)
TRAILER = _layout(
    ("record_type", 1, T.CONSTANT, "T"),
    ("record_count", 9, T.NUMBER),
    ("line_count", 9, T.NUMBER),
    ("gross_premium_total", 1 + TOTAL_DIGITS, T.AMOUNT),
    ("discount_total", 1 + TOTAL_DIGITS, T.AMOUNT),
    ("premium_total", 1 + TOTAL_DIGITS, T.AMOUNT),
    ("employer_contribution_total", 1 + TOTAL_DIGITS, T.AMOUNT),
    ("deduction_total", 1 + TOTAL_DIGITS, T.AMOUNT),
)
del T
RECORDS = {"H": HEADER, "D": DETAIL, "T": TRAILER}


def _padded_codes(field_name: str, codes: type[enum.Enum]) -> dict[object, str]:
    width = next(f.width for f in DETAIL if f.name == field_name)
    return {member: member.value.ljust(width) for member in codes}


_KIND_OUT = _padded_codes("kind", LineKind)
_RELATION_OUT = _padded_codes("relation", Relation)
_PRODUCT_KIND_OUT = _padded_codes("product_kind", ProductKind)
_KIND_IN = {padded: member for member, padded in _KIND_OUT.items()}
_RELATION_IN = {padded: member for member, padded in _RELATION_OUT.items()}
_PRODUCT_KIND_IN = {padded: member for member, padded in _PRODUCT_KIND_OUT.items()}
_HEADER_DATA = HEADER[-1].start - 1  # the characters before the filler
_DETAIL_DATA = DETAIL[-1].start - 1
_AMOUNT_FIELDS = tuple(f.name for f in DETAIL if f.type is FieldType.AMOUNT)
_MAX_COUNT = 10 ** TRAILER[1].width - 1


class DatError(ValueError):
    """Base class of the ``.dat`` errors."""


class DatValueError(DatError):
    """A borderel that cannot be written exactly; raised before its record is produced.

    ``line`` is the 1-based index of the borderel line (``None`` for the header or trailer).
    """

    def __init__(self, message: str, *, line: int | None = None, field: str | None = None) -> None:
        self.line, self.field, self.reason = line, field, message
        where = "header/trailer" if line is None else f"borderel line {line}"
        super().__init__(f"{where}, field {field}: {message}" if field else f"{where}: {message}")


class DatFormatError(DatError):
    """A file that is not a valid borderel ``.dat`` file.

    ``line`` is the 1-based line (record) number in the file, ``field`` the field name from the
    layout (``None`` when the error concerns the record or the file as a whole).
    """

    def __init__(self, message: str, *, line: int, field: str | None = None) -> None:
        self.line, self.field, self.reason = line, field, message
        super().__init__(
            f"line {line}, field {field}: {message}" if field else f"line {line}: {message}"
        )


# ---------------------------------------------------------------------------------------------
# Writing


def iter_dat(borderel: Borderel) -> Iterator[bytes]:
    """The encoded records of ``borderel``, one ``bytes`` per record (CRLF included).

    Lazily: a record is produced only when asked for, so a value that cannot be written raises
    ``DatValueError`` when its record is reached. A consumer that already wrote earlier records
    then holds a file without a trailer, which ``parse_dat`` always rejects.
    """
    yield _header(borderel).encode(ENCODING)
    totals = [0, 0, 0, 0, 0]  # in cents, per amount field
    count = 0
    cache: dict[Decimal, int] = {}
    for count, line in enumerate(borderel.lines, start=1):
        record, cents = _detail(line, count, cache)
        totals[0] += cents[0]
        totals[1] += cents[1]
        totals[2] += cents[2]
        totals[3] += cents[3]
        totals[4] += cents[4]
        yield record.encode(ENCODING)
    yield _trailer(count, totals).encode(ENCODING)


def dat_bytes(borderel: Borderel) -> bytes:
    """The whole file; raises ``DatValueError`` before returning anything if it cannot be written."""
    return b"".join(iter_dat(borderel))


def write_dat(borderel: Borderel, stream: BinaryIO, *, chunk_records: int = 1000) -> None:
    """Write the file to a binary stream, ``chunk_records`` records per ``write`` call.

    On ``DatValueError`` the stream holds the records before the bad one and no trailer.
    """
    chunk: list[bytes] = []
    for record in iter_dat(borderel):
        chunk.append(record)
        if len(chunk) >= chunk_records:
            stream.write(b"".join(chunk))
            chunk.clear()
    if chunk:
        stream.write(b"".join(chunk))


def _header(b: Borderel) -> str:
    created = b.created_at
    if created.tzinfo is None or created.utcoffset() is None:
        raise DatValueError(
            "a naive datetime; give an aware one (it is written in UTC)", field="created_at"
        )
    created = created.astimezone(dt.UTC)
    record = (
        f"H{FORMAT_ID}{FORMAT_VERSION:03d}"
        f"{b.customer_number:<20}{b.customer_name:<200}"
        f"{b.collectivity_number:<20}{b.collectivity_name:<200}"
        f"{_month(b.month, None, 'month')}"
        f"{created.year:04d}{created.month:02d}{created.day:02d}"
        f"{created.hour:02d}{created.minute:02d}{created.second:02d}"
    )
    texts = (b.customer_number, b.customer_name, b.collectivity_number, b.collectivity_name)
    # Every field fits exactly when the record reaches the filler: no text was too long.
    if len(record) != _HEADER_DATA or _FORBIDDEN_RE.search(record) or _any_trailing_space(texts):
        _diagnose_texts(HEADER, dict(zip(HEADER[3:7], texts, strict=True)), None)
    return f"{record:<{RECORD_LENGTH}}{LINE_END}"


def _detail(
    line: BorderelLine, index: int, cache: dict[Decimal, int]
) -> tuple[str, tuple[int, ...]]:
    insured = line.insured
    employee = _optional(line.employee_number, index, "employee_number")
    first_name = _optional(insured.first_name, index, "first_name")
    prefix = _optional(insured.name_prefix, index, "name_prefix")
    days = line.days
    if not (isinstance(days, int) and 0 <= days <= MAX_DAYS):
        raise DatValueError(
            f"{days!r} is not a whole number of days from 0 to {MAX_DAYS}", line=index, field="days"
        )
    amounts = (
        line.gross_premium,
        line.discount,
        line.premium,
        line.employer_contribution,
        line.deduction,
    )
    try:
        # Amounts repeat: the cache (of checked Decimals only) saves most of the checking.
        cents = tuple(map(cache.__getitem__, amounts))
        if not (
            type(amounts[0]) is Decimal
            and type(amounts[1]) is Decimal
            and type(amounts[2]) is Decimal
            and type(amounts[3]) is Decimal
            and type(amounts[4]) is Decimal
        ):
            raise KeyError
    except (KeyError, TypeError):
        cents = tuple(
            _cents(amount, AMOUNT_DIGITS, index, field)
            for amount, field in zip(amounts, _AMOUNT_FIELDS, strict=True)
        )
        cache.update(zip(amounts, cents, strict=True))
    kind = _KIND_OUT.get(line.kind)
    relation = _RELATION_OUT.get(insured.relation)
    product_kind = _PRODUCT_KIND_OUT.get(line.product_kind)
    if kind is None or relation is None or product_kind is None:
        for value, codes, field in (
            (line.kind, _KIND_OUT, "kind"),
            (insured.relation, _RELATION_OUT, "relation"),
            (line.product_kind, _PRODUCT_KIND_OUT, "product_kind"),
        ):
            if value not in codes:
                raise DatValueError(f"unknown code {value!r}", line=index, field=field)
    birth = insured.birth_date
    record = (
        f"D{kind}{employee:<20}"
        f"{line.policyholder_policy_number:<20}{insured.policy_number:<20}"
        f"{relation}{insured.initials:<20}{first_name:<100}"
        f"{prefix:<20}{insured.last_name:<100}"
        f"{birth.year:04d}{birth.month:02d}{birth.day:02d}"
        f"{line.product_code:<20}{product_kind}"
        f"{line.product_name:<200}{_month(line.period, index, 'period')}{days:02d}"
        f"{cents[0]:+012d}{cents[1]:+012d}{cents[2]:+012d}{cents[3]:+012d}{cents[4]:+012d}"
    )
    texts = (
        employee,
        line.policyholder_policy_number,
        insured.policy_number,
        insured.initials,
        first_name,
        prefix,
        insured.last_name,
        line.product_code,
        line.product_name,
    )
    if len(record) != _DETAIL_DATA or _FORBIDDEN_RE.search(record) or _any_trailing_space(texts):
        named = [f for f in DETAIL if f.type in (FieldType.TEXT, FieldType.OPTIONAL_TEXT)]
        _diagnose_texts(DETAIL, dict(zip(named, texts, strict=True)), index)
    return f"{record:<{RECORD_LENGTH}}{LINE_END}", cents


def _trailer(count: int, totals: list[int]) -> str:
    limit = 10**TOTAL_DIGITS - 1
    for name, total in zip(_AMOUNT_FIELDS, totals, strict=True):
        if abs(total) > limit:
            raise DatValueError(
                f"the total of {name} has more than {TOTAL_DIGITS} digits in cents",
                field=f"{name}_total",
            )
    if count + 2 > _MAX_COUNT:
        raise DatValueError(f"more than {_MAX_COUNT - 2} lines", field="record_count")
    amounts = "".join(f"{total:+0{TOTAL_DIGITS + 1}d}" for total in totals)
    return f"{f'T{count + 2:09d}{count:09d}{amounts}':<{RECORD_LENGTH}}{LINE_END}"


def _optional(value: str | None, index: int, field: str) -> str:
    if value is None:
        return ""
    if value == "":
        raise DatValueError(
            "an empty text would read back as None; give None instead", line=index, field=field
        )
    return value


def _cents(amount: Decimal, digits: int, index: int, field: str) -> int:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise DatValueError(f"{amount!r} is not a finite Decimal", line=index, field=field)
    scaled = amount.scaleb(2)
    cents = int(scaled)
    if cents != scaled:
        raise DatValueError(f"{amount} has fractions of a cent", line=index, field=field)
    if abs(cents) >= 10**digits:
        raise DatValueError(
            f"{amount} has more than {digits} digits in cents", line=index, field=field
        )
    return cents


def _month(value: dt.date, index: int | None, field: str) -> str:
    if isinstance(value, dt.datetime) or value.day != 1:
        raise DatValueError(f"{value!r} is not the first day of a month", line=index, field=field)
    return f"{value.year:04d}{value.month:02d}"


def _any_trailing_space(texts: tuple[str, ...]) -> bool:
    # NUL cannot be in a text that passes the control-character check, so it marks the ends.
    return " \x00" in "\x00".join(texts) + "\x00"


def _forbidden_character(found: re.Match[str], position: int) -> str:
    """The error text for a forbidden character found in a text (writer) or record (parser)."""
    return f"control or separator character U+{ord(found.group()):04X} at position {position}"


def _diagnose_texts(layout: tuple[Field, ...], texts: dict[Field, str], index: int | None) -> None:
    """Raise the precise error for a record whose fast checks failed."""
    for field, text in texts.items():
        if not isinstance(text, str):
            raise DatValueError(f"{text!r} is not a text", line=index, field=field.name)
        if len(text) > field.width:
            raise DatValueError(
                f"{len(text)} characters do not fit the {field.width} of the field",
                line=index,
                field=field.name,
            )
        if (found := _FORBIDDEN_RE.search(text)) is not None:
            raise DatValueError(
                _forbidden_character(found, found.start() + 1), line=index, field=field.name
            )
        if text.endswith(" "):
            raise DatValueError(
                "a trailing space would be lost in the padding", line=index, field=field.name
            )
    raise AssertionError(
        f"no field explains the bad record ({layout[0].constant})"
    )  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Parsing


def _pattern(field: Field) -> str:
    match field.type:
        case FieldType.CONSTANT:
            return f"({re.escape(field.constant or '')})"
        case FieldType.TEXT | FieldType.OPTIONAL_TEXT:
            return f"([^{_FORBIDDEN}]{{{field.width}}})"
        case FieldType.CODE:
            return "(" + "|".join(re.escape(code.ljust(field.width)) for code in field.codes) + ")"
        case FieldType.AMOUNT:
            return f"([+-][0-9]{{{field.width - 1}}})"
        case FieldType.FILLER:
            return f"( {{{field.width}}})"
        case _:
            return f"([0-9]{{{field.width}}})"


_FIELD_RE = {
    (key, f.name): re.compile(_pattern(f)) for key, layout in RECORDS.items() for f in layout
}
_RECORD_RE = {
    key: re.compile("".join(_pattern(f) for f in layout)) for key, layout in RECORDS.items()
}


def parse_dat(data: bytes | bytearray | memoryview | BinaryIO) -> Borderel:
    """The borderel in a ``.dat`` file; ``DatFormatError`` if the file is not exactly valid."""
    raw = bytes(data) if isinstance(data, bytes | bytearray | memoryview) else data.read()
    try:
        text = raw.decode(ENCODING)
    except UnicodeDecodeError as error:
        line = raw.count(LINE_END.encode(), 0, error.start) + 1
        raise DatFormatError(
            f"not valid UTF-8 (byte {error.start + 1} of the file)", line=line
        ) from None
    if text.startswith("\ufeff"):
        raise DatFormatError("a byte order mark is not allowed", line=1)
    records = text.split(LINE_END)
    unterminated = records[-1] != ""
    if not unterminated:
        records.pop()
    if not records:
        raise DatFormatError("missing header record (the file is empty)", line=1)

    borderel_fields = _header_fields(_match(records[0], 1, expect="H"), 1)
    lines: list[BorderelLine] = []
    memo: dict[Any, Any] = {}  # parsed dates, amounts and insured persons, which repeat
    detail_re = _RECORD_RE["D"]
    number = 1
    for number, record in enumerate(records[1:], start=2):
        match = detail_re.fullmatch(record)
        if match is None:
            groups = _match(record, number, expect="D")
            if groups is None:  # the trailer
                break
        else:
            groups = match.groups()
        lines.append(_line(groups, number, memo))
    else:
        raise DatFormatError("missing trailer record", line=number + 1)

    trailer = _match(records[number - 1], number, expect="T")
    assert trailer is not None
    if number < len(records):
        raise DatFormatError("data after the trailer record", line=number + 1)
    if unterminated:
        raise DatFormatError("the trailer record does not end with CRLF", line=number)
    _check_trailer(trailer, number, lines)
    return Borderel(lines=tuple(lines), **borderel_fields)


def _match(record: str, number: int, *, expect: str) -> tuple[str, ...] | None:
    """The groups of ``record`` as a record of type ``expect``; ``None`` for a trailer where a
    detail record may stand. Raises ``DatFormatError`` naming the first bad field otherwise."""
    if len(record) != RECORD_LENGTH:
        raise DatFormatError(
            f"the record has {len(record)} characters; every record has {RECORD_LENGTH} before CRLF",
            line=number,
        )
    kind = record[0]
    if kind not in RECORDS:
        raise DatFormatError(
            f"unknown record type {kind!r} (expected H, D or T)", line=number, field="record_type"
        )
    if expect == "H" and kind != "H":
        raise DatFormatError(
            "missing header record: the file must start with an H record", line=number
        )
    if expect != "H" and kind == "H":
        raise DatFormatError("a second header record", line=number, field="record_type")
    if expect == "D" and kind == "T":
        return None
    match = _RECORD_RE[kind].fullmatch(record)
    if match is not None:
        return match.groups()
    layout = RECORDS[kind]
    for field in layout:
        value = record[field.start - 1 : field.end]
        if _FIELD_RE[kind, field.name].fullmatch(value) is None:
            raise DatFormatError(_expected(field, value), line=number, field=field.name)
    raise AssertionError("no field explains the bad record")  # pragma: no cover


def _expected(field: Field, value: str) -> str:
    match field.type:
        case FieldType.CONSTANT:
            if field.name == "format_version":
                return f"unsupported format version {value!r}; this parser reads {field.constant}"
            return f"expected {field.constant!r}, found {value!r}"
        case FieldType.TEXT | FieldType.OPTIONAL_TEXT:
            found = _FORBIDDEN_RE.search(value)
            assert found is not None
            return _forbidden_character(found, field.start + found.start())
        case FieldType.CODE:
            return f"unknown code {value.rstrip()!r}; expected one of {', '.join(field.codes)}"
        case FieldType.AMOUNT:
            return f"bad number {value!r}: expected a sign (+ or -) and {field.width - 1} digits"
        case FieldType.FILLER:
            return "the filler must be spaces"
        case _:
            return f"bad number {value!r}: expected {field.width} digits"


def _header_fields(groups: tuple[str, ...] | None, number: int) -> dict[str, object]:
    assert groups is not None
    (
        _,
        _,
        _,
        customer_number,
        customer_name,
        collectivity_number,
        collectivity_name,
        month,
        created,
        _,
    ) = groups
    try:
        created_at = dt.datetime(
            int(created[:4]),
            int(created[4:6]),
            int(created[6:8]),
            int(created[8:10]),
            int(created[10:12]),
            int(created[12:14]),
            tzinfo=dt.UTC,
        )
    except ValueError:
        raise DatFormatError(
            f"{created!r} is not a date and time", line=number, field="created_at"
        ) from None
    return {
        "customer_number": customer_number.rstrip(" "),
        "customer_name": customer_name.rstrip(" "),
        "collectivity_number": collectivity_number.rstrip(" "),
        "collectivity_name": collectivity_name.rstrip(" "),
        "month": _parse_month(month, number, "month"),
        "created_at": created_at,
    }


def _parse_month(value: str, number: int, field: str) -> dt.date:
    try:
        return dt.date(int(value[:4]), int(value[4:]), 1)
    except ValueError:
        raise DatFormatError(
            f"{value!r} is not a month (YYYYMM)", line=number, field=field
        ) from None


def _line(groups: tuple[str, ...], number: int, memo: dict[Any, Any]) -> BorderelLine:
    (
        _,
        kind,
        employee,
        policyholder_policy_number,
        policy_number,
        relation,
        initials,
        first_name,
        prefix,
        last_name,
        birth,
        product_code,
        product_kind,
        product_name,
        period,
        days,
        gross,
        discount,
        premium,
        contribution,
        deduction,
        _,
    ) = groups
    insured_key = groups[4:11]
    insured = memo.get(insured_key)
    if insured is None:
        first_name = first_name.rstrip(" ")
        prefix = prefix.rstrip(" ")
        insured = memo[insured_key] = Insured(
            policy_number=policy_number.rstrip(" "),
            relation=_RELATION_IN[relation],
            initials=initials.rstrip(" "),
            first_name=first_name or None,
            name_prefix=prefix or None,
            last_name=last_name.rstrip(" "),
            birth_date=_parse_date(birth, number),
        )
    period_date = memo.get(period)
    if period_date is None:
        period_date = memo[period] = _parse_month(period, number, "period")
    day_count = int(days)
    if day_count > MAX_DAYS:
        raise DatFormatError(f"{days!r} days is more than {MAX_DAYS}", line=number, field="days")
    employee = employee.rstrip(" ")
    return BorderelLine(
        kind=_KIND_IN[kind],
        employee_number=employee or None,
        insured=insured,
        policyholder_policy_number=policyholder_policy_number.rstrip(" "),
        product_code=product_code.rstrip(" "),
        product_name=product_name.rstrip(" "),
        product_kind=_PRODUCT_KIND_IN[product_kind],
        period=period_date,
        days=day_count,
        gross_premium=_amount(gross, memo),
        discount=_amount(discount, memo),
        premium=_amount(premium, memo),
        employer_contribution=_amount(contribution, memo),
        deduction=_amount(deduction, memo),
    )


def _parse_date(value: str, number: int) -> dt.date:
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise DatFormatError(
            f"{value!r} is not a date (YYYYMMDD)", line=number, field="birth_date"
        ) from None


def _amount(value: str, cache: dict[Any, Any]) -> Decimal:
    amount = cache.get(value)
    if amount is None:
        amount = cache[value] = Decimal(int(value)).scaleb(-2)
    return amount


def _check_trailer(groups: tuple[str, ...], number: int, lines: list[BorderelLine]) -> None:
    record_count, line_count, totals = groups[1], groups[2], groups[3:-1]
    if int(record_count) != number:
        raise DatFormatError(
            f"the trailer counts {int(record_count)} records, the file has {number}",
            line=number,
            field="record_count",
        )
    if int(line_count) != len(lines):
        raise DatFormatError(
            f"the trailer counts {int(line_count)} detail records, the file has {len(lines)}",
            line=number,
            field="line_count",
        )
    zero = Decimal("0.00")
    for name, total in zip(_AMOUNT_FIELDS, totals, strict=True):
        expected = Decimal(int(total)).scaleb(-2)
        actual = sum((getattr(line, name) for line in lines), zero)
        if actual != expected:
            raise DatFormatError(
                f"the control total is {expected}, the detail records add up to {actual}",
                line=number,
                field=f"{name}_total",
            )
