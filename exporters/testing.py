"""The vendor kit (E5): sample borderels and a conformance check for any exporter.

With pytest, subclass :class:`ExporterConformance` in your test module::

    from exporters.testing import ExporterConformance
    from acme_exporter import AcmeExporter

    class TestAcmeConformance(ExporterConformance):
        exporter = AcmeExporter()
        options = {"company": "ACME01"}   # values for required options (others use defaults)
        plugin_name = "acme"              # optional: also check the entry point loads it

Without pytest, ``check_exporter(exporter, options)`` runs the same checks and raises
``AssertionError`` at the first failure. The samples (:data:`SAMPLES`) are deterministic builders
of :class:`~exporters.borderel.Borderel`; :func:`line` and :func:`person` build your own.

What is checked: the declarations (name, title, extension, media type, options with valid defaults);
unknown options are refused; every sample either gets problems (a list of ``Problem``, never an
exception) or is written as bytes to the stream, without closing it; the same input gives the same
bytes; the empty borderel is handled; the exporter also runs through ``run_export`` (in a thread).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from .borderel import (
    Borderel,
    BorderelLine,
    Insured,
    LineKind,
    ProductKind,
    Relation,
)
from .exporter import Exporter, InvalidOptions, Problem, describe_exporter, validate_options
from .registry import load_exporters
from .running import run_export

MONTH = dt.date(2026, 12, 1)
# 23:30 UTC on 30 November is already 1 December in Amsterdam: exporters that print a creation
# date must convert (SPEC §3), and the kit's expectations in our own tests rely on it.
CREATED_AT = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)

_PRODUCTS = {
    ProductKind.BASIC: ("ZB", "Zorg Basis"),
    ProductKind.SUPPLEMENTARY: ("AV2", "Aanvullend 2"),
    ProductKind.DENTAL: ("TV1", "Tand 1"),
}


def person(
    policy_number: str,
    last_name: str,
    *,
    initials: str = "J.",
    first_name: str | None = "Jan",
    name_prefix: str | None = None,
    relation: Relation = Relation.POLICYHOLDER,
    birth_date: dt.date = dt.date(1980, 5, 17),
) -> Insured:
    return Insured(
        policy_number=policy_number,
        relation=relation,
        initials=initials,
        first_name=first_name,
        name_prefix=name_prefix,
        last_name=last_name,
        birth_date=birth_date,
    )


def line(
    insured: Insured,
    *,
    employee_number: str | None,
    premium: str | Decimal,
    employer_contribution: str | Decimal = "0.00",
    discount: str | Decimal = "0.00",
    period: dt.date = MONTH,
    kind: LineKind | None = None,
    product: ProductKind = ProductKind.BASIC,
    policyholder_policy_number: str | None = None,
    days: int | None = None,
) -> BorderelLine:
    """A line with consistent amounts: gross = premium + discount, deduction = premium − contribution."""
    premium, contribution, discount = (
        Decimal(premium),
        Decimal(employer_contribution),
        Decimal(discount),
    )
    code, name = _PRODUCTS[product]
    return BorderelLine(
        kind=kind or (LineKind.REGULAR if period == MONTH else LineKind.CORRECTION),
        employee_number=employee_number,
        insured=insured,
        policyholder_policy_number=policyholder_policy_number or insured.policy_number,
        product_code=code,
        product_name=name,
        product_kind=product,
        period=period,
        days=_days_in(period) if days is None else days,
        gross_premium=premium + discount,
        discount=discount,
        premium=premium,
        employer_contribution=contribution,
        deduction=premium - contribution,
    )


def borderel(*lines: BorderelLine, month: dt.date = MONTH) -> Borderel:
    return Borderel(
        customer_number="100200",
        customer_name="Bakkerij De Gouden Korenschoof B.V.",
        collectivity_number="20001",
        collectivity_name="Personeel Bakkerij",
        month=month,
        created_at=CREATED_AT,
        lines=tuple(lines),
    )


def empty_borderel() -> Borderel:
    """A month without anyone to bill."""
    return borderel()


def standard_borderel() -> Borderel:
    """Two families and a single employee; regular lines with discount and employer contribution."""
    jan = person("110000001", "Dijk", name_prefix="van")
    anna = person(
        "110000011",
        "Dijk",
        initials="A.M.",
        first_name="Anna",
        name_prefix="van",
        relation=Relation.PARTNER,
        birth_date=dt.date(1982, 2, 3),
    )
    kees = person(
        "110000021",
        "Dijk",
        initials="K.",
        first_name="Kees",
        name_prefix="van",
        relation=Relation.CHILD,
        birth_date=dt.date(2015, 9, 1),
    )
    fatima = person("110000002", "El Amrani", initials="F.", first_name="Fatima")
    piet = person("110000003", "Jansen", initials="P.", first_name="Piet")
    return borderel(
        line(jan, employee_number="1001", premium="152.50", employer_contribution="15.25"),
        line(
            jan,
            employee_number="1001",
            premium="27.00",
            discount="3.00",
            product=ProductKind.SUPPLEMENTARY,
        ),
        line(
            anna, employee_number="1001", premium="152.50", policyholder_policy_number="110000001"
        ),
        line(kees, employee_number="1001", premium="0.00", policyholder_policy_number="110000001"),
        line(fatima, employee_number="1002", premium="152.50", employer_contribution="15.25"),
        line(
            fatima,
            employee_number="1002",
            premium="13.50",
            discount="1.50",
            product=ProductKind.DENTAL,
        ),
        line(piet, employee_number="980", premium="76.25", employer_contribution="7.63", days=15),
    )


def negative_corrections_borderel() -> Borderel:
    """Corrections for earlier months, negative (a back-dated end) and positive, next to regular lines."""
    jan = person("120000001", "Bakker", initials="J.")
    els = person("120000002", "Visser", initials="E.", first_name="Els")
    return borderel(
        line(jan, employee_number="2001", premium="152.50", employer_contribution="15.25"),
        line(
            jan,
            employee_number="2001",
            premium="-152.50",
            employer_contribution="-15.25",
            period=dt.date(2026, 10, 1),
        ),
        line(
            jan,
            employee_number="2001",
            premium="-76.25",
            employer_contribution="-7.63",
            period=dt.date(2026, 11, 1),
            days=15,
        ),
        line(
            els,
            employee_number="2002",
            premium="-27.00",
            discount="-3.00",
            product=ProductKind.SUPPLEMENTARY,
            period=dt.date(2026, 11, 1),
        ),
        line(
            els,
            employee_number="2002",
            premium="12.34",
            period=dt.date(2026, 11, 1),
            kind=LineKind.CORRECTION,
        ),
    )


def non_ascii_borderel() -> Borderel:
    """Names beyond ASCII (and beyond Windows-1252: ``ễ``, ``ł``, ``ś``) for exporters that print names."""
    return borderel(
        line(
            person("130000001", "Çelik", initials="Ö.", first_name="Özlem"),
            employee_number="3001",
            premium="152.50",
        ),
        line(
            person("130000002", "Nguyễn", initials="T.", first_name="Thị"),
            employee_number="3002",
            premium="152.50",
        ),
        line(
            person("130000003", "Wiśniewski", initials="Ł.", first_name="Łukasz"),
            employee_number="3003",
            premium="152.50",
        ),
        line(
            person("130000004", "Ancona", initials="Z.", first_name="Zoë", name_prefix="d'"),
            employee_number="3004",
            premium="152.50",
        ),
        line(
            person("130000005", "Groß-Ñúñez", initials="J.", first_name="Jürgen"),
            employee_number="3005",
            premium="152.50",
        ),
    )


def sparse_borderel() -> Borderel:
    """Optional data missing: no first name, no name prefix, no initials."""
    return borderel(
        line(
            person("140000001", "Smit", initials="", first_name=None),
            employee_number="4001",
            premium="152.50",
        ),
        line(
            person("140000002", "Mulder", first_name=None, name_prefix=None),
            employee_number="4002",
            premium="152.50",
            employer_contribution="152.50",
        ),
    )


def missing_employee_numbers_borderel() -> Borderel:
    """Two families without employee numbers (one only through its co-insured), one with."""
    holder = person("150000001", "Vos", initials="M.", first_name="Mark")
    partner = person(
        "150000002",
        "Boer",
        name_prefix="de",
        initials="L.",
        first_name="Lisa",
        relation=Relation.PARTNER,
    )
    return borderel(
        line(holder, employee_number=None, premium="152.50"),
        line(partner, employee_number="", premium="152.50", policyholder_policy_number="150000009"),
        line(person("150000003", "Kok", initials="R."), employee_number="5003", premium="152.50"),
    )


def large_borderel(families: int = 2000) -> Borderel:
    """``families`` policyholders with a partner and a correction each: about 4 lines per family."""
    lines: list[BorderelLine] = []
    for n in range(families):
        policy = f"{160000000 + n:09d}"
        number = str(10000 + n)
        holder = person(policy, f"Achternaam{n}", initials="A.")
        partner = person(
            f"{170000000 + n:09d}", f"Partner{n}", initials="B.", relation=Relation.PARTNER
        )
        cents = Decimal(n % 97) / 100
        lines += [
            line(
                holder,
                employee_number=number,
                premium=Decimal("152.50") + cents,
                employer_contribution="15.25",
            ),
            line(
                holder,
                employee_number=number,
                premium="27.00",
                discount="3.00",
                product=ProductKind.SUPPLEMENTARY,
            ),
            line(
                partner, employee_number=number, premium="152.50", policyholder_policy_number=policy
            ),
            line(
                holder,
                employee_number=number,
                premium=-cents - Decimal("1.00"),
                period=dt.date(2026, 10 + n % 2, 1),
            ),
        ]
    return borderel(*lines)


SAMPLES: Mapping[str, Callable[[], Borderel]] = {
    "empty": empty_borderel,
    "standard": standard_borderel,
    "negative_corrections": negative_corrections_borderel,
    "non_ascii": non_ascii_borderel,
    "sparse": sparse_borderel,
    "missing_employee_numbers": missing_employee_numbers_borderel,
    "large": large_borderel,
}


def _days_in(month: dt.date) -> int:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (following - month).days


# ---- the checks --------------------------------------------------------------------------------


def check_declarations(exporter: Exporter) -> None:
    faults = describe_exporter(exporter)
    assert not faults, f"exporter declarations: {'; '.join(faults)}"


def check_options(exporter: Exporter, options: Mapping[str, object]) -> dict[str, Any]:
    """The given options (plus defaults) validate, and an unknown option is refused."""
    try:
        resolved = validate_options(exporter, options)
    except InvalidOptions as error:
        raise AssertionError(f"the defaults with {dict(options)} are not valid: {error}") from None
    try:
        validate_options(exporter, {**options, "no_such_option_xyz": "1"})
    except InvalidOptions:
        pass
    else:
        raise AssertionError("validate_options accepted an unknown option")
    return resolved


def export_sample(
    exporter: Exporter, sample: Borderel, options: Mapping[str, Any], *, label: str = "sample"
) -> tuple[list[Problem], bytes | None]:
    """Problems, or the written bytes, for one borderel, asserting the exporter behaves."""
    try:
        problems = exporter.problems(sample, options)
    except Exception as error:
        raise AssertionError(
            f"problems() raised {type(error).__name__}: {error} on the {label} borderel; "
            "report a Problem instead"
        ) from error
    assert isinstance(problems, list), f"problems() returned {type(problems).__name__}, not a list"
    for problem in problems:
        assert isinstance(problem, Problem), f"problems() returned {problem!r}, not a Problem"
        assert problem.code, f"problem {problem!r} has no code"
        assert problem.code == problem.code.upper(), (
            f"problem code {problem.code!r} is not upper case"
        )
        assert problem.message, f"problem {problem.code} has no message"
    if problems:
        return problems, None
    stream = io.BytesIO()
    try:
        exporter.write(sample, options, stream)
    except Exception as error:
        raise AssertionError(
            f"write() raised {type(error).__name__}: {error} on the {label} borderel; "
            "what stops an export belongs in problems()"
        ) from error
    assert not stream.closed, "write() closed the stream it was given"
    return [], stream.getvalue()


def check_sample(
    exporter: Exporter, name: str, options: Mapping[str, Any]
) -> tuple[list[Problem], bytes | None]:
    """One sample: problems or bytes, and the same bytes again from a fresh copy of the input."""
    problems, content = export_sample(exporter, SAMPLES[name](), options, label=name)
    again = export_sample(exporter, SAMPLES[name](), options, label=name)
    assert again == (problems, content), (
        f"the {name} borderel gave different output the second time: output must be deterministic"
        " (no current time, random values or set ordering)"
    )
    return problems, content


def check_run_export(exporter: Exporter, options: Mapping[str, object]) -> None:
    """The exporter also works through ``run_export`` (in a thread, with a time limit)."""
    result = asyncio.run(run_export(exporter, standard_borderel(), options, timeout=60))
    expected = export_sample(exporter, standard_borderel(), validate_options(exporter, options))
    assert (list(result.problems), result.content) == expected, (
        "run_export gave another result than calling the exporter directly"
    )


def check_plugin(plugin_name: str, exporter_name: str) -> None:
    """Plugin ``plugin_name`` (an entry point, or a built-in module) loads and offers the exporter."""
    registry = load_exporters(allow={plugin_name})
    failures = [str(failure) for failure in registry.failures if failure.plugin == plugin_name]
    assert not failures, f"loading the plugin failed: {failures}"
    assert registry.providers.get(exporter_name) == plugin_name, (
        f"plugin {plugin_name!r} does not provide an exporter {exporter_name!r}; "
        f"loaded: {dict(registry.providers)}"
    )


def check_exporter(
    exporter: Exporter,
    options: Mapping[str, object] | None = None,
    *,
    plugin_name: str | None = None,
) -> None:
    """Every check of the kit; ``AssertionError`` at the first failure."""
    options = options or {}
    check_declarations(exporter)
    resolved = check_options(exporter, options)
    for name in SAMPLES:
        check_sample(exporter, name, resolved)
    check_run_export(exporter, options)
    if plugin_name is not None:
        check_plugin(plugin_name, exporter.name)


class ExporterConformance:
    """Subclass as ``Test…`` with ``exporter`` (and ``options``, ``plugin_name``) set; see above."""

    exporter: ClassVar[Exporter]
    options: ClassVar[Mapping[str, object]] = {}
    plugin_name: ClassVar[str | None] = None

    def _resolved(self) -> dict[str, Any]:
        return validate_options(self.exporter, self.options)

    def test_declarations(self) -> None:
        check_declarations(self.exporter)

    def test_options(self) -> None:
        check_options(self.exporter, self.options)

    @pytest.mark.parametrize("sample", list(SAMPLES))
    def test_sample(self, sample: str) -> None:
        check_sample(self.exporter, sample, self._resolved())

    def test_empty_borderel(self) -> None:
        problems, content = check_sample(self.exporter, "empty", self._resolved())
        assert problems or content is not None

    def test_runs_in_a_thread(self) -> None:
        check_run_export(self.exporter, self.options)

    def test_plugin_loads(self) -> None:
        if self.plugin_name is None:
            pytest.skip("plugin_name not set")
        check_plugin(self.plugin_name, self.exporter.name)


__all__ = [
    "CREATED_AT",
    "MONTH",
    "SAMPLES",
    "ExporterConformance",
    "borderel",
    "check_declarations",
    "check_exporter",
    "check_options",
    "check_plugin",
    "check_run_export",
    "check_sample",
    "empty_borderel",
    "export_sample",
    "large_borderel",
    "line",
    "missing_employee_numbers_borderel",
    "negative_corrections_borderel",
    "non_ascii_borderel",
    "person",
    "sparse_borderel",
    "standard_borderel",
]
