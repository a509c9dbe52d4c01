"""A real HTTP client for the aiohttp app, listening on a loopback port."""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import ClientSession

from .factories import PASSWORD

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { user { id email } token expiresAt userErrors { field code message } }
}
"""


@dataclasses.dataclass
class Api:
    base_url: str
    http: ClientSession

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        async with self.http.post(
            f"{self.base_url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=all_headers,
        ) as response:
            return response.status, await response.json()

    async def gql(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict:
        """POST a document; returns the whole JSON body (``data`` and maybe ``errors``)."""
        _status, body = await self.post(query, variables, **kw)
        return body

    async def login(self, email: str, password: str = PASSWORD) -> str:
        """Log in with a bearer token; fails the test when the login is refused."""
        body = await self.gql(
            LOGIN, {"input": {"email": email, "password": password, "bearer": True}}
        )
        payload = body["data"]["login"]
        assert payload["userErrors"] == [], payload
        return payload["token"]


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
