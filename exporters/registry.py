"""Loading the exporters: built-ins and entry-point plugins through one pluggy hook (E1).

``load_exporters(allow)`` is the whole API for the portal, the CLI and the tests::

    registry = load_exporters(allow={"acme"})      # or None: every installed plugin
    registry.exporters["raet"]                     # Exporter objects by name
    registry.get("raet")                           # the same, or UnknownExporter
    registry.failures                              # (plugin, error) of what was skipped

Each plugin is imported, registered and asked for its exporters on its own, so a plugin that fails
to import, implements an unknown hook, wants an incompatible API version, raises in its hook or
returns a malformed exporter is recorded in ``failures`` and skipped; the others load. Nothing here
raises because of a plugin.

The allow-list names entry points (plugin names). The built-ins in ``BUILTINS`` are always loaded:
they ship with the portal (naming one in the allow-list is harmless). Adding a built-in format is one module with a ``@hookimpl``
``collectief_register_exporters`` plus one line in ``BUILTINS``. When two plugins offer an exporter
of the same name the first keeps it (built-ins first, then plugins by entry-point name) and the
later one is recorded as a failure for that exporter.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from types import MappingProxyType

import pluggy

from . import hookspecs
from .exporter import Exporter, UnknownExporter, describe_exporter
from .hookspecs import ENTRY_POINT_GROUP, PLUGIN_API_VERSION, PROJECT_NAME

logger = logging.getLogger("collectief.exporters")

# The built-in exporters: modules with a ``collectief_register_exporters`` hookimpl.
BUILTINS: tuple[str, ...] = (
    "exporters.raet",
    "exporters.raet_ema",
    "exporters.nmbrs",
    "exporters.loket",
    "exporters.afas",
    "exporters.generic_csv",
    "exporters.excel",
)


@dataclasses.dataclass(frozen=True, slots=True)
class PluginFailure:
    """A plugin (or one exporter of it) that was skipped, and why (for logs, the CLI and staff)."""

    plugin: str
    error: str

    def __str__(self) -> str:
        return f"{self.plugin}: {self.error}"


@dataclasses.dataclass(frozen=True, slots=True)
class Registry:
    """The loaded exporters (by name), which plugin provides each, and what failed."""

    exporters: Mapping[str, Exporter]
    providers: Mapping[str, str]
    plugins: tuple[str, ...]
    failures: tuple[PluginFailure, ...]
    # Installed plugins left out because the allow-list does not name them.
    not_allowed: tuple[str, ...] = ()

    def get(self, name: str) -> Exporter:
        try:
            return self.exporters[name]
        except KeyError:
            raise UnknownExporter(name) from None


def api_version_refusal(wanted: object) -> str | None:
    """Why a plugin written for API version ``wanted`` cannot load here, or None if it can."""
    ours = tuple(int(part) for part in PLUGIN_API_VERSION.split("."))
    try:
        major, minor = (int(part) for part in str(wanted).split("."))
    except ValueError:
        return f"plugin API version {wanted!r} is not 'major.minor'"
    if major != ours[0] or minor > ours[1]:
        return f"written for plugin API {wanted}, this portal offers {PLUGIN_API_VERSION}"
    return None


def load_exporters(
    allow: Collection[str] | None = None, *, builtins: Sequence[str] = BUILTINS
) -> Registry:
    """Load the built-ins and every allowed entry-point plugin (``None``: all), each on its own."""
    loader = _Loader()
    for module_name in builtins:
        loader.load(
            module_name, lambda module_name=module_name: importlib.import_module(module_name)
        )
    not_allowed: list[str] = []
    entry_points = sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name
    )
    found: set[str] = set()
    for entry_point in entry_points:
        if allow is not None and entry_point.name not in allow:
            not_allowed.append(entry_point.name)
            continue
        if entry_point.name in found:
            loader.fail(
                entry_point.name, f"another installed plugin has this name ({entry_point.value})"
            )
            continue
        found.add(entry_point.name)
        loader.load(entry_point.name, entry_point.load)
    for name in sorted(set(allow or ()) - found - set(builtins)):
        loader.fail(name, "named in the allow-list but not installed")
    return Registry(
        exporters=MappingProxyType(dict(loader.exporters)),
        providers=MappingProxyType(dict(loader.providers)),
        plugins=tuple(loader.plugins),
        failures=tuple(loader.failures),
        not_allowed=tuple(not_allowed),
    )


class _Loader:
    def __init__(self) -> None:
        self.manager = pluggy.PluginManager(PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        self.exporters: dict[str, Exporter] = {}
        self.providers: dict[str, str] = {}
        self.plugins: list[str] = []
        self.failures: list[PluginFailure] = []

    def fail(self, plugin: str, error: str) -> None:
        logger.warning("exporter plugin %s skipped: %s", plugin, error)
        self.failures.append(PluginFailure(plugin, error))

    def load(self, name: str, load: Callable[[], object]) -> None:
        try:
            plugin = load()
            self.manager.register(plugin, name=name)
        except (Exception, SystemExit) as error:
            self.fail(name, f"cannot be loaded: {_describe(error)}")
            return
        try:
            exporters = self._exporters_of(name, plugin)
        except _Refused as refusal:
            self.manager.unregister(plugin)
            self.fail(name, str(refusal))
            return
        except (Exception, SystemExit) as error:
            self.manager.unregister(plugin)
            self.fail(name, f"raised in its hook: {_describe(error)}")
            return
        self.plugins.append(name)
        for exporter in exporters:
            self._add(name, exporter)

    def _exporters_of(self, name: str, plugin: object) -> Iterable[object]:
        callers = self.manager.get_hookcallers(plugin) or []
        if not callers:
            raise _Refused("implements no collectief hook")
        unknown = sorted(caller.name for caller in callers if not caller.has_spec())
        if unknown:
            raise _Refused(f"implements unknown hooks: {', '.join(unknown)}")
        for version in _call(self.manager.hook.collectief_exporter_api_version, plugin):
            refusal = api_version_refusal(version)
            if refusal:
                raise _Refused(refusal)
        provided: list[object] = []
        for result in _call(self.manager.hook.collectief_register_exporters, plugin):
            if not isinstance(result, list | tuple):
                raise _Refused(
                    f"collectief_register_exporters returned {type(result).__name__}, not a list"
                )
            provided.extend(result)
        return provided

    def _add(self, plugin: str, exporter: object) -> None:
        faults = describe_exporter(exporter)  # type: ignore[arg-type]
        label = getattr(exporter, "name", None) or type(exporter).__name__
        if faults:
            self.fail(plugin, f"exporter {label!r} refused: {'; '.join(faults)}")
            return
        assert isinstance(exporter, Exporter)
        if exporter.name in self.exporters:
            self.fail(
                plugin,
                f"exporter {exporter.name!r} skipped: plugin {self.providers[exporter.name]!r}"
                " already provides an exporter of that name",
            )
            return
        self.exporters[exporter.name] = exporter
        self.providers[exporter.name] = plugin


class _Refused(Exception):
    pass


def _call(hook: pluggy.HookCaller, plugin: object) -> list[object]:
    """The results of one plugin's implementations of ``hook``, called on their own."""
    return [
        impl.function()
        for impl in hook.get_hookimpls()
        if impl.plugin is plugin and not (impl.hookwrapper or impl.wrapper)
    ]


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
