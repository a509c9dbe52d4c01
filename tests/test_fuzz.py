"""Fuzzing the GraphQL API (issue 7, G2, G4): schemathesis with hypothesis-graphql against a live
``collectief serve --demo`` on loopback, authenticated as the demo main user with a Bearer token.

Every operation of the committed ``schema.graphql`` is fuzzed in two modes:

* positive: valid documents with random arguments and selections (queries and mutations);
* negative: hypothesis-graphql's ``Mode.NEGATIVE``, documents with one schema violation (a wrong
  type, a missing required argument, …) that must be refused.

Every answer is checked: no 5xx; a JSON object; every error has ``extensions.code`` and none is
INTERNAL_SERVER_ERROR (an exception the code did not expect, masked); no traceback, driver or SQL
text in any message (unless the request itself carried it); a negative document is refused as a
whole (``data`` null) with GRAPHQL_VALIDATION_FAILED, GRAPHQL_PARSE_FAILED or QUERY_TOO_COMPLEX.
Afterwards the server's log must hold no ``unexpected error`` and the session must still work.

Short run (part of the suite: 2 examples per operation and mode, ~150 operations, ~32 s):

    .venv/bin/pytest tests/test_fuzz.py -q

Long run (≥ 1,000 operations; results in docs/reliability.md):

    COLLECTIEF_FUZZ_EXAMPLES=20 .venv/bin/pytest tests/test_fuzz.py -q -s

Mail goes to the server's outbox directory (no SMTP host is configured), so nothing leaves the
machine. The server runs on its embedded SQLite database in a temporary directory.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.graphql import nodes

from resolvers.errors import ErrorCode
from server.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("COLLECTIEF_FUZZ_EXAMPLES", "2"))
MAIN_USER = "marieke.jansen@vandijkbouw.nl"  # demo main user of 200101 (200102 linked)
LOGOUT_USER = "sanne.visser@vandijkbouw.nl"  # demo colleague: logout is fuzzed with her sessions

# Codes outside the ErrorCode enum that the GraphQL and HTTP layers answer (docs/api.md, Errors).
DOCUMENT_CODES = {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "QUERY_TOO_COMPLEX"}
KNOWN_CODES = {code.value for code in ErrorCode} | DOCUMENT_CODES | {"BAD_REQUEST"}

# Text that only an unmasked exception would put into a message (SQL as SQLAlchemy writes it:
# upper case, so a sentence that happens to say "select … from" is no match).
LEAKS = [
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'File "[^"]+", line \d+'),
    re.compile(r"sqlalchemy|asyncpg|aiosqlite|sqlite3|psycopg", re.I),
    re.compile(r"IntegrityError|OperationalError|ProgrammingError|DataError"),
    re.compile(r"\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|\bUPDATE\b.+\bSET\b|\bDELETE FROM\b"),
    re.compile(r"\b(?:KeyError|AttributeError|TypeError|ValueError|AssertionError)\b"),
]


# The custom scalars of the SDL (G3): mostly well-formed values, sometimes odd ones.
def _text_or(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, strategy, strategy, st.text(max_size=12)).map(nodes.String)


schemathesis.graphql.scalar("Date", _text_or(st.dates(min_value=dt.date(1900, 1, 1)).map(str)))
schemathesis.graphql.scalar("DateTime", _text_or(st.datetimes(timezones=st.just(dt.UTC)).map(str)))
schemathesis.graphql.scalar(
    "Money",
    _text_or(
        st.decimals(Decimal("-100000"), Decimal("100000"), places=2, allow_nan=False).map(str)
    ),
)
schemathesis.graphql.scalar(
    "Percentage",
    _text_or(st.decimals(Decimal(0), Decimal(100), places=2, allow_nan=False).map(str)),
)


SERVE = [sys.executable, "-m", "server.cli", "serve", "--demo", "--host", "127.0.0.1"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``collectief serve --demo`` on a loopback port; its log file is checked afterwards."""
    directory = tmp_path_factory.mktemp("fuzz")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTIEF_")}
    env |= {"COLLECTIEF_DATA_DIR": str(directory), "COLLECTIEF_LOG_FORMAT": "json"}
    log_path = directory / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own command line
            [*SERVE, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        url = f"{base}/graphql"
        # Logged in before any fuzzing: fuzzed logins and password changes soon throttle the
        # address and the account (A4), which must not stop the run.
        http = requests.Session()
        token = login(http, url, MAIN_USER)
        # logout ends the session it is sent with: it gets sessions of its own.
        spare = [login(http, url, LOGOUT_USER) for _ in range(EXAMPLES * 4 + 4)]
        yield {"url": url, "log": log_path, "http": http, "token": token, "spare": spare}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def login(http: requests.Session, url: str, email: str) -> str:
    response = http.post(
        url,
        json={
            "query": "mutation($i: LoginInput!) { login(input: $i) { token userErrors { code } } }",
            "variables": {"i": {"email": email, "password": DEMO_PASSWORD, "bearer": True}},
        },
        timeout=30,
    )
    payload = response.json()["data"]["login"]
    assert payload["userErrors"] == [], payload
    return payload["token"]


def _messages(body: Any) -> Iterator[str]:
    """Every message in an answer: top-level errors and userErrors anywhere in ``data``."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "message" and isinstance(value, str):
                yield value
            else:
                yield from _messages(value)
    elif isinstance(body, list):
        for item in body:
            yield from _messages(item)


def problems_in(request_text: str, status: int, text: str, negative: bool) -> list[str]:
    """What is wrong with one answer (empty: nothing)."""
    if status >= 500:
        return [f"HTTP {status}"]
    try:
        body = json.loads(text)
    except ValueError:
        return [f"HTTP {status}: not JSON"]
    if not isinstance(body, dict):
        return ["the answer is not a JSON object"]
    problems = []
    errors = body.get("errors") or []
    codes = [(e.get("extensions") or {}).get("code") for e in errors]
    if any(not isinstance(code, str) for code in codes):
        problems.append(f"an error without extensions.code: {errors}")
    if "INTERNAL_SERVER_ERROR" in codes:
        problems.append(f"an unexpected exception: {errors}")
    unknown = {c for c in codes if isinstance(c, str)} - KNOWN_CODES - {"INTERNAL_SERVER_ERROR"}
    if unknown:
        problems.append(f"undocumented codes {unknown}")
    for message in _messages(body):
        for pattern in LEAKS:
            if pattern.search(message) and not pattern.search(request_text):
                problems.append(f"an unmasked message ({pattern.pattern}): {message!r}")
    if negative:
        if not errors or body.get("data") is not None:
            problems.append(f"an invalid document was not refused: {body}")
        elif not set(codes) <= DOCUMENT_CODES:
            problems.append(f"an invalid document refused with an unclear code: {codes}")
    return problems


class Tally:
    def __init__(self) -> None:
        self.operations: collections.Counter[str] = collections.Counter()
        self.codes: collections.Counter[str] = collections.Counter()
        self.statuses: collections.Counter[int] = collections.Counter()

    def add(self, mode: str, status: int, text: str) -> None:
        self.operations[mode] += 1
        self.statuses[status] += 1
        try:
            body = json.loads(text)
        except ValueError:
            return
        for error in body.get("errors") or []:
            self.codes[(error.get("extensions") or {}).get("code")] += 1
        for match in re.finditer(r'"code":\s*"([A-Z_]+)"', json.dumps(body.get("data"))):
            self.codes[f"userErrors:{match.group(1)}"] += 1


def fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    url: str,
    http: requests.Session,
    token: str,
    spare: list[str],
    tally: Tally,
) -> None:
    """``EXAMPLES`` generated cases of one operation, each sent and checked."""
    is_logout = operation.label == "Mutation.logout"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: Any) -> None:
        bearer = (spare.pop() if spare else None) if is_logout else token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        response = case.call(base_url=url, session=http, headers=headers)
        # A case falls back to positive when its operation has nothing to violate.
        negative = case.meta is not None and case.meta.generation.mode.is_negative
        tally.add("negative" if negative else "positive", response.status_code, response.text)
        request_text = json.dumps(case.body, ensure_ascii=False)
        problems = problems_in(request_text, response.status_code, response.text, negative)
        assert problems == [], f"{operation.label}: {problems}\n{case.body}\n{response.text[:2000]}"

    fuzz()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_g2_fuzzed_operations_get_clear_answers(
    server: dict[str, Any], mode: GenerationMode
) -> None:
    """Every operation of the SDL, fuzzed as the demo main user: no 5xx, no unmasked exception,
    every error coded, every invalid document refused with a document code (G2, G4)."""
    schema = schemathesis.graphql.from_path(ROOT / "schema.graphql")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 37
    http, token, spare = server["http"], server["token"], server["spare"]
    tally = Tally()
    for operation in operations:
        fuzz_operation(operation, mode, server["url"], http, token, spare, tally)

    # The session survived the fuzzing (no random mutation could end or take over the account).
    me = http.post(
        server["url"],
        json={"query": "{ me { user { email } } }"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert me["data"]["me"]["user"]["email"] == MAIN_USER, me
    # Nothing unexpected reached the server's log either (masked errors are logged there).
    log = server["log"].read_text(errors="replace")
    assert "unexpected error" not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    # The counts of a long run are read from here (-s; docs/reliability.md).
    print(
        f"\nfuzz {mode.value}: {dict(tally.operations)} operations; HTTP {dict(tally.statuses)}; "
        f"codes {dict(tally.codes.most_common())}"
    )


def test_the_checks_catch_what_they_are_for() -> None:
    """The answer checks fail on a 5xx, a masked exception, an uncoded error, leaked driver or
    SQL text and an invalid document that was run (so the fuzz test can fail)."""
    ok = json.dumps(
        {"data": None, "errors": [{"message": "x", "extensions": {"code": "NOT_FOUND"}}]}
    )
    assert problems_in("{}", 200, ok, negative=False) == []
    assert problems_in("{}", 502, "", negative=False) == ["HTTP 502"]
    masked = {"errors": [{"message": "m", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}
    assert problems_in("{}", 200, json.dumps(masked), negative=False)
    assert problems_in("{}", 200, json.dumps({"errors": [{"message": "m"}]}), negative=False)
    for leak in (
        'Traceback (most recent call last):\n  File "/x.py", line 3',
        "(sqlite3.IntegrityError) UNIQUE constraint failed",
        "SELECT users.id FROM users WHERE",
        "KeyError: 'id'",
    ):
        body = {"data": {"f": {"userErrors": [{"code": "NOT_FOUND", "message": leak}]}}}
        assert problems_in("{}", 200, json.dumps(body), negative=False), leak
    # Echoing the caller's own text is not a leak.
    echoed = {
        "errors": [{"message": "bad 'SELECT x FROM y'", "extensions": {"code": "BAD_REQUEST"}}]
    }
    assert problems_in('"SELECT x FROM y"', 400, json.dumps(echoed), negative=False) == []
    # An invalid document must be refused as a whole, with a document code.
    assert problems_in("{}", 200, json.dumps({"data": {"me": None}}), negative=True)
    assert problems_in("{}", 200, ok, negative=True)
    refused = {
        "data": None,
        "errors": [{"message": "v", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}],
    }
    assert problems_in("{}", 200, json.dumps(refused), negative=True) == []
