"""D3–D5, D7, D8 over real HTTP: staff make borderels, employers read them, their lines, the
correction and prolongation differences, invoices and the .dat download; bad input and another
employer's objects change nothing (B3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from exporters.dat import parse_dat
from storage import Borderel, Contract, Document, Enrollment, Invoice, Mutation, Payment, Product
from storage.enums import DocumentKind, MutationKind, PremiumCollection, ProductKind

from . import factories
from .employers import Employers, gid, make_employers, payload_of
from .http import Api, error_codes
from .inbox_steps import download

RUN = """
mutation($input: RunProlongationInput!) { runProlongation(input: $input) {
  results { collectivityId made errorCode borderel { id month totals { lineCount premium } } }
  userErrors { field code } } }
"""
BORDERELS = """
query($id: ID!) { collectivity(id: $id) {
  borderels(first: 5) { totalCount edges { node { id month
    totals { lineCount premium employerContribution deduction }
    lines(first: 100) { totalCount edges { node { kind period lastName productCode days premium
      deduction insuredId } } } } } }
  invoices { id invoiceNumber amount paidAmount balance status overdue borderel { month } } } }
"""
PAY = """
mutation($input: RegisterPaymentInput!) { registerPayment(input: $input) {
  invoice { status paidAmount balance } userErrors { field code } } }
"""
DAT = """
mutation($input: DownloadBorderelInput!) { downloadBorderel(input: $input) {
  download { url } userErrors { field code } } }
"""
CORRECTIONS = """
query($id: ID!, $month: String!) { correctionDifferences(collectivityId: $id, month: $month) {
  month premium rows { person { lastName insuredId } period premium deduction } } }
"""
DIFFERENCES = """
query($id: ID!, $from: String!, $to: String!) {
  prolongationDifferences(collectivityId: $id, fromMonth: $from, toMonth: $to) {
    oldTotal newTotal rows { person { lastName } change oldPremium newPremium difference } } }
"""


async def covered(session_factory: async_sessionmaker[AsyncSession]) -> Employers:
    """The employers' cast, every family on basic insurance (160.00 a month in 2026)."""
    cast = await make_employers(session_factory)
    async with session_factory() as db:
        basic = await factories.product(db, ProductKind.BASIC, {2026: "160.00"})
        for family in (cast.family_x1, cast.family_x2, cast.family_y1):
            await factories.cover(db, family, basic)
        await db.commit()
    return cast


async def run(api: Api, token: str, month: str, **extra: object) -> dict:
    return payload_of(
        await api.gql(RUN, {"input": {"month": month, **extra}}, token=token), "runProlongation"
    )


async def test_d3_staff_run_a_month_and_employers_read_their_borderel(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await covered(session_factory)
    staff = await api.login(cast.staff.email)
    result = await run(api, staff, "2026-12")
    assert result["userErrors"] == []
    assert {r["collectivityId"] for r in result["results"]} == {
        gid("Collectivity", c.id) for c in (cast.x1, cast.x2, cast.y1)
    }
    assert all(
        r["made"] and r["borderel"]["totals"]["premium"] == "160.00" for r in result["results"]
    )
    again = await run(api, staff, "2026-12")
    assert [r["made"] for r in again["results"]] == [False, False, False]

    main = await api.login(cast.main_x1.email)
    body = await api.gql(BORDERELS, {"id": gid("Collectivity", cast.x1.id)}, token=main)
    collectivity = payload_of(body, "collectivity")
    [edge] = collectivity["borderels"]["edges"]
    borderel = edge["node"]
    assert borderel["month"] == "2026-12"
    assert borderel["totals"] == {
        "lineCount": 1,
        "premium": "160.00",
        "employerContribution": "0.00",
        "deduction": "160.00",
    }
    [line] = [e["node"] for e in borderel["lines"]["edges"]]
    assert (line["kind"], line["period"], line["lastName"], line["days"]) == (
        "REGULAR",
        "2026-12",
        "Xander",
        31,
    )
    # D8: acceptgiro (the factory's contract) → an invoice for the borderel total.
    [invoice] = collectivity["invoices"]
    assert (invoice["amount"], invoice["balance"], invoice["status"]) == (
        "160.00",
        "160.00",
        "OPEN",
    )
    assert invoice["borderel"]["month"] == "2026-12"


async def test_d3_only_staff_run_and_bad_months_make_nothing(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await covered(session_factory)
    main = await api.login(cast.main_x1.email)
    body = await api.gql(RUN, {"input": {"month": "2026-12"}}, token=main)
    assert error_codes(body) == ["FORBIDDEN"]
    staff = await api.login(cast.staff.email)
    for month, code in (
        ("2027-02", "MONTH_OUT_OF_RANGE"),
        ("2026-13", "INVALID_MONTH"),
        ("december", "INVALID_MONTH"),
        ("2020-05", "MONTH_BEFORE_CONTRACT"),
        ("2027-01", "MONTH_WITHOUT_CONTRACT"),  # the coming month; next year's terms not in
    ):
        result = await run(api, staff, month, collectivityIds=[gid("Collectivity", cast.x1.id)])
        assert result["userErrors"] == [{"field": "month", "code": code}], month
    # One bad collectivity among good ones: refused before anything is made.
    foreign = await run(
        api,
        staff,
        "2026-12",
        collectivityIds=[gid("Collectivity", cast.x1.id), gid("Collectivity", 999_999)],
    )
    assert foreign["userErrors"] == [{"field": "collectivityIds", "code": "NOT_FOUND"}]
    async with session_factory() as db:
        assert list(await db.scalars(select(Borderel))) == []


async def test_b3_another_employers_borderel_and_invoice_are_not_found(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await covered(session_factory)
    staff = await api.login(cast.staff.email)
    await run(api, staff, "2026-12")
    async with session_factory() as db:
        borderel = await db.scalar(select(Borderel).where(Borderel.collectivity_id == cast.x1.id))
        invoice = await db.scalar(select(Invoice).where(Invoice.collectivity_id == cast.x1.id))
    other = await api.login(cast.main_y1.email)
    for type_name, key in (("Borderel", borderel.id), ("Invoice", invoice.id)):
        body = await api.gql(
            "query($id: ID!) { node(id: $id) { id } }", {"id": gid(type_name, key)}, token=other
        )
        assert error_codes(body) == ["NOT_FOUND"] or body["data"]["node"] is None
    body = await api.gql(DAT, {"input": {"borderelId": gid("Borderel", borderel.id)}}, token=other)
    assert payload_of(body, "downloadBorderel")["userErrors"] == [
        {"field": "borderelId", "code": "NOT_FOUND"}
    ]
    body = await api.gql(
        CORRECTIONS, {"id": gid("Collectivity", cast.x1.id), "month": "2026-12"}, token=other
    )
    assert error_codes(body) == ["NOT_FOUND"]
    body = await api.gql(BORDERELS, {"id": gid("Collectivity", cast.x1.id)}, token=other)
    assert error_codes(body) == ["NOT_FOUND"]


async def test_d7_the_borderel_downloads_as_a_dat_file_that_parses_back(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await covered(session_factory)
    staff = await api.login(cast.staff.email)
    await run(api, staff, "2026-12")
    async with session_factory() as db:
        borderel = await db.scalar(select(Borderel).where(Borderel.collectivity_id == cast.x1.id))
        # F1: the run put the .dat in the inbox with the borderel; a download reuses it.
        [made] = list(
            await db.scalars(
                select(Document).where(
                    Document.collectivity_id == cast.x1.id, Document.kind == DocumentKind.BORDEREL
                )
            )
        )
    main = await api.login(cast.main_x1.email)
    body = await api.gql(DAT, {"input": {"borderelId": gid("Borderel", borderel.id)}}, token=main)
    payload = payload_of(body, "downloadBorderel")
    assert payload["userErrors"] == []
    async with session_factory() as db:
        documents = await db.scalars(
            select(Document.id).where(Document.kind == DocumentKind.BORDEREL)
        )
        assert made.id in set(documents)
        count = await db.scalar(
            select(func.count()).where(
                Document.collectivity_id == cast.x1.id, Document.kind == DocumentKind.BORDEREL
            )
        )
        assert count == 1
    status, headers, content = await download(api, payload["download"]["url"], main)
    assert status == 200
    assert ".dat" in headers["Content-Disposition"]
    parsed = parse_dat(content)
    assert parsed.collectivity_number == cast.x1.collectivity_number
    assert parsed.month == dt.date(2026, 12, 1)
    assert [(ln.insured.last_name, ln.premium) for ln in parsed.lines] == [
        ("Xander", Decimal("160.00"))
    ]


async def test_d8_staff_register_payments_and_bad_ones_change_nothing(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await covered(session_factory)
    staff = await api.login(cast.staff.email)
    await run(api, staff, "2026-12")
    async with session_factory() as db:
        invoice = await db.scalar(select(Invoice).where(Invoice.collectivity_id == cast.x1.id))
    invoice_id = gid("Invoice", invoice.id)

    async def pay(token: str, amount: str, paid_on: str = "2026-12-01") -> dict:
        return await api.gql(
            PAY,
            {"input": {"invoiceId": invoice_id, "amount": amount, "paidOn": paid_on}},
            token=token,
        )

    main = await api.login(cast.main_x1.email)
    assert error_codes(await pay(main, "10.00")) == ["FORBIDDEN"]
    for amount, paid_on, code in (
        ("160.01", "2026-12-01", "PAYMENT_EXCEEDS_BALANCE"),
        ("0.00", "2026-12-01", "PAYMENT_NOT_POSITIVE"),
        ("10.00", "2026-12-05", "PAYMENT_DATE_IN_FUTURE"),
    ):
        result = payload_of(await pay(staff, amount, paid_on), "registerPayment")
        assert [e["code"] for e in result["userErrors"]] == [code]
    async with session_factory() as db:
        assert list(await db.scalars(select(Payment))) == []
    result = payload_of(await pay(staff, "60.00"), "registerPayment")
    assert result == {
        "invoice": {"status": "PARTIALLY_PAID", "paidAmount": "60.00", "balance": "100.00"},
        "userErrors": [],
    }


async def test_d4_d5_corrections_and_differences_after_a_back_dated_leave(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await covered(session_factory)
    staff = await api.login(cast.staff.email)
    x1 = [gid("Collectivity", cast.x1.id)]
    await run(api, staff, "2026-11", collectivityIds=x1)
    async with session_factory() as db:
        # A newcomer in December, and Xander left per 16 November (registered today).
        newcomer = await factories.family(
            db, cast.x1, last_name="Nieuw", start=dt.date(2026, 12, 1)
        )
        basic = (await db.scalars(select(Product))).first()
        await factories.cover(db, newcomer, basic)
        enrollment = await db.get(Enrollment, cast.family_x1.enrollments[0].id)
        enrollment.end_date = dt.date(2026, 11, 15)
        db.add(
            Mutation(
                kind=MutationKind.DEREGISTER,
                insured_id=enrollment.insured_id,
                collectivity_id=cast.x1.id,
                effective_date=dt.date(2026, 11, 15),
                registered_at=dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC),
            )
        )
        await db.commit()
    await run(api, staff, "2026-12", collectivityIds=x1)
    main = await api.login(cast.main_x1.email)
    body = await api.gql(CORRECTIONS, {"id": x1[0], "month": "2026-12"}, token=main)
    corrections = payload_of(body, "correctionDifferences")
    # November: 160.00 × 15/30 = 80.00 now, 160.00 billed → −80.00.
    assert corrections["premium"] == "-80.00"
    assert [(r["person"]["lastName"], r["period"], r["premium"]) for r in corrections["rows"]] == [
        ("Xander", "2026-11", "-80.00")
    ]
    body = await api.gql(DIFFERENCES, {"id": x1[0], "from": "2026-11", "to": "2026-12"}, token=main)
    differences = payload_of(body, "prolongationDifferences")
    assert differences["oldTotal"] == "160.00"
    assert differences["newTotal"] == "160.00"
    assert [
        (r["person"]["lastName"], r["change"], r["difference"]) for r in differences["rows"]
    ] == [
        ("Nieuw", "ADDED", "160.00"),
        ("Xander", "REMOVED", "-160.00"),
    ]
    body = await api.gql(CORRECTIONS, {"id": x1[0], "month": "2026-10"}, token=main)
    assert error_codes(body) == ["BORDEREL_NOT_MADE"]


async def test_d7_no_dat_file_once_the_month_has_no_salary_deduction(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """D7: the .dat download needs salary deduction in the borderel's month — also when the
    contract is changed after the borderel was made."""
    cast = await covered(session_factory)
    staff = await api.login(cast.staff.email)
    await run(api, staff, "2026-12", collectivityIds=[gid("Collectivity", cast.x1.id)])
    async with session_factory() as db:
        borderel = await db.scalar(select(Borderel).where(Borderel.collectivity_id == cast.x1.id))
        contract = await db.scalar(
            select(Contract).where(Contract.collectivity_id == cast.x1.id, Contract.year == 2026)
        )
        contract.premium_collection = PremiumCollection.INDIVIDUAL
        contract.payment_method = None
        await db.commit()
        documents = await db.scalar(select(func.count()).select_from(Document))
    main = await api.login(cast.main_x1.email)
    body = await api.gql(DAT, {"input": {"borderelId": gid("Borderel", borderel.id)}}, token=main)
    assert payload_of(body, "downloadBorderel") == {
        "download": None,
        "userErrors": [{"field": "borderelId", "code": "BORDEREL_NEEDS_SALARY_DEDUCTION"}],
    }
    async with session_factory() as db:
        assert await db.scalar(select(func.count()).select_from(Document)) == documents


async def test_b3_differences_of_an_unknown_collectivity_are_not_found_for_staff_too(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await covered(session_factory)
    staff = await api.login(cast.staff.email)
    body = await api.gql(
        CORRECTIONS, {"id": gid("Collectivity", 999_999), "month": "2026-12"}, token=staff
    )
    assert error_codes(body) == ["NOT_FOUND"]
