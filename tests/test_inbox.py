"""The inbox (F1, F2) and the extended insured list (C3), over HTTP: the list is made in the
background, appears in the inbox only when complete, downloads, and is read/unread; scope (B3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.clock import FixedClock
from resolvers.job_queue import DocumentDraft, JobKind
from server.job_handlers import extended_insured_list
from server.jobs import JobHandlers, JobRun, JobRunner
from storage import Document
from storage.enums import ContractLinkStatus

from . import factories
from .employers import audit_events, gid
from .http import Api, error_codes
from .inbox_steps import (
    MARK_READ,
    XLSX,
    download,
    employers_with_coverage,
    inbox,
    job_of,
    request_list,
    sheet_of,
    wait_for_job,
)


async def test_c3_f1_the_extended_list_lands_in_the_inbox_and_downloads(
    jobs_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await employers_with_coverage(session_factory)
    token = await jobs_api.login(cast.main_x1.email)

    job = (await request_list(jobs_api, token, cast.x1.id))["job"]
    finished = await wait_for_job(jobs_api, token, job["id"])
    documents = await inbox(jobs_api, token, cast.x1.id)

    assert finished["status"] == "SUCCEEDED"
    assert documents["totalCount"] == 1
    document = documents["edges"][0]["node"]
    assert document["id"] == finished["document"]["id"]
    assert document["kind"] == "EXTENDED_INSURED_LIST"
    assert document["title"].startswith("Uitgebreide verzekerdenlijst")
    assert document["filename"].endswith(".xlsx")
    assert document["mediaType"] == XLSX
    assert document["read"] is False
    assert document["readAt"] is None
    status, headers, content = await download(jobs_api, document["downloadUrl"], token)
    assert status == 200
    assert headers["Content-Type"] == XLSX
    assert document["filename"] in headers["Content-Disposition"]
    assert len(content) == document["size"]
    sheet = sheet_of(content)
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:2] == ("Achternaam", "Tussenvoegsel")
    assert "Straat" in header
    assert "Tarief basisverzekering per maand 2026" in header
    assert len(rows) == 1 + len(cast.family_x1.members)
    holder = dict(zip(header, rows[1], strict=True))
    assert holder["Achternaam"] == "Xander"
    assert holder["Straat"] == "Dorpsstraat"
    assert holder["Postcode"] == "1234 AB"
    assert holder["Basisverzekering"] == "Basis Test"
    assert Decimal(str(holder["Tarief basisverzekering per maand 2026"])) == Decimal("150.25")
    assert holder["Tandartsverzekering"] == "Tand Test"
    assert Decimal(str(holder["Tarief totaal per maand 2026"])) == Decimal("171.35")
    assert isinstance(holder["Geboortedatum"], dt.datetime)


async def test_c3_the_list_follows_the_language_of_the_request(
    jobs_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await employers_with_coverage(session_factory)
    token = await jobs_api.login(cast.main_x1.email)
    body = await jobs_api.gql(
        "mutation($i: RequestExtendedInsuredListInput!) { requestExtendedInsuredList(input: $i)"
        " { job { id } } }",
        {"i": {"collectivityId": gid("Collectivity", cast.x1.id)}},
        token=token,
        headers={"Accept-Language": "en"},
    )

    finished = await wait_for_job(
        jobs_api, token, body["data"]["requestExtendedInsuredList"]["job"]["id"]
    )
    _status, _headers, content = await download(
        jobs_api, finished["document"]["downloadUrl"], token
    )

    assert finished["document"]["title"].startswith("Extended insured list")
    assert next(sheet_of(content).iter_rows(values_only=True))[0] == "Last name"


async def test_f1_read_and_unread(
    jobs_api: Api, session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    cast = await employers_with_coverage(session_factory)
    token = await jobs_api.login(cast.main_x1.email)
    colleague = await jobs_api.login(cast.colleague_x1.email)
    for key in ("een", "twee"):
        job = (await request_list(jobs_api, token, cast.x1.id, idempotencyKey=key))["job"]
        await wait_for_job(jobs_api, token, job["id"])
    newest, oldest = [e["node"] for e in (await inbox(jobs_api, token, cast.x1.id))["edges"]]

    body = await jobs_api.gql(MARK_READ, {"input": {"documentId": oldest["id"]}}, token=colleague)
    again = await jobs_api.gql(MARK_READ, {"input": {"documentId": oldest["id"]}}, token=token)

    marked = body["data"]["markDocumentRead"]
    assert marked["userErrors"] == []
    assert marked["document"]["read"] is True
    assert marked["document"]["readAt"] == clock.now().isoformat()
    assert again["data"]["markDocumentRead"]["document"]["readAt"] == marked["document"]["readAt"]
    unread = await inbox(jobs_api, token, cast.x1.id, unread_only=True)
    assert unread["totalCount"] == 1
    assert [e["node"]["id"] for e in unread["edges"]] == [newest["id"]]
    assert (await inbox(jobs_api, token, cast.x1.id))["totalCount"] == 2
    async with session_factory() as db:
        events = await audit_events(db, action="document_marked_read")
    assert len(events) == 1
    assert events[0].actor_user_id == cast.colleague_x1.id


async def test_f1_b3_foreign_documents_and_collectivities_are_not_found(
    jobs_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await employers_with_coverage(session_factory)
    owner = await jobs_api.login(cast.main_x1.email)
    stranger = await jobs_api.login(cast.main_y1.email)
    job = (await request_list(jobs_api, owner, cast.x1.id))["job"]
    document_id = (await wait_for_job(jobs_api, owner, job["id"]))["document"]["id"]

    marked = await jobs_api.gql(MARK_READ, {"input": {"documentId": document_id}}, token=stranger)
    node = await jobs_api.gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": document_id}, token=stranger
    )
    listed = await jobs_api.gql(
        "query($id: ID!) { collectivity(id: $id) { documents { totalCount } } }",
        {"id": gid("Collectivity", cast.x1.id)},
        token=stranger,
    )
    requested = await request_list(jobs_api, stranger, cast.x1.id)
    made_up = await jobs_api.gql(
        MARK_READ, {"input": {"documentId": gid("Document", 999999)}}, token=owner
    )
    wrong_type = await jobs_api.gql(MARK_READ, {"input": {"documentId": job["id"]}}, token=owner)

    assert [e["code"] for e in marked["data"]["markDocumentRead"]["userErrors"]] == ["NOT_FOUND"]
    assert error_codes(node) == ["NOT_FOUND"]
    assert error_codes(listed) == ["NOT_FOUND"]
    assert requested == {
        "job": None,
        "userErrors": [
            {"field": "collectivityId", "code": "NOT_FOUND", "message": "Niet gevonden."}
        ],
    }
    assert made_up["data"]["markDocumentRead"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert wrong_type["data"]["markDocumentRead"]["userErrors"][0]["code"] == "NOT_FOUND"
    unread = await inbox(jobs_api, owner, cast.x1.id, unread_only=True)
    assert unread["totalCount"] == 1


async def test_f1_b1_users_of_a_linked_collectivity_see_its_inbox(
    jobs_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await employers_with_coverage(session_factory)
    async with session_factory() as db:
        await factories.link(db, cast.x2, cast.x1, ContractLinkStatus.ACTIVE)
        await db.commit()
    owner = await jobs_api.login(cast.main_x1.email)
    linked = await jobs_api.login(cast.main_x2.email)
    job = (await request_list(jobs_api, owner, cast.x1.id))["job"]
    await wait_for_job(jobs_api, owner, job["id"])

    documents = await inbox(jobs_api, linked, cast.x1.id)
    status, _headers, content = await download(
        jobs_api, documents["edges"][0]["node"]["downloadUrl"], linked
    )

    assert documents["totalCount"] == 1
    assert status == 200
    assert sheet_of(content).max_row == 2


async def test_b4_staff_read_the_inbox_but_do_not_change_it(
    jobs_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await employers_with_coverage(session_factory)
    owner = await jobs_api.login(cast.main_x1.email)
    staff = await jobs_api.login(cast.staff.email)
    job = (await request_list(jobs_api, owner, cast.x1.id))["job"]
    document_id = (await wait_for_job(jobs_api, owner, job["id"]))["document"]["id"]

    documents = await inbox(jobs_api, staff, cast.x1.id)
    marked = await jobs_api.gql(MARK_READ, {"input": {"documentId": document_id}}, token=staff)
    requested = await jobs_api.gql(
        "mutation($i: RequestExtendedInsuredListInput!) { requestExtendedInsuredList(input: $i)"
        " { job { id } } }",
        {"i": {"collectivityId": gid("Collectivity", cast.x1.id)}},
        token=staff,
    )
    status, _headers, _content = await download(
        jobs_api, documents["edges"][0]["node"]["downloadUrl"], staff
    )

    assert documents["totalCount"] == 1
    assert error_codes(marked) == ["FORBIDDEN"]
    assert error_codes(requested) == ["FORBIDDEN"]
    assert status == 200
    async with session_factory() as db:
        downloads = await audit_events(db, action="document_downloaded")
    assert [e.actor_user_id for e in downloads] == [cast.staff.id]


async def test_f2_the_inbox_shows_no_document_of_a_job_still_running(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    cast = await employers_with_coverage(session_factory)
    token = await quiet_api.login(cast.main_x1.email)
    job_id = (await request_list(quiet_api, token, cast.x1.id))["job"]["id"]
    seen: list[int] = []

    async def looks_at_the_inbox_while_working(run: JobRun) -> DocumentDraft:
        seen.append((await inbox(quiet_api, token, cast.x1.id))["totalCount"])
        draft = await extended_insured_list(run)
        seen.append((await inbox(quiet_api, token, cast.x1.id))["totalCount"])
        return draft

    handlers = JobHandlers()
    handlers.register(JobKind.EXTENDED_INSURED_LIST, looks_at_the_inbox_while_working)
    await JobRunner(session_factory, clock, handlers).run_once()

    assert seen == [0, 0]
    assert (await inbox(quiet_api, token, cast.x1.id))["totalCount"] == 1
    async with session_factory() as db:
        document_id = await db.scalar(select(Document.id))
    finished = await job_of(quiet_api, token, job_id)
    assert finished["document"]["id"] == gid("Document", document_id or 0)


async def test_c3_requesting_the_list_is_audited(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await employers_with_coverage(session_factory)
    token = await quiet_api.login(cast.main_x1.email)

    await request_list(quiet_api, token, cast.x1.id)

    async with session_factory() as db:
        events = await audit_events(db, action="extended_insured_list_requested")
    assert len(events) == 1
    assert events[0].collectivity_id == cast.x1.id
    assert events[0].actor_user_id == cast.main_x1.id
