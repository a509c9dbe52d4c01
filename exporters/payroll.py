"""Shared parts of the payroll exporters (E3, E4): per employee two summed components.

The payroll formats (RAET, Raet EMA, Nmbrs, Loket.nl, AFAS Profit) all take, per employee, two values:
the premium to deduct from salary (the sum of ``deduction``) and the employer contribution (the sum
of ``employer_contribution``) of every line of the employee's family. :func:`employee_amounts`
sums them per employee number and booking month in one pass; :func:`employee_number_problems`
refuses what the target cannot take, one problem per family, naming the insured to fix. Nothing
here is specific to one vendor.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from .borderel import Borderel, BorderelLine, Insured, LineKind
from .exporter import Option, Problem

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CENT = Decimal("0.01")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
PRINTABLE = r"[^\x00-\x1f\x7f-\x9f]*"

MISSING_EMPLOYEE_NUMBER = "MISSING_EMPLOYEE_NUMBER"
EMPLOYEE_NUMBER_INVALID = "EMPLOYEE_NUMBER_INVALID"
EMPLOYEE_NUMBER_SHARED = "EMPLOYEE_NUMBER_SHARED"
OPTION_NOT_ENCODABLE = "OPTION_NOT_ENCODABLE"
VALUE_OUT_OF_RANGE = "VALUE_OUT_OF_RANGE"

# Placeholders, like RAET's: every payroll system has its own codes, the employer sets theirs.
DEDUCTION_CODE = "PREMIE_ZKV_INH"
CONTRIBUTION_CODE = "WG_BIJDRAGE_ZKV"
# What the two components are called in the Dutch column titles and descriptions of the files.
DEDUCTION_TITLE = "Inhouding premie zorgverzekering"
CONTRIBUTION_TITLE = "Werkgeversbijdrage zorgverzekering"
# One character of a text field in the semicolon CSV formats: no separator, quote or control.
SEMICOLON_CSV_CHARACTER = r"[^;\"\x00-\x1f\x7f-\x9f]"


def corrections_option(default: str) -> Option:
    return Option.choice(
        "corrections",
        "Where correction lines are booked: 'borderel_month' = summed with the borderel's own "
        "month, 'period' = in the month they correct (one value per employee and month).",
        choices=("borderel_month", "period"),
        default=default,
    )


def decimal_separator_option(default: str = ",") -> Option:
    return Option.choice(
        "decimal_separator",
        "Decimal separator of amounts.",
        choices=(",", "."),
        default=default,
    )


def csv_encoding_option(default: str) -> Option:
    return Option.choice(
        "encoding",
        "Character encoding ('utf-8-sig' = UTF-8 with a byte order mark).",
        choices=("utf-8", "utf-8-sig", "cp1252"),
        default=default,
    )


def zero_amounts_option() -> Option:
    return Option.boolean("zero_amounts", "Also write values of 0.00.", default=False)


@dataclasses.dataclass(slots=True)
class EmployeeAmounts:
    """The two components of one employee for one booking month (``start``, a first day)."""

    number: str
    start: dt.date
    insured: Insured  # the policyholder when billed, else the family's first billed member
    policy_number: str  # the policyholder's
    deduction: Decimal
    contribution: Decimal


def employee_number(line: BorderelLine) -> str | None:
    number = (line.employee_number or "").strip()
    return number or None


def employee_amounts(
    borderel: Borderel, *, corrections_in_period: bool, regular_in_period: bool | None = None
) -> list[EmployeeAmounts]:
    """Summed components per employee number and booking month, ordered by number then month.

    Correction lines are booked in the borderel's month, or with ``corrections_in_period`` in the
    month they correct (``period``). Regular lines are booked where the corrections are, unless
    ``regular_in_period`` says otherwise (True: in their own ``period``, as RAET does). A regular
    line's period is the borderel's month, so this matters only for a borderel breaking that rule.
    Lines without an employee number are skipped: ``employee_number_problems`` refuses them first.
    """
    month = borderel.month
    if regular_in_period is None:
        regular_in_period = corrections_in_period
    by_kind = regular_in_period != corrections_in_period
    in_period = corrections_in_period
    sums: dict[tuple[str, dt.date], EmployeeAmounts] = {}
    for line in borderel.lines:
        number = line.employee_number
        if number is None or not (number := number.strip()):
            continue
        if by_kind:
            in_period = (
                corrections_in_period if line.kind is LineKind.CORRECTION else regular_in_period
            )
        start = line.period if in_period else month
        key = (number, start)
        found = sums.get(key)
        if found is None:
            sums[key] = EmployeeAmounts(
                number,
                start,
                line.insured,
                line.policyholder_policy_number,
                line.deduction,
                line.employer_contribution,
            )
        else:
            found.deduction += line.deduction
            found.contribution += line.employer_contribution
            if (
                line.insured.policy_number == line.policyholder_policy_number
                and found.insured.policy_number != found.policy_number
            ):
                found.insured = line.insured
    return [sums[key] for key in sorted(sums, key=_order)]


def employee_number_problems(
    borderel: Borderel, invalid: Callable[[str], str | None]
) -> list[Problem]:
    """Missing (one per family), invalid (``invalid`` gives the reason) and shared numbers."""
    found: list[Problem] = []
    missing: dict[str, list[BorderelLine]] = {}
    families_of: dict[str, dict[str, BorderelLine]] = {}
    for line in borderel.lines:
        number = employee_number(line)
        if number is None:
            missing.setdefault(line.policyholder_policy_number, []).append(line)
        else:
            families_of.setdefault(number, {}).setdefault(line.policyholder_policy_number, line)
    for policy_number, lines in missing.items():
        line = policyholder_line(lines)
        found.append(
            Problem(
                code=MISSING_EMPLOYEE_NUMBER,
                message=f"{line.insured.display_name} (policy {policy_number}) has no employee number",
                insured=line.insured,
                policy_number=policy_number,
            )
        )
    for number, families in families_of.items():
        line = next(iter(families.values()))
        reason = invalid(number)
        if reason:
            found.append(
                Problem(
                    code=EMPLOYEE_NUMBER_INVALID,
                    message=f"Employee number {number!r} of {line.insured.display_name} "
                    f"(policy {line.policyholder_policy_number}) {reason}",
                    insured=line.insured,
                    policy_number=line.policyholder_policy_number,
                )
            )
        if len(families) > 1:
            for policy_number, line in families.items():
                found.append(
                    Problem(
                        code=EMPLOYEE_NUMBER_SHARED,
                        message=f"Employee number {number!r} is used by the policies "
                        f"{', '.join(families)}; {line.insured.display_name} "
                        f"(policy {policy_number}) needs their own",
                        insured=line.insured,
                        policy_number=policy_number,
                    )
                )
    return found


def text_problems(
    borderel: Borderel,
    options: Mapping[str, Any],
    option_names: Iterable[str],
    *,
    max_length: int | None = None,
    forbidden: str = "",
) -> list[Problem]:
    """The text options named, then the employee numbers (at most ``max_length`` characters,
    none of ``forbidden``), each checked against the file's encoding, ``options["encoding"]``."""
    encoding = options["encoding"]
    return option_problems(options, option_names, encoding) + employee_number_problems(
        borderel, text_check(encoding, max_length=max_length, forbidden=forbidden)
    )


def text_check(
    encoding: str, *, max_length: int | None = None, forbidden: str = ""
) -> Callable[[str], str | None]:
    """A check of an employee number: length, control characters, separators, encoding."""

    def invalid(number: str) -> str | None:
        if max_length is not None and len(number) > max_length:
            return f"is longer than {max_length} characters ({len(number)})"
        if CONTROL.search(number):
            return "contains control characters"
        for character in forbidden:
            if character in number:
                return f"contains {character!r}, the file's separator"
        if not encodable(number, encoding):
            return f"cannot be written in {encoding}"
        return None

    return invalid


def option_problems(
    options: Mapping[str, Any], names: Iterable[str], encoding: str, forbidden: str = ""
) -> list[Problem]:
    """Text options that cannot be written in ``encoding`` or contain a separator."""
    found: list[Problem] = []
    for name in names:
        value = options[name]
        if not encodable(value, encoding):
            found.append(
                Problem(
                    code=OPTION_NOT_ENCODABLE,
                    message=f"Option {name} {value!r} cannot be written in {encoding}",
                )
            )
        elif any(character in value for character in forbidden):
            found.append(
                Problem(
                    code=OPTION_NOT_ENCODABLE,
                    message=f"Option {name} {value!r} contains the file's separator",
                )
            )
    return found


def range_problems(amounts: Iterable[EmployeeAmounts], limit: Decimal, what: str) -> list[Problem]:
    """One problem per employee whose summed component does not fit ``-limit … limit``."""
    found: list[Problem] = []
    seen: set[str] = set()
    for row in amounts:
        for amount in (row.deduction, row.contribution):
            if abs(amount) > limit and row.number not in seen:
                seen.add(row.number)
                found.append(
                    Problem(
                        code=VALUE_OUT_OF_RANGE,
                        message=f"Employee {row.number} ({row.insured.display_name}, policy "
                        f"{row.policy_number}): {money(amount, '.')} for {row.start:%Y-%m} "
                        f"does not fit {what}",
                        insured=row.insured,
                        policy_number=row.policy_number,
                    )
                )
    return found


def value_cells(row: EmployeeAmounts, separator: str, zero_amounts: bool) -> tuple[str, str] | None:
    """The deduction and contribution cells of a sheet row: a zero is an empty cell, and a row
    of two zeros is left out (``None``), unless ``zero_amounts``."""
    deduction, contribution = row.deduction, row.contribution
    if zero_amounts:
        return money(deduction, separator), money(contribution, separator)
    if not (deduction or contribution):
        return None
    return (
        money(deduction, separator) if deduction else "",
        money(contribution, separator) if contribution else "",
    )


def money(amount: Decimal, separator: str) -> str:
    """Two decimals, a leading minus, ``separator`` as decimal mark (``-0.00`` is ``0.00``)."""
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    text = f"{amount:f}" if amount else "0.00"
    return text if separator == "." else text.replace(".", separator)


def csv_text(rows: Iterable[Sequence[str]], delimiter: str) -> str:
    """RFC 4180 CSV with CRLF: a field is quoted only when it holds the delimiter, a quote or a
    line break (names can; codes and numbers cannot, ``problems`` sees to that)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def write_text(stream: BinaryIO, text: str, encoding: str) -> None:
    """``text`` in ``encoding``; characters it cannot hold become ``?``. Only names can have
    them: ``problems`` refuses employee numbers and options that cannot be written."""
    stream.write(text.encode(encoding, errors="replace"))


def policyholder_line(lines: list[BorderelLine]) -> BorderelLine:
    for line in lines:
        if line.insured.policy_number == line.policyholder_policy_number:
            return line
    return lines[0]


def encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def amsterdam_time(moment: dt.datetime) -> dt.datetime:
    """``moment`` on the clock in Amsterdam (aware)."""
    if moment.tzinfo is None:  # the model's timestamps are aware; a naive one is taken as UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(AMSTERDAM)


def amsterdam_date(moment: dt.datetime) -> dt.date:
    return amsterdam_time(moment).date()


def _order(key: tuple[str, dt.date]) -> tuple[int, int, str, dt.date]:
    number, start = key
    if number.isascii() and number.isdigit():
        return (0, int(number), number, start)
    return (1, 0, number, start)
