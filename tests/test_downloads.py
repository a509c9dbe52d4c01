"""Downloads (C2, F1, G5): one route for every file; short-lived links bound to the user who asked,
refused for anyone else, after expiry and when altered; streamed with name and type."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.clock import FixedClock
from resolvers.download_links import LINK_LIFETIME
from storage.enums import ContractLinkStatus

from . import factories
from .employers import audit_events, gid, make_employers
from .http import Api, error_codes
from .inbox_steps import XLSX, download, overview_link, sheet_of


async def test_g5_the_overview_link_downloads_for_its_user(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    cast = await make_employers(session_factory)
    token = await quiet_api.login(cast.main_x1.email)

    payload = await overview_link(quiet_api, token, cast.x1.id)
    status, headers, content = await download(quiet_api, payload["download"]["url"], token)

    assert payload["userErrors"] == []
    assert payload["download"]["url"].startswith("/downloads/")
    expires = dt.datetime.fromisoformat(payload["download"]["expiresAt"])
    assert expires == (clock.now() + LINK_LIFETIME).replace(microsecond=0)
    assert status == 200
    assert headers["Content-Type"] == XLSX
    filename = f"verzekerden-{cast.x1.collectivity_number}-2026-12-04.xlsx"
    assert headers["Content-Disposition"].startswith(f'attachment; filename="{filename}"')
    assert headers["Cache-Control"] == "no-store"
    assert int(headers["Content-Length"]) == len(content)
    assert sheet_of(content).max_row == 1 + len(cast.family_x1.members)


async def test_g5_a_session_cookie_works_too(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_employers(session_factory)
    token = await quiet_api.login(cast.main_x1.email)
    url = (await overview_link(quiet_api, token, cast.x1.id))["download"]["url"]

    status, _headers, _content = await download(
        quiet_api, url, Cookie=f"collectief_session={token}"
    )

    assert status == 200


async def test_g5_a_link_of_user_a_is_refused_for_user_b(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_employers(session_factory)
    owner = await quiet_api.login(cast.main_x1.email)
    colleague = await quiet_api.login(cast.colleague_x1.email)  # same collectivity, other user
    stranger = await quiet_api.login(cast.main_y1.email)
    url = (await overview_link(quiet_api, owner, cast.x1.id))["download"]["url"]

    for other in (colleague, stranger):
        status, headers, content = await download(quiet_api, url, other)
        assert status == 404
        assert headers["Content-Type"].startswith("application/json")
        assert b"NOT_FOUND" in content
    status, _headers, content = await download(quiet_api, url)
    assert status == 401
    assert b"UNAUTHENTICATED" in content
    status, _headers, _content = await download(quiet_api, url, owner)
    assert status == 200


async def test_g5_a_link_is_refused_after_it_expires(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    cast = await make_employers(session_factory)
    token = await quiet_api.login(cast.main_x1.email)
    url = (await overview_link(quiet_api, token, cast.x1.id))["download"]["url"]

    clock.advance(LINK_LIFETIME - dt.timedelta(seconds=1))
    before, _headers, _content = await download(quiet_api, url, token)
    clock.advance(dt.timedelta(seconds=1))
    after, _headers, content = await download(quiet_api, url, token)

    assert before == 200
    assert after == 410
    assert b"LINK_EXPIRED" in content


async def test_g5_an_altered_link_is_refused(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_employers(session_factory)
    token = await quiet_api.login(cast.main_x1.email)
    url = (await overview_link(quiet_api, token, cast.x1.id))["download"]["url"]
    prefix, sealed = url.rsplit("/", 1)
    flipped = sealed[:40] + ("A" if sealed[40] != "A" else "B") + sealed[41:]

    for bad in (f"{prefix}/{flipped}", f"{prefix}/{sealed[:-4]}", f"{prefix}/x", f"{url}x"):
        status, _headers, content = await download(quiet_api, bad, token)
        assert status == 404, bad
        assert b"NOT_FOUND" in content


async def test_g5_a_link_made_with_another_secret_is_refused(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    from resolvers.download_links import DownloadKind, DownloadLinks, DownloadTicket, derive_key

    cast = await make_employers(session_factory)
    token = await quiet_api.login(cast.main_x1.email)
    forged = DownloadLinks(key=derive_key("a guessed secret, long enough to pass"), base_url="")
    link = forged.issue(
        DownloadTicket(
            kind=DownloadKind.INSURED_OVERVIEW,
            user_id=cast.main_x1.id,
            collectivity_id=cast.x1.id,
            expires_at=clock.now() + LINK_LIFETIME,
        )
    )

    status, _headers, _content = await download(quiet_api, link.url, token)

    assert status == 404


async def test_b3_a_link_stops_working_when_the_collectivity_leaves_the_scope(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_employers(session_factory)
    async with session_factory() as db:
        link = await factories.link(db, cast.x2, cast.x1, ContractLinkStatus.ACTIVE)
        await db.commit()
    token = await quiet_api.login(cast.main_x2.email)
    url = (await overview_link(quiet_api, token, cast.x1.id))["download"]["url"]
    async with session_factory() as db:
        await db.delete(await db.merge(link))
        await db.commit()

    status, _headers, _content = await download(quiet_api, url, token)

    assert status == 404


async def test_c2_b3_foreign_collectivity_ids_are_not_found(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_employers(session_factory)
    token = await quiet_api.login(cast.main_x1.email)

    foreign = await overview_link(quiet_api, token, cast.y1.id)
    made_up = await overview_link(quiet_api, token, 999_999)
    wrong_type = await quiet_api.gql(
        "mutation($i: DownloadInsuredOverviewInput!) { downloadInsuredOverview(input: $i) "
        "{ download { url } userErrors { field code } } }",
        {"i": {"collectivityId": gid("User", cast.main_x1.id)}},
        token=token,
    )
    anonymous = await quiet_api.gql(
        "mutation($i: DownloadInsuredOverviewInput!) { downloadInsuredOverview(input: $i) "
        "{ download { url } } }",
        {"i": {"collectivityId": gid("Collectivity", cast.x1.id)}},
    )

    for payload in (foreign, made_up, wrong_type["data"]["downloadInsuredOverview"]):
        assert payload["download"] is None
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            ("collectivityId", "NOT_FOUND")
        ]
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_a9_b4_links_and_downloads_are_audited_without_filter_values(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_employers(session_factory)
    staff = await quiet_api.login(cast.staff.email)
    secret = cast.family_x1.members[0].bsn
    payload = await overview_link(
        quiet_api, staff, cast.x1.id, search={"by": "BSN", "value": secret}
    )

    status, _headers, content = await download(quiet_api, payload["download"]["url"], staff)

    assert status == 200
    assert sheet_of(content).max_row == 2
    assert secret not in payload["download"]["url"]
    async with session_factory() as db:
        issued = await audit_events(db, action="insured_overview_link_issued")
        downloaded = await audit_events(db, action="insured_overview_downloaded")
    assert [(e.actor_user_id, e.collectivity_id) for e in issued] == [(cast.staff.id, cast.x1.id)]
    assert [e.actor_user_id for e in downloaded] == [cast.staff.id]
    for event in issued + downloaded:
        assert secret not in str(event.details)


async def test_c2_a_bad_filter_is_a_user_error_when_the_link_is_asked_for(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_employers(session_factory)
    token = await quiet_api.login(cast.main_x1.email)

    payload = await overview_link(
        quiet_api, token, cast.x1.id, search={"by": "BSN", "value": "123456789"}
    )

    assert payload["download"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["BSN_INVALID"]
