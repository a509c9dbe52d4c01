"""The ``collectief`` command: serve, migrate, demo."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from resolvers.clock import Clock
from resolvers.two_factor import TotpCipher
from storage import create_engine, create_session_factory
from storage.migrate import upgrade

from .app import DatabaseNotMigrated, create_app, prepare_database
from .logs import configure_logging
from .settings import Settings, SettingsError
from .totp_key import load_totp_key

log = logging.getLogger("collectief.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="collectief",
        description="Employer portal backend for collective health insurance (GraphQL API).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the HTTP server (GraphQL at /graphql)")
    serve.add_argument("--host", help="address to listen on (COLLECTIEF_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (COLLECTIEF_PORT)")
    serve.add_argument(
        "--demo", action="store_true", help="load the demo data first and print the demo logins"
    )
    commands.add_parser("migrate", help="bring the database schema up to date (Alembic)")
    commands.add_parser("demo", help="load the demo data (idempotent) and print the demo logins")
    prolongation = commands.add_parser(
        "prolongation",
        help="make the borderels (and invoices) of a month for every salary-deduction "
        "collectivity (D3); running a month again changes nothing",
    )
    prolongation.add_argument("--month", required=True, help="the month, YYYY-MM")
    prolongation.add_argument(
        "--collectivity",
        action="append",
        default=None,
        metavar="NUMBER",
        help="only this collectivity number (repeatable)",
    )
    export = commands.add_parser("export-schema", help="write the GraphQL SDL (schema.graphql)")
    export.add_argument(
        "--output", default="schema.graphql", help="file to write, or - for standard output"
    )
    commands.add_parser(
        "exporters", help="list the loaded payroll exporters and the plugins that failed (E1)"
    )
    convert = commands.add_parser(
        "export",
        help="convert a stored borderel or a .dat file into a payroll format (E1-E3); "
        "nothing is written when the exporter reports problems",
    )
    convert.add_argument("--exporter", required=True, help="exporter name, e.g. raet")
    source = convert.add_mutually_exclusive_group(required=True)
    source.add_argument("--dat", metavar="FILE", help="a borderel .dat file (downloadBorderel)")
    source.add_argument(
        "--collectivity", metavar="NUMBER", help="the stored borderel of this collectivity"
    )
    convert.add_argument("--month", help="with --collectivity: the borderel's month, YYYY-MM")
    convert.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an exporter option (repeatable), e.g. identification=12345678",
    )
    convert.add_argument("--output", required=True, help="file to write, or - for standard output")
    return parser


async def _load_demo(settings: Settings) -> str:
    from .demo import load_demo_data

    engine = create_engine(settings.effective_database_url)
    try:
        await prepare_database(settings, engine)
        totp_key = await asyncio.to_thread(load_totp_key, settings)
        summary = await load_demo_data(
            create_session_factory(engine),
            today=Clock().today(),
            totp_cipher=TotpCipher(totp_key),
        )
    finally:
        await engine.dispose()
    return (
        f"Demo data: {summary.customers} customers, {summary.collectivities} collectivities, "
        f"{summary.insured} insured, {summary.users} users."
    )


def demo_logins_text(settings: Settings) -> str:
    from .demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_TWO_FACTOR_EMAIL

    outbox = (settings.data_dir / "outbox").resolve()
    lines = [
        f"GraphQL API and GraphiQL: {settings.base_url}/graphql",
        f"Demo logins (password for all: {DEMO_PASSWORD}):",
    ]
    lines += [f"  {login.email:<36} {login.description}" for login in DEMO_LOGINS]
    lines += [
        "Try:",
        f"  - two-factor: {DEMO_TWO_FACTOR_EMAIL} has an authenticator app; `login` answers with",
        "    a twoFactorChallenge, then `verifyTwoFactor` with the current code:",
        f"    python -c \"import pyotp; print(pyotp.TOTP('{DEMO_TOTP_SECRET}').now())\"",
        "  - register an app for any other user: startTwoFactorRegistration (scan qrCodeSvg or",
        "    use the secret in otpauthUri), then confirmTwoFactorRegistration",
        "  - linked contracts: 200101 asked to link 200201 of another customer; it gives no access",
        "    until erik.smit@hetbaken.nl calls approveContractLink",
        "  - a pending account request waits for staff: log in as the staff user, accountRequests,",
        "    approveAccountRequest; follow the activation link from the mail to activateAccount",
        "  - requestPasswordReset for a demo address, then resetPassword with the mailed token",
        "  - borderels: six months for 200101 and 200102, the last two with corrections",
        "    (correctionDifferences, prolongationDifferences, downloadBorderel); invoices of",
        "    200101: paid, one overdue with a reminder in the inbox, one open (staff:",
        "    registerPayment, runProlongation)",
        f"  - mails are not sent in the demo: they are written to {outbox}/*.eml and their",
        "    links are logged",
    ]
    return "\n".join(lines)


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings.effective_database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _export_schema(output: str) -> None:
    from schema.sdl import export_sdl

    text = export_sdl()
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        print(f"Wrote {output}.")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "export-schema":
        _export_schema(args.output)
        return 0
    try:
        settings = Settings.from_env(
            host=getattr(args, "host", None), port=getattr(args, "port", None)
        )
    except SettingsError as error:
        print(f"collectief: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        return _run(args, settings)
    except (DatabaseNotMigrated, ValueError) as error:
        print(f"collectief: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            print(
                f"collectief: cannot listen on {settings.host}:{settings.port}: "
                "the address is in use (choose another with --port)",
                file=sys.stderr,
            )
            return 1
        print(f"collectief: cannot reach the database ({type(error).__name__})", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        # Type only: connection errors can carry the database URL with its password.
        print(f"collectief: cannot reach the database ({type(error).__name__})", file=sys.stderr)
        return 1


async def _prolongation(settings: Settings, month_text: str, numbers: list[str] | None) -> int:
    from resolvers.errors import DomainError
    from resolvers.months import format_month, parse_month
    from resolvers.prolongation_runs import collectivity_ids_by_number, prolong

    from .app import billing_terms

    engine = create_engine(settings.effective_database_url)
    try:
        await prepare_database(settings, engine)
        sessionmaker = create_session_factory(engine)
        clock = Clock()
        try:
            month = parse_month(month_text)
            ids = None
            if numbers:
                async with sessionmaker() as db:
                    ids = await collectivity_ids_by_number(db, numbers)
            outcomes = await prolong(
                sessionmaker,
                month,
                now=clock.now(),
                today=clock.today(),
                billing=billing_terms(settings),
                collectivity_ids=ids,
            )
        except DomainError as error:
            print(f"collectief: prolongation refused: {error.code.value}", file=sys.stderr)
            return 2
    finally:
        await engine.dispose()
    made = sum(o.made for o in outcomes)
    failed = [o for o in outcomes if o.error is not None]
    print(
        f"Prolongation {format_month(month)}: {made} borderels made, "
        f"{len(outcomes) - made - len(failed)} already there, {len(failed)} failed."
    )
    for outcome in failed:
        print(f"  collectivity id {outcome.collectivity_id}: {outcome.error}", file=sys.stderr)
    return 1 if failed else 0


def _exports(args: argparse.Namespace, settings: Settings) -> int:
    from . import export_commands

    try:
        if args.command == "exporters":
            return export_commands.list_exporters(settings)
        return asyncio.run(
            export_commands.export(
                settings,
                exporter_name=args.exporter,
                dat=args.dat,
                collectivity=args.collectivity,
                month=args.month,
                option_pairs=args.option,
                output=args.output,
            )
        )
    except export_commands.CommandError as error:
        print(f"collectief: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command in ("exporters", "export"):
        return _exports(args, settings)
    if args.command == "prolongation":
        return asyncio.run(_prolongation(settings, args.month, args.collectivity))
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        print("Database schema is up to date.")
        return 0
    if args.command == "demo" or (args.command == "serve" and args.demo):
        print(asyncio.run(_load_demo(settings)))
        if args.command == "demo":
            print(demo_logins_text(settings))
            return 0
    if args.command == "serve":
        app = create_app(settings)
        banner = demo_logins_text(settings) if args.demo else f"Serving {settings.base_url}/graphql"

        def print_banner(_app: web.Application) -> None:
            print(banner, flush=True)

        async def on_startup(app: web.Application) -> None:
            print_banner(app)

        app.on_startup.append(on_startup)
        web.run_app(app, host=settings.host, port=settings.port, print=None)
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
