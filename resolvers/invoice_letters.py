"""Invoice, reminder and demand letters as PDF (D8): a pure rendering API.

The invoice logic (amounts, payments, the daily dunning job) builds a :class:`Letter` and calls
:func:`render_letter` (or :func:`render_letter_async` from async code); this module knows nothing of
the database. See docs/invoices.md for what a letter contains.

* **Deterministic**: the PDF's creation date is the letter date (midnight UTC) and the producer,
  creator and file id depend only on the letter, so identical input gives identical bytes
  (a rerun of the dunning job can compare, and documents do not change on a re-render).
* **Fonts**: fpdf2's built-in Helvetica with WinAnsi (Windows-1252) text, which covers Dutch names
  (é, ë, ï, ü, ...), the euro sign and the curly quotes. Characters outside it are first
  decomposed ("Ł" → "L", "Ĳ" → "IJ") and otherwise replaced by "?": a name never stops a letter.
* **Languages** (G6): Dutch by default, English on request.
* **Payment reference**: the 16-digit acceptgiro *betalingskenmerk* (see :func:`payment_reference`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from fpdf import FPDF

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")

CENT = Decimal("0.01")
# The encoding of fpdf2's core fonts: their font dictionaries declare WinAnsiEncoding.
PDF_ENCODING = "windows-1252"


class LetterKind(enum.StrEnum):
    INVOICE = "INVOICE"
    REMINDER = "REMINDER"
    DEMAND = "DEMAND"


@dataclasses.dataclass(frozen=True, slots=True)
class Insurer:
    """Who sends the letters and where to pay. The defaults are demo values (the IBAN is the
    well-known example NL91ABNA0417164300); a deployment passes its own."""

    name: str = "Collectief Zorgverzekeringen"
    address_lines: tuple[str, ...] = ("Postbus 1234", "3500 AB Utrecht")
    iban: str = "NL91ABNA0417164300"
    bic: str = "ABNANL2A"
    chamber_of_commerce: str = "12345678"
    phone: str = "030 123 45 67"
    email: str = "collectief@example.nl"


INSURER = Insurer()


@dataclasses.dataclass(frozen=True, slots=True)
class BorderelTotals:
    """The totals of the borderel the invoice bills (D3, D8)."""

    premium: Decimal
    employer_contribution: Decimal
    deduction: Decimal  # premium withheld from the employees' salaries
    line_count: int

    def __post_init__(self) -> None:
        for name in ("premium", "employer_contribution", "deduction"):
            _require_money(name, getattr(self, name))
        if self.line_count < 0:
            raise ValueError("line_count must not be negative")


@dataclasses.dataclass(frozen=True, slots=True)
class Letter:
    """One letter about one invoice: the invoice itself, a reminder or a demand.

    ``due_date`` is the pay-by date shown on this letter: the invoice's due date, or for a
    reminder or demand the new date. ``month`` is the borderel's (prolongation) month; any day
    of it will do. ``balance`` must equal ``amount - paid_amount``; ``payment_reference`` must
    be a valid 16-digit betalingskenmerk (make it with :func:`payment_reference`).
    """

    kind: LetterKind
    letter_date: dt.date
    invoice_number: str
    issue_date: dt.date
    due_date: dt.date
    month: dt.date
    customer_number: str
    customer_name: str
    collectivity_number: str
    collectivity_name: str
    amount: Decimal
    paid_amount: Decimal
    balance: Decimal
    payment_reference: str
    borderel_totals: BorderelTotals
    language: Language = "nl"
    address_lines: tuple[str, ...] = ()
    previous_letter_date: dt.date | None = None  # a demand: when the reminder was sent

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {self.language!r}")
        for name in ("amount", "paid_amount", "balance"):
            _require_money(name, getattr(self, name))
        if self.balance != self.amount - self.paid_amount:
            raise ValueError("balance must equal amount - paid_amount")
        if not is_valid_payment_reference(self.payment_reference):
            raise ValueError("payment_reference is not a valid 16-digit betalingskenmerk")


def _require_money(name: str, value: object) -> None:
    if not isinstance(value, Decimal):  # never float
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite amount")


# --- payment reference (betalingskenmerk) -----------------------------------------------------

# The Dutch 16-digit payment reference ("NL-betalingskenmerk", acceptgiro): a check digit followed
# by 15 digits. Check digit by the weighted modulus-11 method: weights 2, 4, 8, 5, 10, 9, 7, 3, 6, 1
# from the rightmost digit leftwards, repeating after ten digits; C = 11 - (sum mod 11), with
# 10 → 1 and 11 → 0. Source: Betaalvereniging Nederland, "De specificaties van het Nederlandse
# betalingskenmerk" (https://www.betaalvereniging.nl/betalingsverkeer/giraal-betalingsverkeer/
# wijzigingen-verwerking-acceptgirobetalingen/specificaties-betalingskenmerk/), whose example is
# (5)000 0567 8901 2345; the same rule in the XMLdation wiki "Betalinskenmerk" (RBS / NVB).
_WEIGHTS = (2, 4, 8, 5, 10, 9, 7, 3, 6, 1)
_PAYLOAD_DIGITS = 15


def _check_digit(payload: str) -> int:
    total = sum(
        int(digit) * _WEIGHTS[position % len(_WEIGHTS)]
        for position, digit in enumerate(reversed(payload))
    )
    check = 11 - total % 11
    return {10: 1, 11: 0}.get(check, check)


def payment_reference(invoice_number: str) -> str:
    """The 16-digit betalingskenmerk of an invoice: check digit + the invoice number's digits
    (other characters are ignored), left-padded with zeros to 15. ValueError when the invoice
    number has no digits or more than 15."""
    digits = "".join(ch for ch in invoice_number if "0" <= ch <= "9")
    if not digits:
        raise ValueError("the invoice number has no digits for a payment reference")
    if len(digits) > _PAYLOAD_DIGITS:
        raise ValueError(
            f"the invoice number has {len(digits)} digits; a payment reference holds at most "
            f"{_PAYLOAD_DIGITS}"
        )
    payload = digits.zfill(_PAYLOAD_DIGITS)
    return f"{_check_digit(payload)}{payload}"


def is_valid_payment_reference(reference: str) -> bool:
    """True for 16 ASCII digits whose first is the check digit of the other 15."""
    if len(reference) != 16 or not all("0" <= ch <= "9" for ch in reference):
        return False
    return int(reference[0]) == _check_digit(reference[1:])


def format_payment_reference(reference: str) -> str:
    """In groups of four, as printed on an acceptgiro: "5000 0567 8901 2345"."""
    return " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))


# --- formatting --------------------------------------------------------------------------------

_MONTHS = {
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def format_amount(amount: Decimal, language: Language = "nl") -> str:
    """ "€ 1.234,56" (nl) or "€1,234.56" (en); rounded half-up to cents; a minus sign after the
    euro sign in Dutch ("€ -12,50") and before it in English ("-€12.50")."""
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    text = f"{abs(rounded):,.2f}"  # exact: already two places
    sign = "-" if rounded < 0 else ""
    if language == "nl":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
        return f"€ {sign}{text}"
    return f"{sign}€{text}"


def format_count(count: int, language: Language = "nl") -> str:
    text = f"{count:,}"
    return text.replace(",", ".") if language == "nl" else text


def format_date(day: dt.date, language: Language = "nl") -> str:
    """ "15 april 2026" / "15 April 2026"."""
    return f"{day.day} {_MONTHS[language][day.month - 1]} {day.year}"


def format_month(month: dt.date, language: Language = "nl") -> str:
    """ "april 2026" / "April 2026"."""
    return f"{_MONTHS[language][month.month - 1]} {month.year}"


def pdf_text(text: str) -> str:
    """Text the core fonts can show: Windows-1252 characters as they are, others decomposed
    to their base letters where possible ("ł" → "l", "ő" → "o", "Ĳ" → "IJ"), else "?"."""
    out: list[str] = []
    for ch in text:
        try:
            ch.encode(PDF_ENCODING)
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFKD", ch)
            base = "".join(c for c in decomposed if not unicodedata.combining(c))
            base = _EXTRA_BASES.get(ch, base)
            try:
                base.encode(PDF_ENCODING)
            except UnicodeEncodeError:
                base = "?"
            out.append(base or "?")
        else:
            out.append(ch)
    return "".join(out)


# Letters that NFKD does not decompose (they are letters of their own, not a base + accent).
_EXTRA_BASES = {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "Ħ": "H"}


# --- texts -------------------------------------------------------------------------------------

_FILE_PREFIX = {
    "nl": {
        LetterKind.INVOICE: "factuur",
        LetterKind.REMINDER: "herinnering",
        LetterKind.DEMAND: "aanmaning",
    },
    "en": {
        LetterKind.INVOICE: "invoice",
        LetterKind.REMINDER: "reminder",
        LetterKind.DEMAND: "demand",
    },
}

_TITLE = {
    "nl": {
        LetterKind.INVOICE: "Factuur",
        LetterKind.REMINDER: "Herinnering",
        LetterKind.DEMAND: "Aanmaning",
    },
    "en": {
        LetterKind.INVOICE: "Invoice",
        LetterKind.REMINDER: "Reminder",
        LetterKind.DEMAND: "Demand for payment",
    },
}

_LABELS = {
    "nl": {
        "date": "Datum",
        "subject": "Betreft",
        "subject_text": "factuur {number}, premie collectieve zorgverzekering {month}",
        "invoice_number": "Factuurnummer",
        "issue_date": "Factuurdatum",
        "customer": "Klantnummer",
        "collectivity": "Collectiviteit",
        "month": "Premiemaand",
        "due_invoice": "Vervaldatum",
        "due_dunning": "Uiterste betaaldatum",
        "totals": "Borderel {month}",
        "premium": "Premie",
        "employer_contribution": "Werkgeversbijdrage",
        "deduction": "Ingehouden op salaris",
        "line_count": "Aantal regels",
        "amount": "Factuurbedrag",
        "paid": "Reeds ontvangen",
        "balance": "Openstaand bedrag",
        "payment": "Betaalgegevens",
        "pay_amount": "Te betalen",
        "pay_iban": "IBAN",
        "pay_name": "Ten name van",
        "pay_reference": "Betalingskenmerk",
        "pay_by": "Uiterlijk op",
        "greeting": "Geachte heer, mevrouw,",
        "closing": "Met vriendelijke groet,",
        "footer": "{name} · IBAN {iban} · BIC {bic} · KvK {coc}",
    },
    "en": {
        "date": "Date",
        "subject": "Subject",
        "subject_text": "invoice {number}, collective health insurance premium {month}",
        "invoice_number": "Invoice number",
        "issue_date": "Invoice date",
        "customer": "Customer number",
        "collectivity": "Collectivity",
        "month": "Premium month",
        "due_invoice": "Due date",
        "due_dunning": "Pay by",
        "totals": "Borderel {month}",
        "premium": "Premium",
        "employer_contribution": "Employer contribution",
        "deduction": "Deducted from salaries",
        "line_count": "Number of lines",
        "amount": "Invoice amount",
        "paid": "Received so far",
        "balance": "Balance due",
        "payment": "Payment details",
        "pay_amount": "Amount",
        "pay_iban": "IBAN",
        "pay_name": "Payee",
        "pay_reference": "Payment reference (betalingskenmerk)",
        "pay_by": "Pay by",
        "greeting": "Dear Sir or Madam,",
        "closing": "Kind regards,",
        "footer": "{name} · IBAN {iban} · BIC {bic} · Chamber of Commerce {coc}",
    },
}

_BODY = {
    "nl": {
        LetterKind.INVOICE: (
            "Hierbij ontvangt u de factuur voor de premie van de collectieve zorgverzekering van "
            "uw werknemers over {month}. Het factuurbedrag is het totaal van het borderel van "
            "die maand. Wij verzoeken u het openstaande bedrag van {balance} uiterlijk op "
            "{due_date} te betalen, onder vermelding van het betalingskenmerk hieronder."
        ),
        LetterKind.REMINDER: (
            "Volgens onze administratie hebben wij de betaling van factuur {number} van "
            "{issue_date} nog niet (volledig) ontvangen. Wellicht is dit aan uw aandacht "
            "ontsnapt. Wij verzoeken u vriendelijk het openstaande bedrag van {balance} uiterlijk "
            "op {due_date} te betalen. Heeft u inmiddels betaald, dan kunt u deze herinnering als "
            "niet verzonden beschouwen."
        ),
        LetterKind.DEMAND: (
            "Ondanks onze herinnering{previous} hebben wij de betaling van factuur {number} van "
            "{issue_date} nog niet (volledig) ontvangen. Wij sommeren u het openstaande bedrag "
            "van {balance} uiterlijk op {due_date} te betalen. Betaalt u niet op tijd, dan kunnen "
            "wij de vordering uit handen geven; de incassokosten en de wettelijke rente komen dan "
            "voor uw rekening. Heeft u inmiddels betaald, dan kunt u deze aanmaning als niet "
            "verzonden beschouwen."
        ),
    },
    "en": {
        LetterKind.INVOICE: (
            "Please find enclosed the invoice for the collective health insurance premium of "
            "your employees for {month}. The invoice amount is the total of that month's "
            "borderel. Please pay the outstanding balance of {balance} by {due_date}, quoting "
            "the payment reference below."
        ),
        LetterKind.REMINDER: (
            "According to our records we have not (fully) received payment of invoice {number} "
            "of {issue_date}. Perhaps this has escaped your attention. We kindly ask you to pay "
            "the outstanding balance of {balance} by {due_date}. If you have paid in the "
            "meantime, please disregard this reminder."
        ),
        LetterKind.DEMAND: (
            "Despite our reminder{previous}, we have not (fully) received payment of invoice "
            "{number} of {issue_date}. We demand that you pay the outstanding balance of "
            "{balance} by {due_date}. If you do not pay on time, we may hand the claim over for "
            "collection; the collection costs and the statutory interest will then be charged "
            "to you. If you have paid in the meantime, please disregard this demand."
        ),
    },
}

_PREVIOUS = {"nl": " van {date}", "en": " of {date}"}

_NOTHING_DUE = {
    "nl": "Er staat geen bedrag open; u hoeft niets te betalen.",
    "en": "No amount is outstanding; you need not pay anything.",
}

_QUESTIONS = {
    "nl": "Heeft u vragen over deze brief? Bel ons op {phone} of mail naar {email}.",
    "en": "Questions about this letter? Call us on {phone} or e-mail {email}.",
}


def filename(letter: Letter) -> str:
    """ "factuur-2026000123.pdf", "herinnering-…", "aanmaning-…" (en: invoice-, reminder-,
    demand-); characters other than letters, digits and "-" in the number become "-"."""
    number = re.sub(r"[^A-Za-z0-9-]+", "-", letter.invoice_number).strip("-") or "0"
    return f"{_FILE_PREFIX[letter.language][letter.kind]}-{number}.pdf"


def title(letter: Letter) -> str:
    """The document title: "Factuur 2026000123", "Herinnering: factuur 2026000123", ..."""
    if letter.kind is LetterKind.INVOICE:
        return f"{_TITLE[letter.language][letter.kind]} {letter.invoice_number}"
    invoice = _TITLE[letter.language][LetterKind.INVOICE].lower()
    return f"{_TITLE[letter.language][letter.kind]}: {invoice} {letter.invoice_number}"


# --- rendering ---------------------------------------------------------------------------------

_LEFT = 20.0  # mm
_WIDTH = 170.0  # A4 210 mm minus 20 mm margins
_RIGHT_COLUMN = 115.0  # the sender and the letter details
_NBSP = "\u00a0"


class _LetterPDF(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, self._footer_text, align="C")
        self.set_text_color(0, 0, 0)


def render_letter(letter: Letter, insurer: Insurer = INSURER) -> bytes:
    """The letter as an A4 PDF (one page; more only for extremely long names); identical input
    gives identical bytes. CPU work: from async code use :func:`render_letter_async`."""
    lang = letter.language
    labels = _LABELS[lang]

    def money(amount: Decimal) -> str:
        return format_amount(amount, lang)

    def date(day: dt.date) -> str:
        return format_date(day, lang)

    def keep(text: str) -> str:  # no line break inside an amount, a date or a number
        return text.replace(" ", _NBSP)

    month = format_month(letter.month, lang)
    reference = format_payment_reference(letter.payment_reference)
    iban = " ".join(insurer.iban[i : i + 4] for i in range(0, len(insurer.iban), 4))
    footer = labels["footer"].format(
        name=insurer.name, iban=iban, bic=insurer.bic, coc=insurer.chamber_of_commerce
    )

    pdf = _LetterPDF(pdf_text(footer))
    pdf.core_fonts_encoding = PDF_ENCODING
    pdf.set_margins(_LEFT, 15, _LEFT)
    pdf.set_auto_page_break(auto=True, margin=22)
    # Deterministic output: a fixed creation date and metadata; fpdf2 derives the file id from
    # the content and the creation date.
    pdf.set_creation_date(dt.datetime.combine(letter.letter_date, dt.time(0), tzinfo=dt.UTC))
    pdf.set_producer("collectief")
    pdf.set_creator("collectief")
    pdf.set_author(pdf_text(insurer.name))
    pdf.set_title(pdf_text(title(letter)))
    pdf.set_lang("nl-NL" if lang == "nl" else "en-GB")
    pdf.add_page()

    # Sender, top right.
    pdf.set_xy(_RIGHT_COLUMN, 15)
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.cell(75, 6, pdf_text(insurer.name), new_x="LEFT", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for line in (*insurer.address_lines, insurer.phone, insurer.email):
        pdf.cell(75, 4.5, pdf_text(line), new_x="LEFT", new_y="NEXT")

    # Addressee on the left, where a window envelope shows it ...
    pdf.set_xy(_LEFT, 50)
    pdf.set_font("Helvetica", size=10)
    for line in (letter.customer_name, *letter.address_lines):
        pdf.multi_cell(85, 5, pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    address_bottom = pdf.get_y()

    # ... and the letter's details beside it.
    due_label = labels["due_invoice" if letter.kind is LetterKind.INVOICE else "due_dunning"]
    pdf.set_y(50)
    pdf.set_font("Helvetica", size=9)
    for label, value in (
        (labels["date"], date(letter.letter_date)),
        (labels["invoice_number"], letter.invoice_number),
        (labels["issue_date"], date(letter.issue_date)),
        (labels["customer"], letter.customer_number),
        (labels["collectivity"], f"{letter.collectivity_number} {letter.collectivity_name}"),
        (labels["month"], month),
        (due_label, date(letter.due_date)),
    ):
        _row(pdf, label, value, x=_RIGHT_COLUMN, label_width=33, width=75, height=4.5)
    pdf.set_y(max(address_bottom, pdf.get_y()) + 10)

    # Title and subject.
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.cell(0, 9, pdf_text(_TITLE[lang][letter.kind]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", style="B", size=10)
    subject = labels["subject_text"].format(number=letter.invoice_number, month=month)
    pdf.multi_cell(
        _WIDTH, 5, pdf_text(f"{labels['subject']}: {subject}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)

    # Body text.
    pdf.set_font("Helvetica", size=10)
    previous = (
        _PREVIOUS[lang].format(date=keep(date(letter.previous_letter_date)))
        if letter.previous_letter_date
        else ""
    )
    body = _BODY[lang][letter.kind].format(
        month=month,
        number=letter.invoice_number,
        issue_date=keep(date(letter.issue_date)),
        due_date=keep(date(letter.due_date)),
        balance=keep(money(letter.balance)),
        previous=previous,
    )
    if letter.balance <= 0:
        body = f"{body} {_NOTHING_DUE[lang]}"
    text = f"{labels['greeting']}\n\n{body}"
    pdf.multi_cell(_WIDTH, 5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)

    # The borderel totals and the account of the invoice.
    totals = letter.borderel_totals
    pdf.set_font("Helvetica", style="B", size=10)
    pdf.cell(0, 6, pdf_text(labels["totals"].format(month=month)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.set_draw_color(160, 160, 160)
    _rule(pdf)
    for label, value in (
        (labels["premium"], money(totals.premium)),
        (labels["employer_contribution"], money(totals.employer_contribution)),
        (labels["deduction"], money(totals.deduction)),
        (labels["line_count"], format_count(totals.line_count, lang)),
    ):
        _amount_row(pdf, label, value)
    _rule(pdf)
    _amount_row(pdf, labels["amount"], money(letter.amount))
    _amount_row(pdf, labels["paid"], money(letter.paid_amount))
    pdf.set_font("Helvetica", style="B", size=10)
    _amount_row(pdf, labels["balance"], money(letter.balance))
    pdf.ln(6)

    # How to pay: the acceptgiro details with the payment reference.
    if letter.balance > 0:
        pdf.cell(0, 6, pdf_text(labels["payment"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        top = pdf.get_y()
        for label, value in (
            (labels["pay_amount"], money(letter.balance)),
            (labels["pay_iban"], f"{iban} (BIC {insurer.bic})"),
            (labels["pay_name"], insurer.name),
            (labels["pay_reference"], reference),
            (labels["pay_by"], date(letter.due_date)),
        ):
            _row(pdf, label, value, x=_LEFT, label_width=65, width=_WIDTH, height=5)
        pdf.rect(_LEFT - 2, top - 1, _WIDTH + 4, pdf.get_y() - top + 2)
        pdf.ln(6)
    pdf.set_font("Helvetica", size=10)

    # Closing.
    questions = _QUESTIONS[lang].format(phone=keep(insurer.phone), email=insurer.email)
    pdf.multi_cell(_WIDTH, 5, pdf_text(questions), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.cell(0, 5, pdf_text(labels["closing"]), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, pdf_text(insurer.name), new_x="LMARGIN", new_y="NEXT")

    return bytes(pdf.output())


def _row(
    pdf: FPDF, label: str, value: str, *, x: float, label_width: float, width: float, height: float
) -> None:
    pdf.set_x(x)
    pdf.cell(label_width, height, pdf_text(label))
    pdf.multi_cell(width - label_width, height, pdf_text(value), new_x="LEFT", new_y="NEXT")


def _amount_row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_x(_LEFT)
    pdf.cell(80, 5.5, pdf_text(label))
    pdf.cell(40, 5.5, pdf_text(value), align="R", new_x="LMARGIN", new_y="NEXT")


def _rule(pdf: FPDF) -> None:
    pdf.line(_LEFT, pdf.get_y(), _LEFT + 120, pdf.get_y())


async def render_letter_async(letter: Letter, insurer: Insurer = INSURER) -> bytes:
    """:func:`render_letter` in a worker thread, so the event loop keeps serving."""
    return await asyncio.to_thread(render_letter, letter, insurer)
