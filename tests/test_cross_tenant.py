"""The cross-tenant matrix (issue 7, B1, B3): every operation of the committed SDL that takes an
id, called by the main user of customer X with ids of customer Y's objects and of a collectivity
that X only has a PENDING link to, answers NOT_FOUND and changes nothing.

The operations are read from ``schema.graphql``: every ``Query`` and ``Mutation`` field and every
field of a reachable object type with an id-like argument (``ID``, ``[ID]``, or an input object
holding one) must have a case in ``CASES``; every other root field must be listed in
``NOT_APPLICABLE`` with a reason. An operation added to the schema without either makes
``test_every_operation_with_ids_has_a_case`` fail.

Exceptions to NOT_FOUND are in ``FORBIDDEN_REGARDLESS_OF_IDS``: staff-only operations answer
``FORBIDDEN`` to every employer user whatever id is sent (docs/api.md, Accounts and Borderels), so
the answer tells nothing about the id. ``nodes`` answers ``null`` per id (its documented
NOT_FOUND, B3) instead of an error.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    build_schema,
    get_named_type,
    is_leaf_type,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import AccountRequest, AuditEvent, Base, Borderel, Document, Invoice, Job
from storage.enums import ContractLinkStatus, ProductKind

from . import factories
from .employers import gid, make_employers, payload_of
from .http import Api

SDL = Path(__file__).resolve().parent.parent / "schema.graphql"

# --------------------------------------------------------------------------------------------
# Reading the SDL
# --------------------------------------------------------------------------------------------


def load_sdl() -> GraphQLSchema:
    return build_schema(SDL.read_text(encoding="utf-8"))


def _takes_id(type_: Any, seen: frozenset[str] = frozenset()) -> bool:
    named = get_named_type(type_)
    if named.name == "ID":
        return True
    if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        return any(_takes_id(f.type, seen | {named.name}) for f in named.fields.values())
    return False


def operations_with_ids(schema: GraphQLSchema) -> set[str]:
    """``Type.field`` of every field, on any object type, with an id-like argument."""
    found = set()
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or not isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field_name, field in type_.fields.items():
            if any(_takes_id(arg.type) for arg in field.args.values()):
                found.add(f"{name}.{field_name}")
    return found


def root_operations(schema: GraphQLSchema) -> set[str]:
    roots = [schema.query_type, schema.mutation_type]
    return {f"{root.name}.{field}" for root in roots if root for field in root.fields}


def node_types(schema: GraphQLSchema) -> set[str]:
    return {t.name for t in schema.get_possible_types(schema.type_map["Node"])}


def full_selection(schema: GraphQLSchema, type_name: str, args: dict[str, str]) -> str:
    """Every field of a type (objects as ``{ __typename }``), required arguments from ``args``:
    the connections and lists nested in it are asked for too."""
    type_ = schema.type_map[type_name]
    assert isinstance(type_, GraphQLObjectType)
    parts = []
    for name, field in type_.fields.items():
        given = [
            f"{arg}: {args[arg]}"
            for arg, spec in field.args.items()
            if isinstance(spec.type, GraphQLNonNull)
            and spec.default_value is Undefined
            and (spec.ast_node is None or spec.ast_node.default_value is None)
        ]
        head = f"{name}({', '.join(given)})" if given else name
        parts.append(
            head if is_leaf_type(get_named_type(field.type)) else f"{head} {{ __typename }}"
        )
    return "{ " + " ".join(parts) + " }"


# --------------------------------------------------------------------------------------------
# The world: customer X (caller's side) and customer Y (foreign), plus a pending link
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class World:
    """Global ids. The caller is X's main user of x1 (x2 linked ACTIVE within customer X)."""

    token: str
    x1: str
    x2: str
    insured_x1: str
    y1: str  # customer Y, no link at all
    y2: str  # customer Y, x1 asked for a link: PENDING (no access)
    insured_y1: str
    insured_y2: str
    customer_y: str
    main_y1: str
    colleague_y1: str
    main_y2: str
    borderel_y1: str
    borderel_y2: str
    invoice_y1: str
    document_y1: str
    job_y1: str
    link_y1_y2: str  # ACTIVE, within customer Y
    link_z1_y1: str  # PENDING, from customer Z to Y
    account_request_y1: str
    # Text of Y's objects that must never appear in an answer to X.
    secrets: list[str]


RUN = """mutation($input: RunProlongationInput!) { runProlongation(input: $input) {
  results { made } userErrors { code } } }"""
DAT = """mutation($input: DownloadBorderelInput!) { downloadBorderel(input: $input) {
  download { url } userErrors { code } } }"""
EXPORT = """mutation($input: ExportBorderelInput!) { exportBorderel(input: $input) {
  document { id } userErrors { code } } }"""
REQUEST_LIST = """mutation($input: RequestExtendedInsuredListInput!) {
  requestExtendedInsuredList(input: $input) { job { id } userErrors { code } } }"""
REQUEST_ACCOUNT = """mutation($input: RequestAccountInput!) { requestAccount(input: $input) {
  userErrors { code } } }"""


async def build_world(api: Api, session_factory: async_sessionmaker[AsyncSession]) -> World:
    cast = await make_employers(session_factory)
    async with session_factory() as db:
        y2 = await factories.collectivity(db, cast.customer_y)
        z1 = await factories.collectivity(db)
        main_y2 = await factories.user(db, y2, name="Yara Twee")
        family_y2 = await factories.family(db, y2, last_name="Yanssen")
        basic = await factories.product(db, ProductKind.BASIC, {2026: "160.00"})
        for family in (cast.family_x1, cast.family_x2, cast.family_y1, family_y2):
            await factories.cover(db, family, basic)
        await factories.link(db, cast.x1, cast.x2)
        await factories.link(db, cast.x1, y2, ContractLinkStatus.PENDING)
        link_y1_y2 = await factories.link(db, cast.y1, y2)
        link_z1_y1 = await factories.link(db, z1, cast.y1, ContractLinkStatus.PENDING)
        await db.commit()

    # Y's borderels, invoices, inbox document, export choice and job, made the real way.
    staff = await api.login(cast.staff.email)
    run = payload_of(
        await api.gql(RUN, {"input": {"month": "2026-12"}}, token=staff), "runProlongation"
    )
    assert run["userErrors"] == [], run
    assert all(r["made"] for r in run["results"]), run
    async with session_factory() as db:
        borderels = {b.collectivity_id: b.id for b in await db.scalars(select(Borderel))}
        invoice_y1 = await db.scalar(
            select(Invoice.id).where(Invoice.collectivity_id == cast.y1.id)
        )
    main_y1 = await api.login(cast.main_y1.email)
    borderel_y1 = gid("Borderel", borderels[cast.y1.id])
    body = await api.gql(DAT, {"input": {"borderelId": borderel_y1}}, token=main_y1)
    assert payload_of(body, "downloadBorderel")["userErrors"] == [], body
    variables = {"input": {"borderelId": borderel_y1, "exporter": "csv"}}
    body = await api.gql(EXPORT, variables, token=main_y1)
    assert payload_of(body, "exportBorderel")["userErrors"] == [], body
    variables = {"input": {"collectivityId": gid("Collectivity", cast.y1.id)}}
    body = await api.gql(REQUEST_LIST, variables, token=main_y1)
    job = payload_of(body, "requestExtendedInsuredList")["job"]
    account_request = {
        "customerNumber": cast.customer_y.customer_number,
        "collectivityNumber": cast.y1.collectivity_number,
        "name": "Yolanda Aanvraag",
        "email": "yolanda.aanvraag@ywerkgever.nl",
    }
    body = await api.gql(REQUEST_ACCOUNT, {"input": account_request})
    assert payload_of(body, "requestAccount")["userErrors"] == [], body
    async with session_factory() as db:
        document_y1 = await db.scalar(
            select(Document.id).where(Document.collectivity_id == cast.y1.id).limit(1)
        )
        request_id = await db.scalar(select(AccountRequest.id))
        assert await db.scalar(select(func.count()).select_from(Job)) == 1
    assert None not in (document_y1, request_id, invoice_y1)

    return World(
        token=await api.login(cast.main_x1.email),
        x1=gid("Collectivity", cast.x1.id),
        x2=gid("Collectivity", cast.x2.id),
        insured_x1=gid("InsuredPerson", cast.family_x1.members[0].id),
        y1=gid("Collectivity", cast.y1.id),
        y2=gid("Collectivity", y2.id),
        insured_y1=gid("InsuredPerson", cast.family_y1.members[0].id),
        insured_y2=gid("InsuredPerson", family_y2.members[0].id),
        customer_y=gid("Customer", cast.customer_y.id),
        main_y1=gid("User", cast.main_y1.id),
        colleague_y1=gid("User", cast.colleague_y1.id),
        main_y2=gid("User", main_y2.id),
        borderel_y1=borderel_y1,
        borderel_y2=gid("Borderel", borderels[y2.id]),
        invoice_y1=gid("Invoice", invoice_y1),
        document_y1=gid("Document", document_y1),
        job_y1=job["id"],
        link_y1_y2=gid("ContractLink", link_y1_y2.id),
        link_z1_y1=gid("ContractLink", link_z1_y1.id),
        account_request_y1=gid("AccountRequest", request_id),
        secrets=[
            "Yildiz",
            "Yanssen",
            "Yvonne Hoofd",
            "Yusuf Collega",
            "Yara Twee",
            "Yolanda",
            cast.main_y1.email,
            cast.y1.collectivity_number,
            y2.collectivity_number,
            cast.family_y1.policy.policy_number,
            family_y2.policy.policy_number,
        ],
    )


# --------------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------------

NOT_FOUND = "NOT_FOUND"
FORBIDDEN = "FORBIDDEN"
NULLS = "NULLS"  # nodes: null at every place (B3)

# Operations that take ids but answer FORBIDDEN to every employer user, whatever the ids: the
# role gate comes before any id is read, so the answer reveals nothing about them.
FORBIDDEN_REGARDLESS_OF_IDS = {
    "Mutation.approveAccountRequest": "staff only (A1); account requests are no tenant's objects",
    "Mutation.rejectAccountRequest": "staff only (A1)",
    "Mutation.resetTwoFactor": "staff only (A6, B4): a lost phone is reset by the insurer",
    "Mutation.runProlongation": "staff only (D3): borderels are made by the insurer",
    "Mutation.registerPayment": "staff only (D8): payments are registered by the insurer",
}

# Root fields that take no id: nothing of another customer can be named in them.
NOT_APPLICABLE = {
    "Query.accountRequests": "no id; staff only (FORBIDDEN to employers), lists requests",
    "Query.exporters": "no id; the server's export formats, the same for everyone",
    "Query.me": "no id; the caller's own user and scope",
    "Mutation.login": "no id; e-mail and password (anonymous)",
    "Mutation.logout": "no id; ends the caller's own session",
    "Mutation.requestAccount": "no id; numbers typed by an anonymous requester, same answer always (A1)",
    "Mutation.activateAccount": "no id; a single-use token (anonymous)",
    "Mutation.changePassword": "no id; the caller's own password",
    "Mutation.requestPasswordReset": "no id; an e-mail address, same answer always (A5)",
    "Mutation.resetPassword": "no id; a single-use token (anonymous)",
    "Mutation.inviteColleague": "no id; into the caller's own home collectivity",
    "Mutation.linkContract": "no id; customer and collectivity numbers (B2: LINK_TARGET_NOT_FOUND)",
    "Mutation.verifyTwoFactor": "no id; a login challenge and a code",
    "Mutation.startTwoFactorRegistration": "no id; the caller's own authenticator",
    "Mutation.confirmTwoFactorRegistration": "no id; the caller's own authenticator",
}


@dataclasses.dataclass(frozen=True)
class Case:
    operation: str
    label: str
    document: str
    variables: Callable[[World], dict[str, Any]]
    expect: str = NOT_FOUND

    @property
    def field(self) -> str:
        return (
            self.operation.split(".")[1] if self.operation.startswith(("Query", "Mutation")) else ""
        )


NODE = "query($id: ID!) { node(id: $id) { id __typename } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }"
COLLECTIVITY = "query($id: ID!) { collectivity(id: $id) { id name } }"
CORRECTIONS = """query($id: ID!) { correctionDifferences(collectivityId: $id, month: "2026-12") {
  month rows { period } } }"""
DIFFERENCES = """query($id: ID!) { prolongationDifferences(collectivityId: $id,
  fromMonth: "2026-11", toMonth: "2026-12") { rows { change } } }"""
DETAILS = """query($c: ID!, $id: ID!) { collectivity(id: $c) {
  insuredPersonDetails(id: $id) { id name bsn } } }"""


def mutation(name: str, input_type: str, payload: str) -> str:
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) "
        f"{{ {payload} userErrors {{ field code }} }} }}"
    )


MEMBERSHIPS = "memberships { insuredPersonId } mutations { insuredPersonId }"
DEREGISTER = mutation("deregisterInsured", "DeregisterInsuredInput", MEMBERSHIPS)
EMPLOYEE_NUMBER = mutation("changeEmployeeNumber", "ChangeEmployeeNumberInput", MEMBERSHIPS)
MOVE = mutation("moveInsuredToCollectivity", "MoveInsuredToCollectivityInput", MEMBERSHIPS)


def _deregister(**values: Any) -> dict[str, Any]:
    return {"input": {"endDate": "2026-12-31", **values}}


def _employee_number(**values: Any) -> dict[str, Any]:
    return {"input": {"employeeNumber": "E-9999", "effectiveDate": "2026-12-04", **values}}


def _move(**values: Any) -> dict[str, Any]:
    return {"input": {"effectiveDate": "2027-01-01", **values}}


def _id(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"id": getattr(w, key)}


def _input(**keys: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"input": {name: getattr(w, key) for name, key in keys.items()}}


# Every Node type with a foreign id (the test checks that each Node type of the SDL is here).
FOREIGN_NODES = {
    "AccountRequest": "account_request_y1",
    "Borderel": "borderel_y1",
    "Collectivity": "y1",
    "ContractLink": "link_y1_y2",
    "Customer": "customer_y",
    "Document": "document_y1",
    "InsuredPerson": "insured_y1",
    "Invoice": "invoice_y1",
    "Job": "job_y1",
    "User": "main_y1",
}
PENDING_NODES = {"Collectivity": "y2", "InsuredPerson": "insured_y2", "Borderel": "borderel_y2"}

QUERY_CASES = [
    *(
        Case("Query.node", f"{type_name} of customer Y", NODE, _id(key))
        for type_name, key in FOREIGN_NODES.items()
    ),
    *(
        Case("Query.node", f"{type_name} of the pending linked collectivity", NODE, _id(key))
        for type_name, key in PENDING_NODES.items()
    ),
    Case("Query.node", "User of the pending linked collectivity", NODE, _id("main_y2")),
    Case("Query.node", "User: Y's colleague", NODE, _id("colleague_y1")),
    Case("Query.node", "ContractLink: Z's pending link to Y", NODE, _id("link_z1_y1")),
    Case(
        "Query.nodes",
        "every foreign and pending id at once",
        NODES,
        lambda w: {
            "ids": [getattr(w, k) for k in {**FOREIGN_NODES, **PENDING_NODES}.values()]
            + [w.main_y2, w.colleague_y1, w.link_z1_y1]
        },
        NULLS,
    ),
    Case("Query.collectivity", "customer Y's collectivity", COLLECTIVITY, _id("y1")),
    Case("Query.collectivity", "the pending linked collectivity", COLLECTIVITY, _id("y2")),
    Case("Query.correctionDifferences", "customer Y's collectivity", CORRECTIONS, _id("y1")),
    Case("Query.correctionDifferences", "pending linked collectivity", CORRECTIONS, _id("y2")),
    Case("Query.prolongationDifferences", "customer Y's collectivity", DIFFERENCES, _id("y1")),
    Case("Query.prolongationDifferences", "pending linked collectivity", DIFFERENCES, _id("y2")),
    Case(
        "Collectivity.insuredPersonDetails",
        "own collectivity, Y's insured",
        DETAILS,
        lambda w: {"c": w.x1, "id": w.insured_y1},
    ),
    Case(
        "Collectivity.insuredPersonDetails",
        "own collectivity, the pending collectivity's insured",
        DETAILS,
        lambda w: {"c": w.x1, "id": w.insured_y2},
    ),
    Case(
        "Collectivity.insuredPersonDetails",
        "Y's collectivity and Y's insured",
        DETAILS,
        lambda w: {"c": w.y1, "id": w.insured_y1},
    ),
]

MUTATION_CASES = [
    # Staff only: FORBIDDEN whatever the id (FORBIDDEN_REGARDLESS_OF_IDS).
    Case(
        "Mutation.approveAccountRequest",
        "a request for Y's collectivity",
        mutation("approveAccountRequest", "ApproveAccountRequestInput", "accountRequest { id }"),
        _input(id="account_request_y1"),
        FORBIDDEN,
    ),
    Case(
        "Mutation.rejectAccountRequest",
        "a request for Y's collectivity",
        mutation("rejectAccountRequest", "RejectAccountRequestInput", "accountRequest { id }"),
        lambda w: {"input": {"id": w.account_request_y1, "reason": "Nee."}},
        FORBIDDEN,
    ),
    Case(
        "Mutation.resetTwoFactor",
        "Y's main user",
        mutation("resetTwoFactor", "ResetTwoFactorInput", "user { id }"),
        _input(userId="main_y1"),
        FORBIDDEN,
    ),
    Case(
        "Mutation.runProlongation",
        "Y's collectivities",
        mutation("runProlongation", "RunProlongationInput", "results { made }"),
        lambda w: {"input": {"month": "2026-12", "collectivityIds": [w.y1, w.y2]}},
        FORBIDDEN,
    ),
    Case(
        "Mutation.registerPayment",
        "Y's invoice",
        mutation("registerPayment", "RegisterPaymentInput", "invoice { id balance }"),
        lambda w: {"input": {"invoiceId": w.invoice_y1, "amount": "1.00", "paidOn": "2026-12-01"}},
        FORBIDDEN,
    ),
    # Users and links.
    *(
        Case(
            "Mutation.deactivateUser",
            label,
            mutation("deactivateUser", "DeactivateUserInput", "user { id status }"),
            _input(id=key),
        )
        for label, key in (
            ("Y's main user", "main_y1"),
            ("Y's colleague", "colleague_y1"),
            ("the pending collectivity's main user", "main_y2"),
        )
    ),
    *(
        Case(
            f"Mutation.{name}",
            label,
            mutation(name, "ContractLinkIdInput", payload),
            _input(id=key),
        )
        for name, payload in (
            ("approveContractLink", "contractLink { id status }"),
            ("unlinkContract", "removedContractLinkId"),
        )
        for label, key in (
            ("Y's active link within customer Y", "link_y1_y2"),
            ("Z's pending link to Y", "link_z1_y1"),
        )
    ),
    # Insured (C5-C7): foreign insured, foreign collectivities, foreign family members.
    Case(
        "Mutation.deregisterInsured",
        "Y's insured",
        DEREGISTER,
        lambda w: _deregister(insuredPersonId=w.insured_y1),
    ),
    Case(
        "Mutation.deregisterInsured",
        "Y's insured in Y's collectivity",
        DEREGISTER,
        lambda w: _deregister(insuredPersonId=w.insured_y1, collectivityId=w.y1),
    ),
    Case(
        "Mutation.deregisterInsured",
        "the pending collectivity's insured",
        DEREGISTER,
        lambda w: _deregister(insuredPersonId=w.insured_y2, collectivityId=w.y2),
    ),
    Case(
        "Mutation.deregisterInsured",
        "own insured, Y's collectivity",
        DEREGISTER,
        lambda w: _deregister(insuredPersonId=w.insured_x1, collectivityId=w.y1),
    ),
    Case(
        "Mutation.deregisterInsured",
        "own insured, Y's insured as family member",
        DEREGISTER,
        lambda w: _deregister(
            insuredPersonId=w.insured_x1, collectivityId=w.x1, members=[w.insured_x1, w.insured_y1]
        ),
    ),
    Case(
        "Mutation.changeEmployeeNumber",
        "Y's insured",
        EMPLOYEE_NUMBER,
        lambda w: _employee_number(insuredPersonId=w.insured_y1),
    ),
    Case(
        "Mutation.changeEmployeeNumber",
        "Y's insured in Y's collectivity",
        EMPLOYEE_NUMBER,
        lambda w: _employee_number(insuredPersonId=w.insured_y1, collectivityId=w.y1),
    ),
    Case(
        "Mutation.changeEmployeeNumber",
        "the pending collectivity's insured",
        EMPLOYEE_NUMBER,
        lambda w: _employee_number(insuredPersonId=w.insured_y2, collectivityId=w.y2),
    ),
    Case(
        "Mutation.changeEmployeeNumber",
        "own insured, Y's collectivity",
        EMPLOYEE_NUMBER,
        lambda w: _employee_number(insuredPersonId=w.insured_x1, collectivityId=w.y1),
    ),
    Case(
        "Mutation.moveInsuredToCollectivity",
        "Y's insured from Y into own collectivity",
        MOVE,
        lambda w: _move(
            insuredPersonId=w.insured_y1, fromCollectivityId=w.y1, toCollectivityId=w.x1
        ),
    ),
    Case(
        "Mutation.moveInsuredToCollectivity",
        "own insured into Y's collectivity",
        MOVE,
        lambda w: _move(
            insuredPersonId=w.insured_x1, fromCollectivityId=w.x1, toCollectivityId=w.y1
        ),
    ),
    Case(
        "Mutation.moveInsuredToCollectivity",
        "own insured into the pending collectivity",
        MOVE,
        lambda w: _move(
            insuredPersonId=w.insured_x1, fromCollectivityId=w.x1, toCollectivityId=w.y2
        ),
    ),
    Case(
        "Mutation.moveInsuredToCollectivity",
        "the pending collectivity's insured into own collectivity",
        MOVE,
        lambda w: _move(
            insuredPersonId=w.insured_y2, fromCollectivityId=w.y2, toCollectivityId=w.x2
        ),
    ),
    Case(
        "Mutation.moveInsuredToCollectivity",
        "own insured to linked x2, Y's insured as family member",
        MOVE,
        lambda w: _move(
            insuredPersonId=w.insured_x1,
            fromCollectivityId=w.x1,
            toCollectivityId=w.x2,
            members=[w.insured_x1, w.insured_y1],
        ),
    ),
    # Collectivity-wide downloads and jobs.
    *(
        Case(
            f"Mutation.{name}",
            label,
            mutation(name, input_type, payload),
            lambda w, key=key, extra=extra: {"input": {"collectivityId": getattr(w, key), **extra}},
        )
        for name, input_type, payload, extra in (
            ("downloadInsuredOverview", "DownloadInsuredOverviewInput", "download { url }", {}),
            ("requestExtendedInsuredList", "RequestExtendedInsuredListInput", "job { id }", {}),
            (
                "exportPremiumOverview",
                "ExportPremiumOverviewInput",
                "download { url }",
                {"month": "2026-12"},
            ),
        )
        for label, key in (("Y's collectivity", "y1"), ("the pending collectivity", "y2"))
    ),
    # Inbox, borderels and exports.
    Case(
        "Mutation.markDocumentRead",
        "Y's inbox document",
        mutation("markDocumentRead", "MarkDocumentReadInput", "document { id read }"),
        _input(documentId="document_y1"),
    ),
    *(
        Case(
            "Mutation.downloadBorderel",
            label,
            mutation("downloadBorderel", "DownloadBorderelInput", "download { url }"),
            _input(borderelId=key),
        )
        for label, key in (("Y's borderel", "borderel_y1"), ("the pending one's", "borderel_y2"))
    ),
    *(
        Case(
            "Mutation.exportBorderel",
            label,
            mutation(
                "exportBorderel",
                "ExportBorderelInput",
                "download { url } document { id } problems { code }",
            ),
            lambda w, key=key, extra=extra: {"input": {"borderelId": getattr(w, key), **extra}},
        )
        for label, key, extra in (
            ("Y's borderel with Y's remembered exporter choice", "borderel_y1", {}),
            ("Y's borderel, csv", "borderel_y1", {"exporter": "csv"}),
            ("the pending one's borderel, raet", "borderel_y2", {"exporter": "raet"}),
        )
    ),
]

CASES = QUERY_CASES + MUTATION_CASES


# --------------------------------------------------------------------------------------------
# Checking an answer and the database
# --------------------------------------------------------------------------------------------

# Rows compared before and after as whole dumps; these only by count: sessions (last_seen_at
# moves with every request) and outgoing mails (the delivery worker stamps sent_at). The audit
# trail grows by design: a refused mutation is recorded as DENIED/FAILURE (A9); ``check`` asserts
# that nothing new in it is a SUCCESS.
COUNTED_ONLY = {"sessions", "outgoing_mails"}
NOT_COMPARED = {"audit_events"}


async def snapshot(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    async with session_factory() as db:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_COMPARED:
                continue
            if table.name in COUNTED_ONLY:
                state[table.name] = await db.scalar(select(func.count()).select_from(table))
            else:
                rows = await db.execute(select(table).order_by(*table.primary_key.columns))
                state[table.name] = [tuple(row) for row in rows]
    return state


def _at(data: Any, path: list[Any]) -> Any:
    """The value at an error's path: null there (and at the data) when nothing was answered."""
    for step in path:
        if data is None:
            return None
        data = data[step]
    return data


def outcome(case: Case, body: dict[str, Any]) -> str:
    """The answer reduced to NOT_FOUND / FORBIDDEN / NULLS, or a description of what is wrong."""
    errors = body.get("errors") or []
    data = body.get("data")
    if errors:
        codes = sorted({(e.get("extensions") or {}).get("code") for e in errors})
        if len(codes) == 1 and all(_at(data, e.get("path") or []) is None for e in errors):
            return codes[0]
        return f"errors {codes} with data {data}"
    value = data[case.field] if case.field else data
    if case.expect == NULLS:
        return NULLS if value and all(v is None for v in value) else f"nodes answered {value}"
    if isinstance(value, dict) and value.get("userErrors"):
        codes = sorted({e["code"] for e in value["userErrors"]})
        rest = {k: v for k, v in value.items() if k != "userErrors" and v not in (None, [])}
        return codes[0] if len(codes) == 1 and not rest else f"userErrors {codes}, payload {rest}"
    return f"answered {value}"


async def check(
    api: Api, session_factory: async_sessionmaker[AsyncSession], world: World, cases: list[Case]
) -> list[str]:
    """Run each case; a list of what went wrong (empty when every one held)."""
    problems = []
    for case in cases:
        before = await snapshot(session_factory)
        async with session_factory() as db:
            last_audit = await db.scalar(select(func.max(AuditEvent.id))) or 0
        body = await api.gql(case.document, case.variables(world), token=world.token)
        after = await snapshot(session_factory)
        name = f"{case.operation} [{case.label}]"
        got = outcome(case, body)
        if got != case.expect:
            problems.append(f"{name}: expected {case.expect}, got {got}: {body}")
        text = json.dumps(body, ensure_ascii=False)
        leaked = [s for s in world.secrets if s in text]
        if leaked:
            problems.append(f"{name}: the answer holds {leaked}: {body}")
        changed = [t for t in before if before[t] != after[t]]
        if changed:
            problems.append(f"{name}: changed {changed}")
        async with session_factory() as db:
            audited = list(await db.scalars(select(AuditEvent).where(AuditEvent.id > last_audit)))
        if any(e.outcome.value == "SUCCESS" for e in audited):
            problems.append(f"{name}: audited as a success: {[e.action for e in audited]}")
    return problems


# --------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------


def test_every_operation_with_ids_has_a_case() -> None:
    """The matrix is complete: an operation added to the SDL without a case fails here."""
    schema = load_sdl()
    with_ids = operations_with_ids(schema)
    covered = {case.operation for case in CASES}
    assert with_ids - covered == set(), "operations with ids but no cross-tenant case"
    assert covered - with_ids == set(), "cases for operations the SDL does not have (with ids)"
    roots = root_operations(schema)
    assert roots - with_ids - set(NOT_APPLICABLE) == set(), "root fields neither covered nor N/A"
    assert set(NOT_APPLICABLE) <= roots - with_ids, "NOT_APPLICABLE names a field with ids"
    # FORBIDDEN only where documented, and then for every case of that operation.
    for case in CASES:
        assert (case.expect == FORBIDDEN) == (case.operation in FORBIDDEN_REGARDLESS_OF_IDS), case
    # node: one foreign id of every Node type, and nodes with all of them.
    assert set(FOREIGN_NODES) == node_types(schema)
    node_cases = {c.label.split(" ")[0] for c in CASES if c.operation == "Query.node"}
    assert node_types(schema) <= node_cases


@pytest.mark.parametrize("group", ["queries", "mutations"])
async def test_b3_another_customers_ids_are_not_found_and_change_nothing(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession], group: str
) -> None:
    """Each case as X's main user with Y's ids and the pending collectivity's ids (B1, B3).

    ``quiet_api`` is the whole app over HTTP without its job runner, so the job queued for Y stays
    as it is and any change between two snapshots is the call's."""
    world = await build_world(quiet_api, session_factory)
    problems = await check(
        quiet_api, session_factory, world, QUERY_CASES if group == "queries" else MUTATION_CASES
    )
    assert problems == [], "\n".join(problems)


async def test_b3_every_field_of_a_foreign_node_is_not_found(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """Every field of every Node type (connections and lists included), asked for through a
    foreign or pending id, answers NOT_FOUND and nothing else."""
    world = await build_world(quiet_api, session_factory)
    schema = load_sdl()
    args = {"id": json.dumps(world.insured_y1), "month": json.dumps("2026-12")}
    cases = []
    for type_name, key in {**FOREIGN_NODES, **PENDING_NODES}.items():
        fields = full_selection(schema, type_name, args)
        document = f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {fields} }} }}"
        cases.append(Case("Query.node", f"every field of {type_name} ({key})", document, _id(key)))
    collectivity = full_selection(schema, "Collectivity", args)
    for key in ("y1", "y2"):
        document = f"query($id: ID!) {{ collectivity(id: $id) {collectivity} }}"
        cases.append(Case("Query.collectivity", f"every field ({key})", document, _id(key)))
    problems = await check(quiet_api, session_factory, world, cases)
    assert problems == [], "\n".join(problems)
