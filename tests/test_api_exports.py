"""E1–E3 over real HTTP: the exporters offered, exportBorderel into RAET with a download and an
inbox document, the remembered choice, problems listing the insured to fix, bad input naming the
exporter, another employer's borderel (B3), and plugins that raise or hang (the server unharmed,
nothing stored)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from types import MappingProxyType
from typing import Any, BinaryIO

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from exporters.borderel import Borderel as BorderelModel
from exporters.exporter import BaseExporter, Problem
from exporters.raet import RaetExporter
from exporters.registry import Registry
from exporters.running import run_export
from resolvers.borderel_model import borderel_model
from resolvers.clock import FixedClock
from server.app import create_app
from server.settings import Settings
from storage import AuditEvent, Borderel, Document, Enrollment, ExporterChoice
from storage.enums import DocumentKind, ProductKind, Relation

from . import factories
from .employers import Employers, gid, make_employers, payload_of
from .http import Api, error_codes
from .inbox_steps import download

EXPORTERS = """
{ exporters { name title extension mediaType
  options { name type default description choices required } } }
"""
EXPORT = """
mutation($input: ExportBorderelInput!) { exportBorderel(input: $input) {
  download { url expiresAt }
  document { id kind filename mediaType size }
  problems { code message insured { insuredPersonId name policyNumber relation } }
  userErrors { field code message } } }
"""
CHOICE = """
query($id: ID!) { collectivity(id: $id) {
  exporterChoice { exporterName options { name value } exporter { name } } } }
"""
RUN = """
mutation($input: RunProlongationInput!) { runProlongation(input: $input) {
  results { made } userErrors { code } } }
"""
IDENTIFICATION = {"name": "identification", "value": "12345678"}


async def borderels_made(
    api: Api, session_factory: async_sessionmaker[AsyncSession], *, numbered: bool
) -> tuple[Employers, dict[int, Borderel]]:
    """The employers' cast on basic insurance, x1's policyholder with employee number 4711 when
    ``numbered``; staff make the December 2026 borderels over HTTP."""
    cast = await make_employers(session_factory)
    async with session_factory() as db:
        basic = await factories.product(db, ProductKind.BASIC, {2026: "160.00"})
        for family in (cast.family_x1, cast.family_x2, cast.family_y1):
            await factories.cover(db, family, basic)
        if numbered:
            await db.execute(
                update(Enrollment)
                .where(
                    Enrollment.insured_id == cast.family_x1.members[0].id,
                    Enrollment.relation == Relation.POLICYHOLDER,
                )
                .values(employee_number="4711")
            )
        await db.commit()
    staff = await api.login(cast.staff.email)
    body = await api.gql(RUN, {"input": {"month": "2026-12"}}, token=staff)
    assert payload_of(body, "runProlongation")["userErrors"] == []
    async with session_factory() as db:
        rows = {b.collectivity_id: b for b in await db.scalars(select(Borderel))}
    return cast, rows


async def export(api: Api, token: str, borderel: Borderel, **input: Any) -> dict[str, Any]:
    variables = {"input": {"borderelId": gid("Borderel", borderel.id), **input}}
    return payload_of(await api.gql(EXPORT, variables, token=token), "exportBorderel")


async def stored(session_factory: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    """(export documents, remembered choices)."""
    async with session_factory() as db:
        documents = list(
            await db.scalars(select(Document).where(Document.kind == DocumentKind.EXPORT))
        )
        choices = list(await db.scalars(select(ExporterChoice)))
    return len(documents), len(choices)


async def test_e1_exporters_lists_the_loaded_formats_with_their_options(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_employers(session_factory)
    assert error_codes(await api.gql(EXPORTERS)) == ["UNAUTHENTICATED"]
    token = await api.login(cast.colleague_x1.email)
    listed = payload_of(await api.gql(EXPORTERS, token=token), "exporters")
    names = [e["name"] for e in listed]
    assert names == sorted(names)
    [raet] = [e for e in listed if e["name"] == "raet"]
    assert (raet["extension"], raet["mediaType"]) == ("txt", "text/plain")
    options = {o["name"]: o for o in raet["options"]}
    assert options["identification"]["required"] is True
    assert options["identification"]["default"] is None
    assert (options["hash"]["type"], options["hash"]["default"]) == ("BOOLEAN", "true")
    assert options["encoding"]["type"] == "CHOICE"
    assert "cp1252" in options["encoding"]["choices"]


async def test_e3_raet_export_downloads_the_exporters_bytes_and_is_remembered(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast, borderels = await borderels_made(api, session_factory, numbered=True)
    borderel = borderels[cast.x1.id]
    token = await api.login(cast.main_x1.email)
    collectivity = {"id": gid("Collectivity", cast.x1.id)}
    assert payload_of(await api.gql(CHOICE, collectivity, token=token), "collectivity") == {
        "exporterChoice": None
    }

    result = await export(
        api,
        token,
        borderel,
        exporter="raet",
        options=[IDENTIFICATION, {"name": "hash", "value": "false"}],
    )
    assert result["userErrors"] == []
    assert result["problems"] == []
    async with session_factory() as db:
        model: BorderelModel = await borderel_model(db, borderel)
    expected = await run_export(
        RaetExporter(), model, {"identification": "12345678", "hash": False}, timeout=10
    )
    assert expected.content is not None
    assert expected.content.startswith(b"A12345678")
    assert b"4711" in expected.content
    status, headers, content = await download(api, result["download"]["url"], token)
    assert status == 200
    assert content == expected.content
    document = result["document"]
    assert document["kind"] == "EXPORT"
    assert document["filename"] == f"raet-{cast.x1.collectivity_number}-2026-12.txt"
    assert (document["mediaType"], document["size"]) == ("text/plain", len(content))
    assert "raet-" in headers["Content-Disposition"]

    # Remembered for the collectivity: every user in scope sees it, and it is the default.
    colleague = await api.login(cast.colleague_x1.email)
    choice = payload_of(await api.gql(CHOICE, collectivity, token=colleague), "collectivity")[
        "exporterChoice"
    ]
    assert choice["exporterName"] == "raet"
    assert choice["exporter"] == {"name": "raet"}
    values = {o["name"]: o["value"] for o in choice["options"]}
    assert values["identification"] == "12345678"
    assert values["hash"] == "false"
    assert values["encoding"] == "cp1252"
    again = await export(api, colleague, borderel)
    assert again["userErrors"] == []
    # Same exporter and options → the same bytes → the inbox keeps one document.
    assert again["document"]["id"] == document["id"]
    # An option given now overrides the remembered one; the rest stay remembered.
    hashed = await export(api, colleague, borderel, options=[{"name": "hash", "value": "true"}])
    assert hashed["userErrors"] == []
    assert hashed["document"]["id"] != document["id"]
    _status, _headers, with_hash = await download(api, hashed["download"]["url"], colleague)
    assert with_hash.startswith(b"A12345678")
    assert with_hash != content
    assert await stored(session_factory) == (2, 1)
    async with session_factory() as db:
        events = list(
            await db.scalars(select(AuditEvent).where(AuditEvent.action == "borderel_exported"))
        )
    assert len(events) == 3


async def test_e3_missing_employee_numbers_list_the_insured_and_store_nothing(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast, borderels = await borderels_made(api, session_factory, numbered=False)
    token = await api.login(cast.main_x1.email)
    result = await export(
        api, token, borderels[cast.x1.id], exporter="raet", options=[IDENTIFICATION]
    )
    policyholder = cast.family_x1.members[0]
    assert result["download"] is None
    assert result["document"] is None
    [problem] = result["problems"]
    assert problem["code"] == "MISSING_EMPLOYEE_NUMBER"
    assert problem["insured"] == {
        "insuredPersonId": gid("InsuredPerson", policyholder.id),
        "name": "J. Xander",
        "policyNumber": cast.family_x1.policy.policy_number,
        "relation": "POLICYHOLDER",
    }
    [error] = result["userErrors"]
    assert (error["field"], error["code"]) == ("borderelId", "EMPLOYEE_NUMBER_MISSING")
    assert "J. Xander" in error["message"]
    assert cast.family_x1.policy.policy_number in error["message"]
    assert "werknemersnummer" in error["message"]  # Dutch by default (G6)
    assert await stored(session_factory) == (0, 0)


async def test_e1_bad_exporter_or_options_name_the_exporter_and_store_nothing(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast, borderels = await borderels_made(api, session_factory, numbered=True)
    borderel = borderels[cast.x1.id]
    token = await api.login(cast.main_x1.email)

    result = await export(api, token, borderel)
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        ("exporter", "VALUE_REQUIRED")
    ]
    result = await export(api, token, borderel, exporter="lotus123")
    [error] = result["userErrors"]
    assert (error["field"], error["code"]) == ("exporter", "EXPORTER_UNKNOWN")
    assert "lotus123" in error["message"]
    for options, field, words in (
        ([IDENTIFICATION, {"name": "hash", "value": "maybe"}], "options.hash", ["maybe"]),
        (
            [IDENTIFICATION, {"name": "zero_amounts", "value": "12"}],
            "options.zero_amounts",
            ["12"],
        ),
        ([{"name": "identification", "value": "1234"}], "options.identification", ["1234"]),
        ([], "options.identification", []),
        ([IDENTIFICATION, {"name": "colour", "value": "red"}], "options.colour", []),
        ([IDENTIFICATION, IDENTIFICATION], "options.identification", []),
        ([IDENTIFICATION, {"name": "encoding", "value": "ebcdic"}], "options.encoding", []),
    ):
        result = await export(api, token, borderel, exporter="raet", options=options)
        [error] = result["userErrors"]
        assert (error["field"], error["code"]) == (field, "EXPORT_OPTIONS_INVALID"), options
        option = field.removeprefix("options.")
        for word in ["raet", option, *words]:
            assert word in error["message"], (word, error["message"])
        assert result["download"] is None
    body = await api.gql(
        EXPORT,
        {"input": {"borderelId": gid("Borderel", borderel.id), "exporter": "lotus123"}},
        token=token,
        headers={"Accept-Language": "en"},
    )
    assert payload_of(body, "exportBorderel")["userErrors"][0]["message"].startswith(
        "There is no export format lotus123"
    )
    assert await stored(session_factory) == (0, 0)


async def test_b3_another_employers_borderel_is_not_found(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast, borderels = await borderels_made(api, session_factory, numbered=True)
    other = await api.login(cast.main_y1.email)
    for borderel_id in (gid("Borderel", borderels[cast.x1.id].id), gid("Borderel", 999_999)):
        body = await api.gql(
            EXPORT,
            {
                "input": {
                    "borderelId": borderel_id,
                    "exporter": "raet",
                    "options": [IDENTIFICATION],
                }
            },
            token=other,
        )
        assert payload_of(body, "exportBorderel")["userErrors"] == [
            {"field": "borderelId", "code": "NOT_FOUND", "message": "Niet gevonden."}
        ]
    body = await api.gql(CHOICE, {"id": gid("Collectivity", cast.x1.id)}, token=other)
    assert error_codes(body) == ["NOT_FOUND"]
    assert await stored(session_factory) == (0, 0)


# --- plugins that raise or hang, handed to the app in its registry -----------------------------

RELEASE = threading.Event()


class Boom(BaseExporter):
    name = "boom"
    title = "Raises in write"
    extension = "txt"
    media_type = "text/plain"

    def write(self, borderel: BorderelModel, options: Mapping[str, Any], stream: BinaryIO) -> None:
        stream.write(b"half a file")
        raise RuntimeError("disk on fire")


class Hang(BaseExporter):
    name = "hang"
    title = "Never finishes"
    extension = "txt"
    media_type = "text/plain"

    def problems(self, borderel: BorderelModel, options: Mapping[str, Any]) -> list[Problem]:
        RELEASE.wait(30)  # released when the test ends; the portal has given up long before
        return []

    def write(self, borderel: BorderelModel, options: Mapping[str, Any], stream: BinaryIO) -> None:
        stream.write(b"too late")


def registry_with(*extra: BaseExporter) -> Registry:
    exporters = {"raet": RaetExporter(), **{e.name: e for e in extra}}
    return Registry(
        exporters=MappingProxyType(exporters),
        providers=MappingProxyType(dict.fromkeys(exporters, "tests")),
        plugins=("tests",),
        failures=(),
    )


@pytest.fixture
def released() -> Iterator[None]:
    RELEASE.clear()
    try:
        yield
    finally:
        RELEASE.set()


@contextlib.asynccontextmanager
async def serving(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, registry: Registry
) -> AsyncIterator[Api]:
    app = create_app(settings, engine=engine, clock=clock, exporters=registry)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as http:
            yield Api(base_url=str(server.make_url("")).rstrip("/"), http=http)
    finally:
        await server.close()


async def test_e1_a_plugin_that_raises_or_hangs_is_export_failed_and_the_server_answers(
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
    released: None,
) -> None:
    limited = dataclasses.replace(settings, export_timeout_seconds=0.5)
    async with serving(engine, limited, clock, registry_with(Boom(), Hang())) as api:
        cast, borderels = await borderels_made(api, session_factory, numbered=True)
        borderel = borderels[cast.x1.id]
        token = await api.login(cast.main_x1.email)
        listed = payload_of(await api.gql(EXPORTERS, token=token), "exporters")
        assert [e["name"] for e in listed] == ["boom", "hang", "raet"]

        result = await export(api, token, borderel, exporter="boom")
        [error] = result["userErrors"]
        assert (error["field"], error["code"]) == ("exporter", "EXPORT_FAILED")
        assert "boom" in error["message"]
        assert "disk on fire" not in error["message"]  # the plugin's text is not shown

        started = time.monotonic()
        hanging = asyncio.create_task(export(api, token, borderel, exporter="hang"))
        # While the plugin hangs, the server keeps answering other requests.
        body = await api.gql(EXPORTERS, token=token)
        assert "errors" not in body
        result = await hanging
        assert time.monotonic() - started < 10
        [error] = result["userErrors"]
        assert (error["field"], error["code"]) == ("exporter", "EXPORT_FAILED")
        assert "hang" in error["message"]
        assert result["download"] is None
        assert await stored(session_factory) == (0, 0)

        # Nothing is broken: a good exporter still works afterwards.
        result = await export(api, token, borderel, exporter="raet", options=[IDENTIFICATION])
        assert result["userErrors"] == []
        assert await stored(session_factory) == (1, 1)


async def test_e1_two_users_exporting_at_once_leave_one_remembered_choice(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast, borderels = await borderels_made(api, session_factory, numbered=True)
    borderel = borderels[cast.x1.id]
    main = await api.login(cast.main_x1.email)
    colleague = await api.login(cast.colleague_x1.email)
    results = await asyncio.gather(
        export(api, main, borderel, exporter="raet", options=[IDENTIFICATION]),
        export(
            api,
            colleague,
            borderel,
            exporter="raet",
            options=[{"name": "identification", "value": "87654321"}],
        ),
    )
    assert [r["userErrors"] for r in results] == [[], []]
    async with session_factory() as db:
        [choice] = list(await db.scalars(select(ExporterChoice)))
    assert choice.collectivity_id == cast.x1.id
    assert choice.options["identification"] in {"12345678", "87654321"}


async def test_e1_a_plugin_that_cannot_load_is_logged_and_the_server_starts(
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    allow = dataclasses.replace(settings, exporters=("not-installed",))
    cast = await make_employers(session_factory)
    with caplog.at_level("WARNING", logger="collectief.server"):
        app = create_app(allow, engine=engine, clock=clock)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
    try:
        async with ClientSession() as http:
            api = Api(base_url=str(server.make_url("")).rstrip("/"), http=http)
            token = await api.login(cast.main_x1.email)
            listed = payload_of(await api.gql(EXPORTERS, token=token), "exporters")
    finally:
        await server.close()
    assert "raet" in [e["name"] for e in listed]
    [record] = [r for r in caplog.records if r.getMessage() == "exporter plugin not loaded"]
    assert record.plugin == "not-installed"  # type: ignore[attr-defined]
    assert "not installed" in record.error  # type: ignore[attr-defined]
