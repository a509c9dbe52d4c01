"""API conventions (G2, G3, G4, G6): error codes, masking, limits, language, the committed SDL."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import pytest
import strawberry
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.clock import FixedClock
from schema.errors import shape_errors
from schema.sdl import export_sdl
from server.app import create_app
from server.settings import Settings

from . import factories
from .http import LOGIN, Api, error_codes

ROOT = Path(__file__).resolve().parent.parent


def test_g5_committed_sdl_is_current() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == export_sdl(), "schema.graphql is stale: run `collectief export-schema`"


async def test_g2_parse_error_has_a_code(api: Api) -> None:
    body = await api.gql("{ me { ")
    assert error_codes(body) == ["GRAPHQL_PARSE_FAILED"]


async def test_g2_unknown_field_is_a_validation_error(api: Api) -> None:
    body = await api.gql("{ nope }")
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_g2_wrong_variable_type_is_a_validation_error(api: Api) -> None:
    body = await api.gql(
        "query($id: ID!) { collectivity(id: $id) { id } }", {"id": {"not": "an id"}}
    )
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"query=%7Bme%7D", "application/x-www-form-urlencoded"),
        (b"[]", "application/json"),
        (b'{"query": 12}', "application/json"),
    ],
)
async def test_g2_bad_http_bodies_get_json_errors_not_500(
    api: Api, raw: bytes, content_type: str
) -> None:
    async with api.http.post(
        f"{api.base_url}/graphql", data=raw, headers={"Content-Type": content_type}
    ) as response:
        assert response.status == 400
        body = await response.json()
    assert error_codes(body) == ["BAD_REQUEST"]


async def test_g4_depth_limit(api: Api) -> None:
    shallow = "{ me { homeCollectivity { customer { id } } } }"
    assert error_codes(await api.gql(shallow)) == ["UNAUTHENTICATED"]
    inner = "collectivity { id }"
    for _ in range(6):
        inner = f"collectivity {{ insuredPersons {{ edges {{ node {{ {inner} }} }} }} }}"
    nested = f'{{ node(id: "x") {{ ... on InsuredPerson {{ {inner} }} }} }}'
    assert error_codes(await api.gql(nested)) == ["QUERY_TOO_COMPLEX"]


async def test_g4_alias_limit(api: Api) -> None:
    query = "{ " + " ".join(f"a{i}: me {{ user {{ id }} }}" for i in range(31)) + " }"
    assert error_codes(await api.gql(query)) == ["QUERY_TOO_COMPLEX"]


async def test_g4_token_limit(api: Api) -> None:
    query = "{ me { " + "__typename " * 3100 + "} }"
    assert error_codes(await api.gql(query)) == ["QUERY_TOO_COMPLEX"]


async def test_g4_batched_requests_are_refused(api: Api) -> None:
    async with api.http.post(
        f"{api.base_url}/graphql", json=[{"query": "{ __typename }"}] * 2
    ) as response:
        assert response.status == 400
        body = await response.json()
    assert error_codes(body) == ["BAD_REQUEST"]


async def test_g6_messages_are_dutch_by_default_and_english_on_request(api: Api) -> None:
    dutch = await api.gql("{ me { user { id } } }")
    english = await api.gql("{ me { user { id } } }", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert error_codes(dutch) == error_codes(english) == ["UNAUTHENTICATED"]
    assert "niet ingelogd" in dutch["errors"][0]["message"]
    assert "not logged in" in english["errors"][0]["message"]


async def test_g6_user_errors_follow_the_language(api: Api) -> None:
    variables = {"input": {"email": "x@y.nl", "password": "zzzzzzzzzzzzzzzz"}}
    body = await api.gql(LOGIN, variables, headers={"Accept-Language": "en"})
    assert body["data"]["login"]["userErrors"] == [
        {
            "field": "password",
            "code": "INVALID_CREDENTIALS",
            "message": "The e-mail address or the password is incorrect.",
        }
    ]


async def test_g4_production_hides_introspection_and_graphiql(
    engine: AsyncEngine, session_factory, tmp_path: Path, clock: FixedClock
) -> None:
    settings = Settings.from_env(
        {"COLLECTIEF_ENVIRONMENT": "production"},
        data_dir=tmp_path,
        totp_key=Fernet.generate_key().decode(),
        secret_key=secrets.token_urlsafe(48),
    )
    server = TestServer(create_app(settings, engine=engine, clock=clock), host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as http:
            api = Api(str(server.make_url("")).rstrip("/"), http)
            body = await api.gql("{ __schema { types { name } } }")
            assert set(error_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
            assert body["data"] is None
            body = await api.gql("{ mee { id } }")
            assert "Did you mean" not in body["errors"][0]["message"]
            async with http.get(
                f"{api.base_url}/graphql", headers={"Accept": "text/html"}
            ) as response:
                assert response.status == 404
    finally:
        await server.close()


async def test_g4_development_serves_graphiql(api: Api) -> None:
    async with api.http.get(f"{api.base_url}/graphql", headers={"Accept": "text/html"}) as response:
        assert response.status == 200
        assert "graphiql" in (await response.text()).lower()


def test_g4_unexpected_errors_are_masked_and_logged_without_the_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "".join(["111", "222", "333"])  # not in the source lines of the traceback

    @strawberry.type
    class Query:
        @strawberry.field
        def boom(self) -> str:
            raise RuntimeError(f"value {secret} must never reach a client or a log")

    class Schema(strawberry.Schema):
        def process_errors(self, errors, execution_context=None) -> None:
            shape_errors(errors, execution_context)

    with caplog.at_level(logging.ERROR, logger="collectief.graphql"):
        result = Schema(query=Query).execute_sync("{ boom }")
    (error,) = result.errors
    assert error.extensions["code"] == "INTERNAL_SERVER_ERROR"
    assert secret not in error.message
    assert error.extensions["reference"] in error.message
    (record,) = caplog.records
    assert record.reference == error.extensions["reference"]
    assert secret not in record.getMessage()
    assert secret not in str(vars(record))


async def test_g3_money_and_dates_are_strings(api: Api, session_factory) -> None:
    async with session_factory() as db:
        home = await factories.collectivity(db)
        user = await factories.user(db, home)
        await db.commit()
    token = await api.login(user.email)
    body = await api.gql(
        "{ me { homeCollectivity { contract { startDate discountPercentage } } } }", token=token
    )
    contract = body["data"]["me"]["homeCollectivity"]["contract"]
    assert contract == {"startDate": "2026-01-01", "discountPercentage": "10.00"}


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("PUT", "/graphql", 405, "METHOD_NOT_ALLOWED"),
        ("DELETE", "/graphql", 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/nothing-here", 404, "ROUTE_NOT_FOUND"),
    ],
)
async def test_g2_http_errors_are_json_with_a_code(
    api: Api, method: str, path: str, status: int, code: str
) -> None:
    async with api.http.request(method, f"{api.base_url}{path}") as response:
        assert response.status == status
        assert response.content_type == "application/json"
        assert error_codes(await response.json()) == [code]


async def test_g4_oversized_body_is_refused_with_a_code(api: Api) -> None:
    big = {"query": "{ __typename }", "variables": {"x": "a" * (1024 * 1024 + 10)}}
    async with api.http.post(f"{api.base_url}/graphql", json=big) as response:
        assert response.status == 413
        assert error_codes(await response.json()) == ["REQUEST_TOO_LARGE"]


async def test_a8_logout_expires_the_cookie_with_its_attributes(api: Api, session_factory) -> None:
    async with session_factory() as db:
        user = await factories.user(db, await factories.collectivity(db))
        await db.commit()
    token = await api.login(user.email)
    async with api.http.post(
        f"{api.base_url}/graphql",
        json={"query": "mutation { logout { userErrors { code } } }"},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        cookie = response.cookies["collectief_session"]
    assert cookie.value == ""
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
