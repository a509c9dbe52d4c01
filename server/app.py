"""The aiohttp application: ``/graphql``, ``/healthz``; wires settings, database and schema."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from exporters.registry import Registry, load_exporters
from resolvers.clock import Clock
from resolvers.download_links import DownloadLinks, derive_key
from resolvers.email_policy import EmailPolicy
from resolvers.invoicing import BillingTerms
from resolvers.mutation_window import MutationWindow
from resolvers.password_policy import PasswordPolicy, common_passwords
from resolvers.rules import PortalRules
from resolvers.sessions import SessionPolicy
from schema import CookiePolicy, Limits, build_schema
from storage import create_engine, create_session_factory
from storage.migrate import current_revision, head_revision, upgrade

from .downloads import Downloads
from .graphql_view import CollectiefGraphQLView
from .http_errors import json_errors
from .job_handlers import default_handlers, schedule_daily
from .jobs import JobRunner, job_runner
from .mail_delivery import MailDelivery, mail_delivery
from .secret_key import load_secret_key
from .settings import Settings
from .totp_key import load_totp_key

log = logging.getLogger("collectief.server")


@dataclasses.dataclass
class Services:
    """What the running process holds: one engine and its session factory."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    # E1: the payroll exporters loaded once at start.
    exporters: Registry


SERVICES = web.AppKey("services", Services)
GRAPHQL_VIEW = web.AppKey("graphql_view", CollectiefGraphQLView)
MAIL_DELIVERY = web.AppKey("mail_delivery", MailDelivery)
DOWNLOADS = web.AppKey("downloads", Downloads)
JOB_RUNNER = web.AppKey("job_runner", JobRunner)


class DatabaseNotMigrated(RuntimeError):
    pass


async def prepare_database(settings: Settings, engine: AsyncEngine) -> None:
    """H1: the embedded SQLite default is created and migrated on first start; any other
    database must be migrated with ``collectief migrate`` before it is served."""
    if settings.uses_embedded_database:
        await upgrade(engine)
        return
    current, head = await current_revision(engine), head_revision()
    if current != head:
        raise DatabaseNotMigrated(
            f"the database is at revision {current or 'none'}, the code needs {head}: "
            "run `collectief migrate` first"
        )


def load_registry(settings: Settings) -> Registry:
    """E1: the built-ins and the allowed plugins (``COLLECTIEF_EXPORTERS``; empty: all), each
    failure logged with the plugin's name and error; never raises because of a plugin."""
    registry = load_exporters(settings.exporters or None)
    for failure in registry.failures:
        log.warning(
            "exporter plugin not loaded",
            extra={"plugin": failure.plugin, "error": failure.error},
        )
    return registry


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    clock: Clock | None = None,
    exporters: Registry | None = None,
) -> web.Application:
    """Build the application. ``engine``, ``clock`` and the exporter registry can be handed in
    (tests, tools); otherwise the exporters are loaded from the settings at start."""
    app = web.Application(client_max_size=1024 * 1024, middlewares=[json_errors])
    clock = clock or Clock()

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        own_engine = engine is None
        the_engine = engine or create_engine(settings.effective_database_url)
        await prepare_database(settings, the_engine)
        services = Services(
            settings=settings,
            engine=the_engine,
            sessionmaker=create_session_factory(the_engine),
            clock=clock,
            exporters=exporters or await asyncio.to_thread(load_registry, settings),
        )
        app[SERVICES] = services
        totp_key = await asyncio.to_thread(load_totp_key, settings)
        # Read the bundled password list now, off the event loop, not in the first request.
        await asyncio.to_thread(common_passwords)
        secret_key = await asyncio.to_thread(load_secret_key, settings)
        rules = portal_rules(settings, totp_key, secret_key)
        app[GRAPHQL_VIEW] = _graphql_view(services, rules)
        app[DOWNLOADS] = _downloads(services, rules)
        yield
        if own_engine:
            await the_engine.dispose()

    app.cleanup_ctx.append(lifecycle)
    app.cleanup_ctx.append(_mail_delivery)
    app.cleanup_ctx.append(_job_runner)
    app.router.add_route("GET", "/graphql", graphql)
    app.router.add_route("POST", "/graphql", graphql)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/downloads/{token}", download, allow_head=False)
    return app


async def _mail_delivery(app: web.Application) -> AsyncIterator[None]:
    """H3: queued mails are delivered in the background while the app runs (after ``lifecycle``
    has set up the database, stopped before it is closed)."""
    services = app[SERVICES]
    async with mail_delivery(services.settings, services.sessionmaker, services.clock) as worker:
        app[MAIL_DELIVERY] = worker
        yield


async def _job_runner(app: web.Application) -> AsyncIterator[None]:
    """C3, H4: background jobs run while the app runs (unless COLLECTIEF_RUN_JOBS is false)."""
    services = app[SERVICES]
    settings = services.settings
    async with job_runner(
        services.sessionmaker,
        services.clock,
        default_handlers(billing_terms(settings)),
        poll_seconds=settings.job_poll_seconds,
        enabled=settings.run_jobs,
        daily=schedule_daily,
        lease=dt.timedelta(seconds=settings.job_lease_seconds),
    ) as runner:
        if runner is not None:
            app[JOB_RUNNER] = runner
        yield


async def download(request: web.Request) -> web.StreamResponse:
    return await request.app[DOWNLOADS](request)


def _downloads(services: Services, rules: PortalRules) -> Downloads:
    settings = services.settings
    return Downloads(
        sessionmaker=services.sessionmaker,
        clock=services.clock,
        links=rules.downloads(),
        session_policy=session_policy(settings),
        cookie_name=CookiePolicy().name,
        trusted_proxy_count=settings.trusted_proxy_count,
    )


async def graphql(request: web.Request) -> web.StreamResponse:
    return await request.app[GRAPHQL_VIEW](request)


def _graphql_view(services: Services, rules: PortalRules) -> CollectiefGraphQLView:
    settings = services.settings
    return CollectiefGraphQLView(
        schema=build_schema(
            Limits(
                max_depth=settings.max_query_depth,
                max_aliases=settings.max_aliases,
                max_tokens=settings.max_tokens,
                introspection=settings.introspection,
            )
        ),
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=False,
        sessionmaker=services.sessionmaker,
        clock=services.clock,
        session_policy=session_policy(settings),
        cookie_policy=CookiePolicy(
            secure=settings.cookie_secure, max_age_seconds=settings.session_max_hours * 3600
        ),
        trusted_proxy_count=settings.trusted_proxy_count,
        rules=rules,
        exporters=services.exporters,
        export_timeout=settings.export_timeout_seconds,
    )


def portal_rules(
    settings: Settings, totp_key: bytes | None = None, secret_key: str | None = None
) -> PortalRules:
    """The business-rule choices of this deployment, from its settings."""
    return PortalRules(
        portal_url=settings.portal_base_url,
        require_two_factor=settings.require_two_factor,
        totp_key=totp_key,
        download_links=DownloadLinks(
            key=derive_key(secret_key), base_url=settings.public_url.rstrip("/")
        )
        if secret_key
        else None,
        email_policy=EmailPolicy.of(
            deny_domains=settings.email_deny_domains,
            allow_domains=settings.email_allow_domains,
            allow_addresses=settings.email_allow_addresses,
        ),
        password_policy=PasswordPolicy(min_length=settings.password_min_length),
        mutation_window=MutationWindow(
            months_back=settings.deregister_months_back,
            months_ahead=settings.deregister_months_ahead,
        ),
        billing=billing_terms(settings),
    )


def billing_terms(settings: Settings) -> BillingTerms:
    return BillingTerms(
        payment_days=settings.invoice_payment_days,
        reminder_days=settings.reminder_payment_days,
        demand_days=settings.demand_payment_days,
    )


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(
        idle_timeout=dt.timedelta(minutes=settings.session_idle_minutes),
        max_lifetime=dt.timedelta(hours=settings.session_max_hours),
    )


async def healthz(request: web.Request) -> web.Response:
    """Liveness and readiness: the process answers and the database answers."""
    services = request.app[SERVICES]
    try:
        async with services.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("health check failed", extra={"error_type": type(error).__name__})
        return web.json_response({"status": "unavailable", "database": "down"}, status=503)
    return web.json_response({"status": "ok", "database": "up"})
