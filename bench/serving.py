"""Run ``collectief serve`` as a separate process for benchmarks, and talk GraphQL to it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def served(
    database_url: str, **env: str
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """Start ``collectief serve`` on a free loopback port; yields its base URL and process."""
    port = free_port()
    environment = os.environ | {
        "COLLECTIEF_DATABASE_URL": database_url,
        "COLLECTIEF_LOG_LEVEL": "WARNING",
        "COLLECTIEF_PORT": str(port),
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "serve", cwd=ROOT, env=environment
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while True:
                if process.returncode is not None:
                    raise RuntimeError(f"collectief serve exited with {process.returncode}")
                try:
                    async with http.get(f"{base_url}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("collectief serve did not become healthy in 60 s")
                await asyncio.sleep(0.2)
        yield base_url, process
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=20)
        except TimeoutError:
            process.kill()
            await process.wait()


async def graphql(
    http: aiohttp.ClientSession,
    base_url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.post(
        f"{base_url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    ) as response:
        body = await response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body["data"]


async def login(http: aiohttp.ClientSession, base_url: str, email: str, password: str) -> str:
    data = await graphql(
        http,
        base_url,
        "mutation($i: LoginInput!) { login(input: $i) { token userErrors { code } } }",
        {"i": {"email": email, "password": password, "bearer": True}},
    )
    if data["login"]["userErrors"]:
        raise RuntimeError(f"login failed: {data['login']['userErrors']}")
    return data["login"]["token"]
