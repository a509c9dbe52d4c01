"""Invoice, reminder and demand letters as PDF (D8, G6): pure tests, no database.

The PDFs are read back with pypdf, so every figure is checked as a reader would see it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from decimal import Decimal

import pypdf
import pytest
from stdnum import iban as iban_number

from resolvers.invoice_letters import (
    INSURER,
    BorderelTotals,
    Insurer,
    Letter,
    LetterKind,
    filename,
    format_amount,
    is_valid_payment_reference,
    payment_reference,
    pdf_text,
    render_letter,
    render_letter_async,
)

D = Decimal
KINDS = list(LetterKind)
LANGUAGES = ["nl", "en"]


def make_letter(kind: LetterKind = LetterKind.INVOICE, language: str = "nl", **changes) -> Letter:
    values = {
        "kind": kind,
        "language": language,
        "letter_date": dt.date(2026, 4, 20),
        "invoice_number": "2026000123",
        "issue_date": dt.date(2026, 4, 1),
        "due_date": dt.date(2026, 5, 4),
        "month": dt.date(2026, 4, 1),
        "customer_number": "100234",
        "customer_name": "Bakkerij Van der Ëlst & Zoon B.V.",
        "collectivity_number": "200345",
        "collectivity_name": "Personeel Brüggen Café",
        "amount": D("12345.67"),
        "paid_amount": D("1000.00"),
        "balance": D("11345.67"),
        "payment_reference": payment_reference("2026000123"),
        "borderel_totals": BorderelTotals(
            premium=D("12345.67"),
            employer_contribution=D("2345.67"),
            deduction=D("10000.00"),
            line_count=1234,
        ),
        "address_lines": ("Dorpsstraat 1", "1234 AB Utrecht"),
        "previous_letter_date": dt.date(2026, 4, 10) if kind is LetterKind.DEMAND else None,
    } | changes
    return Letter(**values)


def read(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    """All text, with line breaks and non-breaking spaces as plain spaces."""
    reader = read(pdf)
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").split())


# --- payment reference (betalingskenmerk) -----------------------------------------------------


def test_d8_payment_reference_matches_the_betaalvereniging_example() -> None:
    # Betaalvereniging Nederland's own example: (5)000 0567 8901 2345.
    # From the right, weights 2,4,8,5,10,9,7,3,6,1, then 2,4,8,5,10 again:
    # 5·2 + 4·4 + 3·8 + 2·5 + 1·10 + 0·9 + 9·7 + 8·3 + 7·6 + 6·1 + 5·2 + 0 + 0 + 0 + 0
    # = 10 + 16 + 24 + 10 + 10 + 0 + 63 + 24 + 42 + 6 + 10 = 215; 215 mod 11 = 6; 11 − 6 = 5.
    assert payment_reference("56789012345") == "5000056789012345"


@pytest.mark.parametrize(
    ("invoice_number", "expected"),
    [
        # 000002026000123, from the right: 3·2 + 2·4 + 1·8 + 0·5 + 0·10 + 0·9 + 6·7 + 2·3 + 0·6
        # + 2·1 = 6 + 8 + 8 + 42 + 6 + 2 = 72; 72 mod 11 = 6; 11 − 6 = 5.
        ("2026000123", "5000002026000123"),
        # 56: 6·2 + 5·4 = 32; 32 mod 11 = 10; 11 − 10 = 1 (no "10" rule needed: the digit is 1).
        ("56", "1000000000000056"),
        # 19: 9·2 + 1·4 = 22; 22 mod 11 = 0; 11 − 0 = 11 → 0.
        ("19", "0000000000000019"),
        # 15 nines: the weights sum to (2+4+8+5+10+9+7+3+6+1) + (2+4+8+5+10) = 55 + 29 = 84;
        # 84·9 = 756; 756 mod 11 = 8; 11 − 8 = 3. The longest payload accepted.
        ("999999999999999", "3999999999999999"),
        # 5: 5·2 = 10; 10 mod 11 = 10; 11 − 10 = 1.
        ("5", "1000000000000005"),
        # 6: 6·2 = 12; 12 mod 11 = 1; 11 − 1 = 10 → 1.
        ("6", "1000000000000006"),
    ],
)
def test_d8_payment_reference_check_digit_worked_by_hand(
    invoice_number: str, expected: str
) -> None:
    assert payment_reference(invoice_number) == expected
    assert is_valid_payment_reference(expected)


def test_d8_payment_reference_uses_only_the_digits_of_the_invoice_number() -> None:
    assert payment_reference("F-2026/000.123") == payment_reference("2026000123")
    assert payment_reference(" 2026 000 123 ") == "5000002026000123"


@pytest.mark.parametrize("invoice_number", ["1234567890123456", "INV-2026-0000000000123", ""])
def test_d8_payment_reference_refuses_more_than_15_digits_or_none(invoice_number: str) -> None:
    with pytest.raises(ValueError, match="digits"):
        payment_reference(invoice_number)


def test_d8_a_payment_reference_with_a_wrong_check_digit_or_length_is_invalid() -> None:
    good = "5000056789012345"
    assert is_valid_payment_reference(good)
    assert not is_valid_payment_reference("4" + good[1:])  # wrong check digit
    assert not is_valid_payment_reference(good[:-1] + "6")  # a typo in the payload
    assert not is_valid_payment_reference(good[1:])  # 15 digits
    assert not is_valid_payment_reference("5000 0567 8901 2345")  # spaces: not the raw form
    assert not is_valid_payment_reference("5000056789O12345")  # letter O


# --- formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "nl", "en"),
    [
        ("1234.56", "€ 1.234,56", "€1,234.56"),
        ("0", "€ 0,00", "€0.00"),
        ("7.5", "€ 7,50", "€7.50"),
        ("1234567.89", "€ 1.234.567,89", "€1,234,567.89"),
        ("-12.50", "€ -12,50", "-€12.50"),
        ("0.005", "€ 0,01", "€0.01"),  # half-up, not banker's rounding
        ("2.675", "€ 2,68", "€2.68"),
    ],
)
def test_d8_amounts_are_formatted_dutch_and_english_style(amount: str, nl: str, en: str) -> None:
    assert format_amount(D(amount), "nl") == nl
    assert format_amount(D(amount), "en") == en


def test_d8_text_outside_the_font_is_decomposed_or_replaced() -> None:
    assert pdf_text("Zoë Brüggen-Café €") == "Zoë Brüggen-Café €"  # Windows-1252 as it is
    assert pdf_text("Łukasz Wałęsa") == "Lukasz Walesa"
    assert pdf_text("Ĳsselmeer") == "IJsselmeer"
    assert pdf_text("李 Ω") == "? ?"


# --- the letters -------------------------------------------------------------------------------

EXPECTED = {
    "nl": {
        "title": {
            LetterKind.INVOICE: "Factuur",
            LetterKind.REMINDER: "Herinnering",
            LetterKind.DEMAND: "Aanmaning",
        },
        "always": [
            "Factuurnummer 2026000123",
            "Factuurdatum 1 april 2026",
            "Klantnummer 100234",
            "Collectiviteit 200345 Personeel Brüggen Café",
            "Premiemaand april 2026",
            "Borderel april 2026",
            "Premie € 12.345,67",
            "Werkgeversbijdrage € 2.345,67",
            "Ingehouden op salaris € 10.000,00",
            "Aantal regels 1.234",
            "Factuurbedrag € 12.345,67",
            "Reeds ontvangen € 1.000,00",
            "Openstaand bedrag € 11.345,67",
            "Te betalen € 11.345,67",
            "IBAN NL91 ABNA 0417 1643 00",
            "Betalingskenmerk 5000 0020 2600 0123",
            "Uiterlijk op 4 mei 2026",
            "Bakkerij Van der Ëlst & Zoon B.V.",
            "Collectief Zorgverzekeringen",
        ],
        "due": {
            LetterKind.INVOICE: "Vervaldatum 4 mei 2026",
            LetterKind.REMINDER: "Uiterste betaaldatum 4 mei 2026",
            LetterKind.DEMAND: "Uiterste betaaldatum 4 mei 2026",
        },
        "kind": {
            LetterKind.INVOICE: "het totaal van het borderel van die maand",
            LetterKind.REMINDER: "deze herinnering als niet verzonden",
            LetterKind.DEMAND: "Ondanks onze herinnering van 10 april 2026",
        },
        "collection": "incassokosten",
        "subject": "Betreft",
        "invoice": "factuur",
    },
    "en": {
        "title": {
            LetterKind.INVOICE: "Invoice",
            LetterKind.REMINDER: "Reminder",
            LetterKind.DEMAND: "Demand for payment",
        },
        "always": [
            "Invoice number 2026000123",
            "Invoice date 1 April 2026",
            "Customer number 100234",
            "Collectivity 200345 Personeel Brüggen Café",
            "Premium month April 2026",
            "Borderel April 2026",
            "Premium €12,345.67",
            "Employer contribution €2,345.67",
            "Deducted from salaries €10,000.00",
            "Number of lines 1,234",
            "Invoice amount €12,345.67",
            "Received so far €1,000.00",
            "Balance due €11,345.67",
            "Amount €11,345.67",
            "IBAN NL91 ABNA 0417 1643 00",
            "Payment reference (betalingskenmerk) 5000 0020 2600 0123",
            "Pay by 4 May 2026",
            "Bakkerij Van der Ëlst & Zoon B.V.",
            "Collectief Zorgverzekeringen",
        ],
        "due": {
            LetterKind.INVOICE: "Due date 4 May 2026",
            LetterKind.REMINDER: "Pay by 4 May 2026",
            LetterKind.DEMAND: "Pay by 4 May 2026",
        },
        "kind": {
            LetterKind.INVOICE: "the total of that month's borderel",
            LetterKind.REMINDER: "please disregard this reminder",
            LetterKind.DEMAND: "Despite our reminder of 10 April 2026",
        },
        "collection": "collection costs",
        "subject": "Subject",
        "invoice": "invoice",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_d8_g6_a_letter_shows_the_invoice_totals_and_how_to_pay(
    kind: LetterKind, language: str
) -> None:
    expected = EXPECTED[language]
    pdf = render_letter(make_letter(kind, language))
    assert pdf.startswith(b"%PDF-")
    reader = read(pdf)
    assert len(reader.pages) == 1
    text = text_of(pdf)
    title = expected["title"][kind]
    assert f"{title} {expected['subject']}: {expected['invoice']} 2026000123," in text
    for fragment in [*expected["always"], expected["due"][kind], expected["kind"][kind]]:
        assert fragment in text, fragment
    # Only a demand mentions collection costs; a reminder stays polite.
    assert (expected["collection"] in text) is (kind is LetterKind.DEMAND)
    assert reader.metadata is not None
    assert reader.metadata.title.startswith(title)
    assert reader.metadata.title.endswith("2026000123")


def test_d8_the_other_language_does_not_leak_into_a_letter() -> None:
    dutch = text_of(render_letter(make_letter(LetterKind.REMINDER, "nl")))
    english = text_of(render_letter(make_letter(LetterKind.REMINDER, "en")))
    assert "Invoice number" not in dutch
    assert "€12,345.67" not in dutch
    assert "Factuurnummer" not in english
    assert "€ 12.345,67" not in english


def test_d8_a_paid_invoice_asks_for_nothing() -> None:
    letter = make_letter(paid_amount=D("12345.67"), balance=D("0.00"))
    text = text_of(render_letter(letter))
    assert "Er staat geen bedrag open; u hoeft niets te betalen." in text
    assert "Betaalgegevens" not in text
    assert "Openstaand bedrag € 0,00" in text


def test_d8_a_negative_borderel_total_renders_as_a_credit() -> None:
    totals = BorderelTotals(D("-80.25"), D("-10.00"), D("-70.25"), 2)
    letter = make_letter(
        amount=D("-80.25"), paid_amount=D("0.00"), balance=D("-80.25"), borderel_totals=totals
    )
    text = text_of(render_letter(letter))
    assert "Factuurbedrag € -80,25" in text
    assert "u hoeft niets te betalen" in text


def test_d8_dutch_and_foreign_names_never_stop_a_letter() -> None:
    letter = make_letter(
        LetterKind.DEMAND,
        customer_name="Łukasz Wałęsa Ĳzerhandel 李 B.V.",
        collectivity_name="Zoë’s “Crème brûlée” — Ōsaka",
        address_lines=("Ĳsselkade 1", "8011 AB Zwolle"),
    )
    text = text_of(render_letter(letter))
    assert "Lukasz Walesa IJzerhandel ? B.V." in text
    assert "Zoë’s “Crème brûlée” — Osaka" in text
    assert "IJsselkade 1" in text


def test_d8_long_names_and_addresses_still_fit_one_page() -> None:
    letter = make_letter(
        LetterKind.DEMAND,
        customer_name="Stichting Voortgezet Onderwijs Regio Zuid-Oost Brabant en Noord-Limburg",
        address_lines=("t.a.v. de salarisadministratie", "Postbus 12345", "5600 AA Eindhoven"),
        collectivity_name="Onderwijzend en ondersteunend personeel, inclusief stagiairs",
    )
    assert len(read(render_letter(letter)).pages) == 1


# --- deterministic output ---------------------------------------------------------------------


def test_d8_identical_letters_give_identical_bytes() -> None:
    first = render_letter(make_letter(LetterKind.REMINDER))
    second = render_letter(make_letter(LetterKind.REMINDER))
    assert first == second


def test_d8_the_pdf_is_dated_by_the_letter_not_by_the_clock() -> None:
    reader = read(render_letter(make_letter(letter_date=dt.date(2020, 2, 29))))
    assert reader.metadata is not None
    assert reader.metadata.creation_date == dt.datetime(2020, 2, 29, tzinfo=dt.UTC)
    assert reader.metadata.producer == "collectief"


def test_d8_a_different_letter_gives_different_bytes() -> None:
    base = render_letter(make_letter())
    assert render_letter(make_letter(letter_date=dt.date(2026, 4, 21))) != base
    assert render_letter(make_letter(customer_name="Bakkerij Jansen")) != base


async def test_d8_rendering_in_a_thread_gives_the_same_bytes() -> None:
    letter = make_letter(LetterKind.DEMAND, "en")
    assert await render_letter_async(letter) == render_letter(letter)


# --- insurer, file names, validation ----------------------------------------------------------


def test_d8_the_default_insurer_iban_is_valid_and_a_caller_may_override_it() -> None:
    assert iban_number.is_valid(INSURER.iban)
    insurer = Insurer(name="Zorg & Co Verzekeringen", iban="NL02ABNA0123456789")
    assert iban_number.is_valid(insurer.iban)
    text = text_of(render_letter(make_letter(), insurer))
    assert "Ten name van Zorg & Co Verzekeringen" in text
    assert "NL02 ABNA 0123 4567 89" in text
    assert "NL91" not in text


@pytest.mark.parametrize(
    ("kind", "language", "expected"),
    [
        (LetterKind.INVOICE, "nl", "factuur-2026000123.pdf"),
        (LetterKind.REMINDER, "nl", "herinnering-2026000123.pdf"),
        (LetterKind.DEMAND, "nl", "aanmaning-2026000123.pdf"),
        (LetterKind.INVOICE, "en", "invoice-2026000123.pdf"),
        (LetterKind.REMINDER, "en", "reminder-2026000123.pdf"),
        (LetterKind.DEMAND, "en", "demand-2026000123.pdf"),
    ],
)
def test_d8_file_names(kind: LetterKind, language: str, expected: str) -> None:
    assert filename(make_letter(kind, language)) == expected


def test_d8_a_file_name_keeps_only_safe_characters() -> None:
    letter = make_letter(invoice_number='F/2026 "001"\r\n')
    assert filename(letter) == "factuur-F-2026-001.pdf"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"amount": 12345.67}, TypeError),  # never float
        ({"balance": D("11345.66")}, ValueError),  # balance ≠ amount − paid
        ({"payment_reference": "4000002026000123"}, ValueError),  # wrong check digit
        ({"payment_reference": "2026000123"}, ValueError),  # not 16 digits
        ({"language": "de"}, ValueError),
    ],
)
def test_d8_an_inconsistent_letter_is_refused(changes: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        make_letter(**changes)


def test_d8_letters_are_immutable() -> None:
    letter = make_letter()
    with pytest.raises(dataclasses.FrozenInstanceError):
        letter.balance = D("0.00")  # type: ignore[misc]
