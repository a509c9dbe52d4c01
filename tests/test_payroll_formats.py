"""The E4 formats: Raet EMA, Nmbrs, Loket.nl, AFAS Profit, generic CSV and Excel.

Exact output for the hand-worked borderel of docs/formats/raet.md (December 2026: employee 42 with
a November correction, 7 whose employer pays everything, A-13), refusals, options, the vendor kit
(E5) on each, and the committed samples in docs/formats/samples/ (COLLECTIEF_UPDATE_SAMPLES=1
rewrites them; a stale sample or doc fails). Pure tests: no database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from exporters.afas import AfasExporter
from exporters.borderel import Borderel, LineKind
from exporters.excel import ExcelExporter
from exporters.exporter import Exporter, InvalidOptions, validate_options
from exporters.generic_csv import COLUMNS, GenericCsvExporter
from exporters.loket import LoketExporter
from exporters.nmbrs import NmbrsExporter
from exporters.raet_ema import RaetEmaExporter
from exporters.registry import load_exporters
from exporters.testing import (
    ExporterConformance,
    borderel,
    line,
    missing_employee_numbers_borderel,
    person,
)

from .test_raet import hand_worked

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ROOT / "docs" / "formats"
NOVEMBER = dt.date(2026, 11, 1)
EMA = {"company": "ABC123"}


def export(exporter: Exporter, source: Borderel, **options: Any) -> bytes:
    resolved = validate_options(exporter, options)
    assert exporter.problems(source, resolved) == []
    stream = io.BytesIO()
    exporter.write(source, resolved, stream)
    return stream.getvalue()


def problems(exporter: Exporter, source: Borderel, **options: Any) -> list[tuple[str, str | None]]:
    found = exporter.problems(source, validate_options(exporter, options))
    return [(p.code, p.policy_number) for p in found]


def crlf(*rows: str) -> bytes:
    return "".join(f"{row}\r\n" for row in rows).encode("ascii")


# ---- Raet EMA ----------------------------------------------------------------------------------


def test_ema_hand_worked_corrections_in_the_borderel_month() -> None:
    assert export(RaetEmaExporter(), hand_worked(), **EMA) == crlf(
        "ABC123;20261201;20261201;1",
        "7;WG_BIJDRAGE_ZKV;20261201;100,00",
        "42;PREMIE_ZKV_INH;20261201;250,00",  # 305.00 − 55.00
        "42;WG_BIJDRAGE_ZKV;20261201;10,00",  # 15.00 − 5.00
        "A-13;PREMIE_ZKV_INH;20261201;76,25",
    )


def test_ema_corrections_in_their_month_are_added() -> None:
    content = export(
        RaetEmaExporter(),
        hand_worked(),
        **EMA,
        replace="2",
        corrections="period",
        decimal_separator=".",
        deduction_wage_type="8100",
        contribution_wage_type="8101",
    )
    assert content == crlf(
        "ABC123;20261201;20261101;2",
        "7;8101;20261201;100.00",
        "42;8100;20261101;-55.00",
        "42;8101;20261101;-5.00",
        "42;8100;20261201;305.00",
        "42;8101;20261201;15.00",
        "A-13;8100;20261201;76.25",
    )


def test_ema_zero_amounts_and_encoding() -> None:
    content = export(RaetEmaExporter(), hand_worked(), **EMA, zero_amounts=True)
    assert b"7;PREMIE_ZKV_INH;20261201;0,00\r\n" in content
    assert b"A-13;WG_BIJDRAGE_ZKV;20261201;0,00\r\n" in content
    source = borderel(line(person("1", "Ørsted"), employee_number="Ø12", premium="1.00"))
    assert b"\xd812;" in export(RaetEmaExporter(), source, **EMA)  # cp1252 by default
    assert b"\xc3\x9812;" in export(RaetEmaExporter(), source, **EMA, encoding="utf-8")


def test_ema_refuses_what_does_not_fit() -> None:
    eva, tom = person("200000001", "Berg", initials="E."), person("200000002", "Kok")
    source = borderel(
        line(eva, employee_number="123456789", premium="1.00"),  # 9 > 8 characters
        line(tom, employee_number="12;3", premium="1.00"),
        line(person("200000003", "Vos"), employee_number="9", premium="100000.00"),
    )
    exporter = RaetEmaExporter()
    found = exporter.problems(source, validate_options(exporter, EMA))
    assert [(p.code, p.policy_number) for p in found] == [
        ("EMPLOYEE_NUMBER_INVALID", "200000001"),
        ("EMPLOYEE_NUMBER_INVALID", "200000002"),
    ]
    assert "is longer than 8 characters (9)" in found[0].message
    assert "contains ';'" in found[1].message
    # Once the numbers are right, the 5.2 value field is checked (after summing the components).
    fits = borderel(
        line(person("200000003", "Vos"), employee_number="9", premium="99999.99"),
        line(person("200000004", "Bos"), employee_number="10", premium="60000.00"),
        line(person("200000004", "Bos"), employee_number="10", premium="40000.00"),
    )
    found = exporter.problems(fits, validate_options(exporter, EMA))
    assert [(p.code, p.policy_number) for p in found] == [("VALUE_OUT_OF_RANGE", "200000004")]
    assert found[0].message == (
        "Employee 10 (J. Bos, policy 200000004): 100000.00 for 2026-12 does not fit "
        "EMA's value field (5 digits, 2 decimals)"
    )
    assert [
        p.code
        for p in exporter.problems(fits, validate_options(exporter, {**EMA, "value_digits": 3}))
    ] == [
        "VALUE_OUT_OF_RANGE",
        "VALUE_OUT_OF_RANGE",
    ]


def test_ema_refuses_corrections_in_their_month_that_would_replace() -> None:
    assert problems(RaetEmaExporter(), hand_worked(), **EMA, corrections="period") == [
        ("CORRECTIONS_NEED_ADD", None)
    ]
    regular_only = dataclasses.replace(
        hand_worked(), lines=tuple(x for x in hand_worked().lines if x.kind is LineKind.REGULAR)
    )
    assert problems(RaetEmaExporter(), regular_only, **EMA, corrections="period") == []


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({}, "'company': required"),
        ({"company": "ABCDEFG"}, "'company': does not match"),
        ({"company": "A;B"}, "'company': does not match"),
        ({**EMA, "replace": "3"}, "'replace': must be one of 1, 2"),
        ({**EMA, "value_digits": 0}, "'value_digits': must be at least 1"),
    ],
)
def test_ema_invalid_options(raw: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidOptions, match=f"^Exporter 'raet-ema', option {reason}"):
        validate_options(RaetEmaExporter(), raw)


# ---- Nmbrs -------------------------------------------------------------------------------------

NMBRS_HEAD = (
    "Debiteurnr;Bedrijfnr;Persnr;Naam;Periode;Dagen;DagenVoorLC;"
    "Inhouding premie zorgverzekering;Werkgeversbijdrage zorgverzekering"
)


def test_nmbrs_hand_worked() -> None:
    assert export(NmbrsExporter(), hand_worked()) == crlf(
        NMBRS_HEAD,
        ";;;;;;;PREMIE_ZKV_INH;WG_BIJDRAGE_ZKV",
        ";;7;S. Yilmaz;2026-12;;;;100,00",
        ";;42;E. van den Berg;2026-12;;;250,00;10,00",
        ";;A-13;A. Lovelace;2026-12;;;76,25;",
    )


def test_nmbrs_options_and_corrections_in_their_period() -> None:
    content = export(
        NmbrsExporter(),
        hand_worked(),
        debtor_number="D100",
        company_number="2",
        deduction_code="L5100",
        contribution_code="L5101",
        corrections="period",
        decimal_separator=".",
        zero_amounts=True,
    )
    assert content == crlf(
        NMBRS_HEAD,
        ";;;;;;;L5100;L5101",
        "D100;2;7;S. Yilmaz;2026-12;;;0.00;100.00",
        "D100;2;42;E. van den Berg;2026-11;;;-55.00;-5.00",
        "D100;2;42;E. van den Berg;2026-12;;;305.00;15.00",
        "D100;2;A-13;A. Lovelace;2026-12;;;76.25;0.00",
    )


def test_nmbrs_names_are_quoted_or_replaced_never_refused() -> None:
    source = borderel(
        line(person("1", "Nguyễn; Thị", initials="T."), employee_number="5", premium="1.00")
    )
    assert b';;5;"T. Nguy\xe1\xbb\x85n; Th\xe1\xbb\x8b";' in export(NmbrsExporter(), source)
    assert b';;5;"T. Nguy?n; Th?";' in export(NmbrsExporter(), source, encoding="cp1252")
    assert export(NmbrsExporter(), source, encoding="utf-8-sig").startswith(
        b"\xef\xbb\xbfDebiteurnr"
    )


# ---- Loket.nl ----------------------------------------------------------------------------------


def test_loket_hand_worked() -> None:
    assert export(LoketExporter(), hand_worked(), employer_number="12345") == crlf(
        "Variabele gegevens;Bakkerij De Gouden Korenschoof B.V.;;;;;",
        "Werkgever;12345;;;;;",
        "Periode;2026-12;;;;;",
        ";;;;;Inhouding premie zorgverzekering;Werkgeversbijdrage zorgverzekering",
        "Werkgever;Werknemer;Naam;Dienstverband;Periode;PREMIE_ZKV_INH;WG_BIJDRAGE_ZKV",
        "12345;7;S. Yilmaz;1;2026-12;;100,00",
        "12345;42;E. van den Berg;1;2026-12;250,00;10,00",
        "12345;A-13;A. Lovelace;1;2026-12;76,25;",
    )


def test_loket_component_numbers_in_row_five_from_column_f() -> None:
    content = export(
        LoketExporter(),
        hand_worked(),
        deduction_component="8010",
        contribution_component="8011",
        employment="2",
    )
    rows = [row.split(";") for row in content.decode("cp1252").split("\r\n")[:-1]]
    assert {len(row) for row in rows} == {7}
    assert rows[4][5:] == ["8010", "8011"]
    assert [row[3] for row in rows[5:]] == ["2", "2", "2"]


# ---- AFAS Profit -------------------------------------------------------------------------------

AFAS_HEAD = "Werkgever;Medewerker;Naam;Dienstverband;Looncomponent;Jaar;Periode;Bedrag;Omschrijving"


def test_afas_hand_worked() -> None:
    assert export(AfasExporter(), hand_worked(), employer="BAKKERIJ") == crlf(
        AFAS_HEAD,
        "BAKKERIJ;7;S. Yilmaz;1;WG_BIJDRAGE_ZKV;2026;12;100,00;Werkgeversbijdrage zorgverzekering 2026-12",
        "BAKKERIJ;42;E. van den Berg;1;PREMIE_ZKV_INH;2026;12;250,00;Inhouding premie zorgverzekering 2026-12",
        "BAKKERIJ;42;E. van den Berg;1;WG_BIJDRAGE_ZKV;2026;12;10,00;Werkgeversbijdrage zorgverzekering 2026-12",
        "BAKKERIJ;A-13;A. Lovelace;1;PREMIE_ZKV_INH;2026;12;76,25;Inhouding premie zorgverzekering 2026-12",
    )


def test_afas_comma_separated_with_corrections_in_their_period() -> None:
    content = export(
        AfasExporter(), hand_worked(), delimiter=",", decimal_separator=".", corrections="period"
    )
    rows = content.decode().split("\r\n")
    assert rows[0] == AFAS_HEAD.replace(";", ",")
    assert rows[2:4] == [
        ",42,E. van den Berg,1,PREMIE_ZKV_INH,2026,11,-55.00,Inhouding premie zorgverzekering 2026-11",
        ",42,E. van den Berg,1,WG_BIJDRAGE_ZKV,2026,11,-5.00,Werkgeversbijdrage zorgverzekering 2026-11",
    ]
    # A decimal comma in a comma-separated file is quoted (RFC 4180).
    quoted = export(AfasExporter(), hand_worked(), delimiter=",").decode().split("\r\n")
    assert (
        quoted[1]
        == ',7,S. Yilmaz,1,WG_BIJDRAGE_ZKV,2026,12,"100,00",Werkgeversbijdrage zorgverzekering 2026-12'
    )


# ---- refusals shared by the payroll formats ----------------------------------------------------

PAYROLL = [
    pytest.param(RaetEmaExporter(), EMA, id="raet-ema"),
    pytest.param(NmbrsExporter(), {}, id="nmbrs"),
    pytest.param(LoketExporter(), {}, id="loket"),
    pytest.param(AfasExporter(), {}, id="afas"),
]


@pytest.mark.parametrize(("exporter", "options"), PAYROLL)
def test_missing_employee_numbers_are_refused_with_the_insured_to_fix(
    exporter: Exporter, options: dict[str, object]
) -> None:
    found = exporter.problems(
        missing_employee_numbers_borderel(), validate_options(exporter, options)
    )
    assert [(p.code, p.policy_number, p.insured and p.insured.display_name) for p in found] == [
        ("MISSING_EMPLOYEE_NUMBER", "150000001", "M. Vos"),
        ("MISSING_EMPLOYEE_NUMBER", "150000009", "L. de Boer"),
    ]
    assert found[0].message == "M. Vos (policy 150000001) has no employee number"


@pytest.mark.parametrize(("exporter", "options"), PAYROLL)
def test_shared_and_unwritable_employee_numbers_are_refused(
    exporter: Exporter, options: dict[str, object]
) -> None:
    source = borderel(
        line(person("200000001", "Berg"), employee_number="77", premium="1.00"),
        line(person("200000002", "Kok"), employee_number="77", premium="1.00"),
        line(person("200000003", "Vos"), employee_number="Ł3", premium="1.00"),
    )
    found = problems(exporter, source, **options, encoding="cp1252")
    assert found == [
        ("EMPLOYEE_NUMBER_SHARED", "200000001"),
        ("EMPLOYEE_NUMBER_SHARED", "200000002"),
        ("EMPLOYEE_NUMBER_INVALID", "200000003"),
    ]


@pytest.mark.parametrize(
    ("exporter", "options", "option"),
    [
        (RaetEmaExporter(), EMA, "deduction_wage_type"),
        (NmbrsExporter(), {}, "deduction_code"),
        (LoketExporter(), {}, "deduction_component"),
        (AfasExporter(), {}, "deduction_component"),
    ],
)
def test_options_that_cannot_be_written_are_problems(
    exporter: Exporter, options: dict[str, object], option: str
) -> None:
    found = exporter.problems(
        hand_worked(), validate_options(exporter, {**options, option: "Ł1", "encoding": "cp1252"})
    )
    assert [(p.code, p.message) for p in found] == [
        ("OPTION_NOT_ENCODABLE", f"Option {option} 'Ł1' cannot be written in cp1252")
    ]


# ---- generic CSV -------------------------------------------------------------------------------


def test_csv_one_row_per_line_with_every_field() -> None:
    content = export(GenericCsvExporter(), hand_worked())
    assert content.startswith(b"\xef\xbb\xbf")
    rows = content[3:].decode("utf-8").split("\r\n")
    assert rows[0] == ";".join(name for name, _ in COLUMNS)
    assert rows[-1] == ""
    assert len(rows) == 2 + len(hand_worked().lines)
    assert rows[1] == (
        "100200;Bakkerij De Gouden Korenschoof B.V.;20001;Personeel Bakkerij;2026-12-01;"
        "2026-11-30T23:30:00Z;REGULAR;42;200000001;200000001;POLICYHOLDER;E.;Eva;van den;Berg;"
        "1980-05-17;ZB;Zorg Basis;BASIC;2026-12-01;31;150,00;0,00;150,00;15,00;135,00"
    )
    assert rows[4].split(";")[6:] == [
        "CORRECTION", "42", "200000001", "200000001", "POLICYHOLDER", "E.", "Eva", "van den",
        "Berg", "1980-05-17", "ZB", "Zorg Basis", "BASIC", "2026-11-01", "30",
        "-50,00", "0,00", "-50,00", "-5,00", "-45,00",
    ]  # fmt: skip


def test_csv_options_and_formula_neutralisation() -> None:
    source = borderel(
        line(
            person("1", '=HYPERLINK("x")', initials="@A", first_name=None),
            employee_number=None,
            premium="-1.50",
            period=NOVEMBER,
        )
    )
    assert GenericCsvExporter().problems(source, validate_options(GenericCsvExporter(), {})) == []
    row = export(GenericCsvExporter(), source, bom=False).decode().split("\r\n")[1].split(";")
    assert row[7] == ""  # no employee number: an empty field, not a refusal
    assert row[11:15] == ["'@A", "", "", '"\'=HYPERLINK(""x"")"']  # quoted: it holds quotes
    assert row[-3] == "-1,50"  # amounts are never prefixed
    plain = export(
        GenericCsvExporter(), source, bom=False, delimiter=",", decimal_separator=".",
        neutralise_formulas=False,
    ).decode()  # fmt: skip
    assert ',@A,,,"=HYPERLINK(""x"")",' in plain
    assert plain.split("\r\n")[1].endswith(",-1.50,0.00,-1.50,0.00,-1.50")


# ---- Excel -------------------------------------------------------------------------------------


def sheets(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook}


def test_excel_lines_and_sums_per_employee() -> None:
    source = dataclasses.replace(
        hand_worked(),
        lines=(
            *hand_worked().lines,
            line(person("300000001", "=Vos", initials="M."), employee_number=None, premium="10.00"),
        ),
    )
    content = export(ExcelExporter(), source)
    found = sheets(content)
    assert list(found) == ["Regels", "Per werknemer"]
    lines = found["Regels"]
    assert lines[0][:3] == ("Klantnummer", "Klant", "Collectiviteitnummer")
    assert len(lines) == 1 + len(source.lines)
    assert lines[1][4:8] == (
        dt.datetime(2026, 12, 1),  # noqa: DTZ001 (Excel has no time zones)
        dt.datetime(2026, 12, 1, 0, 30),  # noqa: DTZ001
        "REGULAR",
        "42",
    )
    november = dt.datetime(2026, 11, 1)  # noqa: DTZ001
    assert lines[4][19:] == (november, 30, -50, 0, -50, -5, -45)
    assert found["Per werknemer"] == [
        ("Personeelsnummer", "Naam", "Polisnummer", "Premie", "Werkgeversbijdrage", "Inhouding"),
        ("7", "S. Yilmaz", "200000003", 100, 100, 0),
        ("42", "E. van den Berg", "200000001", 260, 10, 250),
        ("A-13", "A. Lovelace", "200000004", 76.25, 0, 76.25),
        (None, "M. =Vos", "300000001", 10, 0, 10),
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Regels"]
    assert sheet["V2"].number_format == "#,##0.00"
    assert sheet["E2"].number_format == "DD-MM-YYYY"
    formula_like = sheet.cell(row=len(source.lines) + 1, column=15)
    assert (formula_like.value, formula_like.data_type, formula_like.quotePrefix) == (
        "=Vos",
        "s",
        True,
    )


def test_excel_english_without_summary() -> None:
    found = sheets(export(ExcelExporter(), hand_worked(), language="en", summary=False))
    assert list(found) == ["Lines"]
    assert found["Lines"][0][-2:] == ("Employer contribution", "Deduction")


def test_excel_same_bytes_later(monkeypatch: pytest.MonkeyPatch) -> None:
    """openpyxl stamps the current time in docProps/core.xml and every zip entry: not ours."""
    first = export(ExcelExporter(), hand_worked())
    later = time.time() + 3 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    assert export(ExcelExporter(), hand_worked()) == first
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert b'<dcterms:created xsi:type="dcterms:W3CDTF">2026-11-30T23:30:00Z' in archive.read(
        "docProps/core.xml"
    )


# ---- every format: the registry and the vendor kit ---------------------------------------------


def test_every_format_is_a_builtin() -> None:
    registry = load_exporters(allow=set())
    assert {
        "raet-ema": "exporters.raet_ema",
        "nmbrs": "exporters.nmbrs",
        "loket": "exporters.loket",
        "afas": "exporters.afas",
        "csv": "exporters.generic_csv",
        "excel": "exporters.excel",
    }.items() <= dict(registry.providers).items()
    assert registry.failures == ()


class TestRaetEmaConformance(ExporterConformance):
    exporter = RaetEmaExporter()
    options = EMA
    plugin_name = "exporters.raet_ema"


class TestNmbrsConformance(ExporterConformance):
    exporter = NmbrsExporter()
    plugin_name = "exporters.nmbrs"


class TestLoketConformance(ExporterConformance):
    exporter = LoketExporter()
    plugin_name = "exporters.loket"


class TestAfasConformance(ExporterConformance):
    exporter = AfasExporter()
    plugin_name = "exporters.afas"


class TestGenericCsvConformance(ExporterConformance):
    exporter = GenericCsvExporter()
    plugin_name = "exporters.generic_csv"


class TestExcelConformance(ExporterConformance):
    exporter = ExcelExporter()
    plugin_name = "exporters.excel"


# ---- the committed samples and the docs that show them -----------------------------------------

SAMPLES = {
    "raet-ema": (RaetEmaExporter(), EMA, "cp1252"),
    "nmbrs": (NmbrsExporter(), {"debtor_number": "D100", "company_number": "2"}, "utf-8"),
    "loket": (LoketExporter(), {"employer_number": "12345"}, "cp1252"),
    "afas": (AfasExporter(), {"employer": "BAKKERIJ"}, "utf-8"),
    "csv": (GenericCsvExporter(), {}, "utf-8-sig"),
}


def check_sample(path: Path, content: bytes) -> None:
    if os.environ.get("COLLECTIEF_UPDATE_SAMPLES") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    assert path.read_bytes() == content, (
        f"{path.relative_to(ROOT)} is stale: run with COLLECTIEF_UPDATE_SAMPLES=1"
    )


@pytest.mark.parametrize("name", list(SAMPLES))
def test_committed_text_sample_is_current(name: str) -> None:
    exporter, options, encoding = SAMPLES[name]
    content = export(exporter, hand_worked(), **options)
    check_sample(FORMATS / "samples" / f"{name}-sample.csv", content)
    shown = content.decode(encoding).replace("\r\n", "\n")
    assert f"```text\n{shown}```" in (FORMATS / f"{name}.md").read_text(encoding="utf-8"), (
        f"docs/formats/{name}.md does not show the current sample file"
    )


def excel_rendering(content: bytes) -> str:
    """The sample workbook as the doc shows it: per sheet, rows of cells separated by ' | ';
    dates as DD-MM-YYYY (with the time when there is one), amounts with two decimals."""
    parts = []
    for sheet in openpyxl.load_workbook(io.BytesIO(content)):
        parts.append(f"[{sheet.title}]\n")
        for row in sheet.iter_rows():
            cells = []
            for cell in row:
                value = cell.value
                if value is None:
                    cells.append("")
                elif isinstance(value, dt.datetime):
                    cells.append(value.strftime("%d-%m-%Y %H:%M").removesuffix(" 00:00"))
                elif cell.number_format == "#,##0.00":
                    cells.append(f"{Decimal(str(value)):.2f}")
                else:
                    cells.append(str(value))
            parts.append(" | ".join(cells).rstrip() + "\n")
    return "".join(parts)


def test_committed_excel_sample_is_current() -> None:
    content = export(ExcelExporter(), hand_worked())
    check_sample(FORMATS / "samples" / "excel-sample.xlsx", content)
    assert f"```text\n{excel_rendering(content)}```" in (FORMATS / "excel.md").read_text(
        encoding="utf-8"
    ), "docs/formats/excel.md does not show the current sample workbook"
