"""Steps shared by the account tests: GraphQL documents, the links in queued mails, and a snapshot
of everything an account mutation could change (to prove that a refusal changed nothing)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import AccountRequest, AuditEvent, AuthSession, OutgoingMail, User, UserToken

from .http import Api

USER_ERRORS = "userErrors { field code message }"

REQUEST_ACCOUNT = f"""
mutation($input: RequestAccountInput!) {{ requestAccount(input: $input) {{ {USER_ERRORS} }} }}
"""
ACCOUNT_REQUEST_FIELDS = """
id customerNumber collectivityNumber name email language status createdAt decidedAt
decisionReason numbersMatch collectivity { id collectivityNumber }
"""
APPROVE = f"""
mutation($input: ApproveAccountRequestInput!) {{
  approveAccountRequest(input: $input) {{
    accountRequest {{ {ACCOUNT_REQUEST_FIELDS} }} {USER_ERRORS}
  }}
}}
"""
REJECT = f"""
mutation($input: RejectAccountRequestInput!) {{
  rejectAccountRequest(input: $input) {{
    accountRequest {{ {ACCOUNT_REQUEST_FIELDS} }} {USER_ERRORS}
  }}
}}
"""
ACCOUNT_REQUESTS = f"""
query($status: AccountRequestStatus, $first: Int, $after: String) {{
  accountRequests(status: $status, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ {ACCOUNT_REQUEST_FIELDS} }} }}
  }}
}}
"""
ACTIVATE = f"""
mutation($input: ActivateAccountInput!) {{
  activateAccount(input: $input) {{ user {{ id email role }} {USER_ERRORS} }}
}}
"""
CHANGE_PASSWORD = f"""
mutation($input: ChangePasswordInput!) {{
  changePassword(input: $input) {{ user {{ email }} {USER_ERRORS} }}
}}
"""
REQUEST_RESET = f"""
mutation($input: RequestPasswordResetInput!) {{
  requestPasswordReset(input: $input) {{ {USER_ERRORS} }}
}}
"""
RESET = f"""
mutation($input: ResetPasswordInput!) {{ resetPassword(input: $input) {{ {USER_ERRORS} }} }}
"""
ME = "{ me { user { email role } homeCollectivity { collectivityNumber } } }"

NEW_PASSWORD = "fietsen langs de amstel"
_LINK = re.compile(r"(https?://\S+?)#token=([A-Za-z0-9_-]+)")


def payload_of(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"][field]


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def mails_to(
    session_factory: async_sessionmaker[AsyncSession], recipient: str
) -> list[OutgoingMail]:
    async with session_factory() as db:
        rows = await db.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.recipient == recipient)
            .order_by(OutgoingMail.id)
        )
        return list(rows)


def link_in(mail: OutgoingMail) -> tuple[str, str]:
    """The portal address and the token of the one link in ``mail``."""
    (match,) = _LINK.findall(mail.body_text)
    return match[0], match[1]


async def audit_trail(session_factory: async_sessionmaker[AsyncSession]) -> list[AuditEvent]:
    async with session_factory() as db:
        return list(await db.scalars(select(AuditEvent).order_by(AuditEvent.id)))


async def state(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Everything but the audit trail that an account mutation may change."""
    async with session_factory() as db:
        users = (await db.execute(select(User.id, User.status, User.password_hash))).all()
        requests = (
            await db.execute(
                select(AccountRequest.id, AccountRequest.status, AccountRequest.decided_at)
            )
        ).all()
        tokens = (await db.execute(select(UserToken.id, UserToken.used_at))).all()
        sessions = (await db.execute(select(AuthSession.id, AuthSession.revoked_at))).all()
        mails = (await db.execute(select(OutgoingMail.id))).all()
    return {
        "users": sorted(users),
        "requests": sorted(requests),
        "tokens": sorted(tokens),
        "sessions": sorted(sessions),
        "mails": sorted(mails),
    }


async def request_account(api: Api, **values: Any) -> dict[str, Any]:
    body = await api.gql(REQUEST_ACCOUNT, {"input": values})
    return payload_of(body, "requestAccount")
